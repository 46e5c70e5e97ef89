import type { VirtioDevice } from "../../../../../src/machine/devices/virtio/device";
import { F_VERSION_1, VirtioMmio } from "../../../../../src/machine/devices/virtio/mmio_transport";
import * as R from "../../../../../src/machine/devices/virtio/registers";
import { AVAIL, DESC, Rings, USED } from "./rings";

/**
 * A virtio device on a transport in slot 0, brought up the way a driver does (§3.1.1): reset,
 * ACKNOWLEDGE | DRIVER, the features, FEATURES_OK, queue 0 of 8 entries on the test rings, DRIVER_OK.
 * The device tests add their requests on top.
 */
export class TransportDriver {
  readonly r = new Rings(8);
  irq = false;
  raises = 0;
  readonly dev: VirtioMmio;

  constructor(device: VirtioDevice, features = F_VERSION_1) {
    this.dev = new VirtioMmio(0, { set: (l) => ((this.irq = l), l && this.raises++) }, this.r.dma, device);
    this.w(R.STATUS, 0);
    this.w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER);
    this.w(R.DRIVER_FEATURES_SEL, 0);
    this.w(R.DRIVER_FEATURES, Number(features & 0xffff_ffffn));
    this.w(R.DRIVER_FEATURES_SEL, 1);
    this.w(R.DRIVER_FEATURES, Number(features >> 32n));
    this.w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER | R.S_FEATURES_OK);
    this.w(R.QUEUE_SEL, 0);
    this.w(R.QUEUE_NUM, 8);
    this.w(R.QUEUE_DESC_LOW, DESC);
    this.w(R.QUEUE_DRIVER_LOW, AVAIL);
    this.w(R.QUEUE_DEVICE_LOW, USED);
    this.w(R.QUEUE_READY, 1);
    this.w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER | R.S_FEATURES_OK | R.S_DRIVER_OK);
  }

  w(offset: number, value: number): void {
    this.dev.write(offset, 4, value);
  }

  rd(offset: number): number {
    return this.dev.read(offset, 4);
  }
}
