import { anyNonEmulated, describeModels, modelOf, type DeviceModels } from "../hypervisor/io/device_model";
import { techniqueEntry, type Technique } from "./techniques";

/**
 * What is wrong with the launch attribute `deviceModel` (CLI `--device-model`) for this technique
 * and disk, as a sentence that follows the option's name; undefined when the guest can run so.
 * The models themselves are hypervisor/io/device_model.ts's; this is where they meet the techniques.
 */
export function deviceModelsProblem(models: DeviceModels, technique: Technique, hasDisk: boolean): string | undefined {
  if (!anyNonEmulated(models)) return undefined;
  const others = (["virtio-console", "virtio-rng"] as const).filter((d) => models.perDevice[d] === "passthrough");
  if (others.length > 0) return `"passthrough" is for virtio-blk only (the IOMMU serves the one device passed through), not ${others.join(" or ")}`;
  const runs = techniqueEntry(technique).runs;
  if (modelOf(models, "blk") === "passthrough") {
    if (runs === "bare") return `"passthrough" needs a VMM technique: natively there is no VMM, and the guest already owns every device of the board`;
    if (typeof runs === "object" && runs.guestSymbol !== undefined) {
      return `"passthrough" is not offered under "${technique}": a paravirtual kernel's page tables may map only its own frames (the VMM validates every update), so it could not map the device's registers; it reaches devices through the VMM`;
    }
    if (!hasDisk) return `"passthrough" passes the virtio-blk device through: it needs a disk ("disk", or --disk)`;
  }
  const described = describeModels(models);
  if (runs === "bare") return `${described} needs a VMM technique: natively the guest drives the devices itself`;
  if (typeof runs === "object" && runs.guestSymbol !== undefined) return `${described} is not available under technique "${technique}": its kernel reaches the console through hypercalls, not virtio`;
  return undefined;
}

/**
 * Why the launch attribute `balloon` (CLI `--balloon`) cannot be on under this technique and these
 * device models, as a sentence that follows the option's name; undefined when it can. Natively the
 * balloon is only a device; under a VMM its pages must be able to leave the p2m.
 */
export function balloonProblem(technique: Technique, models: DeviceModels): string | undefined {
  const runs = techniqueEntry(technique).runs;
  if (typeof runs === "object" && runs.noBalloon) return `is not available under technique "${technique}": ${runs.noBalloon}`;
  if (runs !== "bare" && modelOf(models, "blk") === "passthrough") return `does not go with deviceModel "passthrough": the IOMMU maps guest RAM once, so a page the balloon takes would stay mapped for the device`;
  return undefined;
}
