/**
 * The launch attribute `deviceModel` (CLI `--device-model`): how the VMM virtualizes the guest's
 * virtio-blk device. "emulated" (the default): the VMM's own device model behind MMIO exits;
 * "passthrough": a host device the guest drives directly, its DMA through an IOMMU
 * (hypervisor/io/passthrough.ts).
 */
export const DEVICE_MODELS = ["emulated", "split", "passthrough"] as const;
export type DeviceModel = (typeof DEVICE_MODELS)[number];
export const DEFAULT_DEVICE_MODEL: DeviceModel = "emulated";
/** The models this build runs. */
const AVAILABLE: readonly DeviceModel[] = ["emulated", "passthrough"];

/** What is wrong with `model` for this technique and disk, as a sentence that follows the option's name; undefined when it runs. */
export function deviceModelProblem(model: string, technique: string, hasDisk: boolean): string | undefined {
  if (!(DEVICE_MODELS as readonly string[]).includes(model)) return `must be one of ${DEVICE_MODELS.map((m) => `"${m}"`).join(", ")}, not "${model}"`;
  if (!AVAILABLE.includes(model as DeviceModel)) return `"${model}" is not available yet`;
  if (model !== "passthrough") return undefined;
  if (technique === "native") return `"passthrough" needs a VMM technique: natively there is no VMM, and the guest already owns every device of the board`;
  if (technique === "paravirtual") {
    return `"passthrough" is not offered under "paravirtual": a paravirtual kernel's page tables may map only its own frames (the VMM validates every update), so it could not map the device's registers; it reaches devices through the VMM`;
  }
  if (!hasDisk) return `"passthrough" passes the virtio-blk device through: it needs a disk ("disk", or --disk)`;
  return undefined;
}
