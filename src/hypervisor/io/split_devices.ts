import type { Bus } from "../../machine/bus";
import type { VirtioMmio } from "../../machine/devices/virtio/mmio_transport";
import { modelOf, type DeviceModels } from "./device_model";
import { RegisterImage } from "./register_image";

/**
 * The virtio devices a VM has under the split model: for each, the VMM's backend is the transport
 * and device model it already has (they process the shared rings in guest memory), and a register
 * image on the host bus that the guest reads without exits (register_image.ts).
 */
export class SplitDevices {
  private readonly images: RegisterImage[] = [];

  constructor(hostBus: Bus, transports: readonly VirtioMmio[], models: DeviceModels) {
    for (const t of transports) {
      if (!t.device || modelOf(models, t.device.kind) !== "split") continue;
      const image = new RegisterImage(t);
      hostBus.attach(image);
      this.images.push(image);
    }
  }

  /** The register image of the split device whose registers are at guest-physical `gpa`, if any. */
  imageAt(gpa: number): RegisterImage | undefined {
    return this.images.find((i) => gpa >= i.transport.base && gpa < i.transport.base + i.transport.size);
  }

  /** Whether the device in `slot` is split. */
  isSplit(slot: number): boolean {
    return this.images.some((i) => i.transport.slot === slot);
  }
}
