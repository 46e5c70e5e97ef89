import type { AccessWidth, MmioDevice, Width } from "../../machine/device";
import type { VirtioMmio } from "../../machine/devices/virtio/mmio_transport";

/**
 * Under the split model, the guest-visible image of one virtio-mmio slot's registers: a page of the
 * host-physical address space that the VMM maps into the guest read-only where the slot's registers
 * are (GPA 0x1000_1000 + 0x1000·slot), so that the driver's register reads (status, features, queue
 * sizes, InterruptStatus, the configuration space) are answered without an exit. Its contents are
 * the VMM's register state itself, read live, so the image is never stale: in Xen terms, the page
 * the backend publishes its state in (xenstore and the shared ring page), kept by the backend alone.
 * The guest's stores to it fault (the mapping is read-only) and reach the VMM as exits.
 */
/** Host-physical address of slot 0's image; slot i's is 0x1000·i above. The host board has nothing else there. */
export const REGISTER_IMAGE_HPA = 0x2000_0000;

export class RegisterImage implements MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size = 0x1000;

  constructor(readonly transport: VirtioMmio) {
    this.name = `${transport.name}-image`;
    this.base = REGISTER_IMAGE_HPA + 0x1000 * transport.slot;
  }

  accepts(offset: number, width: AccessWidth): boolean {
    return this.transport.accepts(offset, width);
  }

  /** The transport's reads have no side effects, so reading them here is what the image holds. */
  read(offset: number, width: Width): number {
    return this.transport.read(offset, width);
  }

  /** Never reached from the guest (its mapping is read-only); ignored like any read-only register. */
  write(): void {}

  registerName(offset: number, write: boolean): string {
    return this.transport.registerName(offset, write);
  }
}
