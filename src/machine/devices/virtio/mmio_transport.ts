import type { AccessWidth, DeviceState, IrqLine, MmioDevice, Width } from "../../device";
import type { VirtioDevice } from "./device";
import { DmaError, type Dma } from "./dma";
import * as R from "./registers";
import { SplitQueue, VirtqueueError } from "./split_queue";
import { virtioView } from "./view";

/**
 * One virtio-mmio slot of QEMU's `virt` board, version 2 (the modern transport, virtio 1.2
 * §4.2.2), as `-global virtio-mmio.force-legacy=false` gives it: eight slots at 0x1000_1000 +
 * 0x1000·i on PLIC sources 1–8. Like QEMU's, the transport decodes 0x200 bytes of its slot (the
 * rest is unmapped: an access fault), every aligned access of 1, 2 or 4 bytes (the bus splits 8-byte
 * ones), and a slot with no device answers MagicValue, Version and VendorID and reads zero elsewhere
 * (device id 0: "nothing here"), ignoring writes.
 *
 * With a device, registers below 0x100 answer only 4-byte accesses (others read 0 and are ignored,
 * as QEMU does); the configuration space at 0x100 answers any width and reads all-ones beyond its
 * end, and a write there goes to the device (balloon's `actual`; others have no writable field). A
 * configuration change the device makes (balloon's target) raises, once the driver has set
 * DRIVER_OK, ConfigGeneration by one and InterruptStatus bit 1. The transport offers
 * VIRTIO_F_VERSION_1, VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX beside the device's own features. Like QEMU's, it accepts FEATURES_OK for any feature set the
 * driver writes (keeping the offered ones), so a driver that skips VERSION_1 (xv6) still works.
 *
 * A notification is handled at once, inside the guest's store to QueueNotify: the device consumes
 * the chains and pushes them used, and the used-buffer interrupt (InterruptStatus bit 0, the slot's
 * PLIC line) rises before the store retires, if the driver's interrupt suppression allows. A
 * malformed ring sets DEVICE_NEEDS_RESET and raises a configuration-change interrupt, as QEMU's
 * virtio_error does; the device then ignores notifications until the driver resets it.
 */
export const VIRTIO_BASE = 0x1000_1000;
export const VIRTIO_STRIDE = 0x1000;
export const VIRTIO_SLOTS = 8;
/** PLIC source of slot 0; slot i is on source VIRTIO_IRQ + i. */
export const VIRTIO_IRQ = 1;
const DECODED = 0x200;
/** What QueueNumMax reports for a queue the device has: QEMU's VIRTQUEUE_MAX_SIZE. */
export const QUEUE_MAX = 1024;

export const F_INDIRECT_DESC = 1n << 28n;
export const F_EVENT_IDX = 1n << 29n;
export const F_VERSION_1 = 1n << 32n;
const TRANSPORT_FEATURES = F_INDIRECT_DESC | F_EVENT_IDX | F_VERSION_1;

interface QueueSetup {
  num: number;
  desc: [number, number];
  avail: [number, number];
  used: [number, number];
}

export interface VirtioMmioState {
  slot: number;
  base: number;
  irq: number;
  status: number;
  offered: bigint;
  driverFeatures: bigint;
  negotiated: bigint;
  queueSel: number;
  interruptStatus: number;
  irqAsserted: boolean;
  /** Why the device needs a reset, if it does. */
  error: string | undefined;
  queues: readonly SplitQueue[];
}

export class VirtioMmio implements MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size = VIRTIO_STRIDE;
  readonly view: (() => DeviceState) | undefined;

  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private readonly driverFeatures = [0, 0];
  private negotiated = 0n;
  private queueSel = 0;
  private isr = 0;
  private irqLevel = false;
  private error: string | undefined;
  /** Bumped at each configuration change the device makes, as QEMU's virtio_notify_config does. */
  private generation = 0;
  private readonly setups: QueueSetup[];
  readonly queues: SplitQueue[];

  constructor(
    readonly slot: number,
    private readonly irq: IrqLine,
    private readonly dma: Dma,
    readonly device: VirtioDevice | undefined,
  ) {
    this.name = `virtio${slot}`;
    this.base = VIRTIO_BASE + VIRTIO_STRIDE * slot;
    const n = device?.queueCount ?? 0;
    this.setups = Array.from({ length: n }, () => ({ num: 0, desc: [0, 0], avail: [0, 0], used: [0, 0] }));
    this.queues = Array.from({ length: n }, () => new SplitQueue(dma));
    this.view = device && (() => virtioView(this.state(), device));
    device?.bindConfigChange?.(() => this.configChanged());
  }

  get offered(): bigint {
    return this.device ? this.device.features | TRANSPORT_FEATURES : 0n;
  }

  accepts(offset: number, width: AccessWidth): boolean {
    return offset % width === 0 && offset + width <= DECODED;
  }

  read(offset: number, width: Width): number {
    const mask = width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
    if (!this.device) return this.emptySlot(offset) & mask;
    if (offset >= R.CONFIG) return this.readConfig(offset - R.CONFIG, width);
    if (width !== 4) return 0;
    const q = this.queueSel < this.queues.length ? this.queueSel : -1;
    switch (offset) {
      case R.MAGIC_VALUE: return R.MAGIC;
      case R.VERSION: return 2;
      case R.DEVICE_ID: return this.device.deviceId;
      case R.VENDOR_ID: return R.VENDOR_QEMU;
      case R.DEVICE_FEATURES: return Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case R.QUEUE_NUM_MAX: return q < 0 ? 0 : QUEUE_MAX;
      case R.QUEUE_READY: return q >= 0 && this.queues[q].ready ? 1 : 0;
      case R.INTERRUPT_STATUS: return this.isr;
      case R.STATUS: return this.status;
      case R.CONFIG_GENERATION: return this.generation;
      case R.SHM_LEN_LOW:
      case R.SHM_LEN_HIGH:
        return 0xffff_ffff; // no shared-memory regions, as QEMU says
      default: return 0; // write-only or undecoded
    }
  }

  write(offset: number, width: Width, value: number): void {
    if (!this.device) return;
    if (offset >= R.CONFIG) {
      this.device.writeConfig?.(offset - R.CONFIG, width, value);
      return;
    }
    if (width !== 4) return;
    const setup = this.queueSel < this.setups.length ? this.setups[this.queueSel] : undefined;
    switch (offset) {
      case R.DEVICE_FEATURES_SEL: this.deviceFeaturesSel = value ? 1 : 0; break;
      case R.DRIVER_FEATURES: this.driverFeatures[this.driverFeaturesSel] = value >>> 0; break;
      case R.DRIVER_FEATURES_SEL: this.driverFeaturesSel = value ? 1 : 0; break;
      case R.QUEUE_SEL: if (value < QUEUE_MAX) this.queueSel = value; break;
      case R.QUEUE_NUM: if (setup) setup.num = value; break;
      case R.QUEUE_READY: this.setReady(value !== 0); break;
      case R.QUEUE_NOTIFY: this.notify(value & 0xffff); break;
      case R.INTERRUPT_ACK:
        this.isr &= ~value;
        this.updateIrq();
        break;
      case R.STATUS: this.setStatus(value & 0xff); break;
      case R.QUEUE_DESC_LOW: if (setup) setup.desc[0] = value >>> 0; break;
      case R.QUEUE_DESC_HIGH: if (setup) setup.desc[1] = value >>> 0; break;
      case R.QUEUE_DRIVER_LOW: if (setup) setup.avail[0] = value >>> 0; break;
      case R.QUEUE_DRIVER_HIGH: if (setup) setup.avail[1] = value >>> 0; break;
      case R.QUEUE_DEVICE_LOW: if (setup) setup.used[0] = value >>> 0; break;
      case R.QUEUE_DEVICE_HIGH: if (setup) setup.used[1] = value >>> 0; break;
      default: break; // read-only or undecoded
    }
  }

  registerName(offset: number, write: boolean): string {
    return R.virtioRegisterName(offset, write);
  }

  state(): VirtioMmioState {
    return {
      slot: this.slot, base: this.base, irq: VIRTIO_IRQ + this.slot, status: this.status, offered: this.offered,
      driverFeatures: BigInt(this.driverFeatures[0]) | (BigInt(this.driverFeatures[1]) << 32n),
      negotiated: this.negotiated, queueSel: this.queueSel, interruptStatus: this.isr, irqAsserted: this.irqLevel,
      error: this.error, queues: this.queues,
    };
  }

  /** What QEMU's transport answers with no device plugged in. */
  private emptySlot(offset: number): number {
    switch (offset) {
      case R.MAGIC_VALUE: return R.MAGIC;
      case R.VERSION: return 2;
      case R.VENDOR_ID: return R.VENDOR_QEMU;
      default: return 0;
    }
  }

  private readConfig(offset: number, width: Width): number {
    const config = this.device!.config();
    if (offset + width > config.length) return width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + config[offset + i];
    return v;
  }

  private setStatus(value: number): void {
    if (value & R.S_FEATURES_OK && !(this.status & R.S_FEATURES_OK)) {
      const wanted = BigInt(this.driverFeatures[0]) | (BigInt(this.driverFeatures[1]) << 32n);
      this.negotiated = wanted & this.offered;
      for (const q of this.queues) {
        q.indirect = (this.negotiated & F_INDIRECT_DESC) !== 0n;
        q.eventIdx = (this.negotiated & F_EVENT_IDX) !== 0n;
      }
      this.device!.negotiated(this.negotiated);
    }
    this.status = value;
    if (value === 0) this.reset();
  }

  private reset(): void {
    this.isr = 0;
    this.queueSel = 0;
    this.negotiated = 0n;
    this.error = undefined;
    for (const q of this.queues) {
      q.reset();
      q.indirect = q.eventIdx = false;
    }
    this.device!.reset();
    this.updateIrq();
  }

  private setReady(on: boolean): void {
    const q = this.queues[this.queueSel];
    if (!q) return;
    if (!on) {
      q.reset();
      return;
    }
    const s = this.setups[this.queueSel];
    const join = (p: [number, number]) => BigInt(p[0]) | (BigInt(p[1]) << 32n);
    if (s.num < 1 || s.num > QUEUE_MAX) {
      this.fail(`queue ${this.queueSel} made ready with QueueNum ${s.num}, not 1 to ${QUEUE_MAX}`);
      return;
    }
    this.guard(() => q.configure({ size: s.num, desc: join(s.desc), avail: join(s.avail), used: join(s.used) }));
  }

  private notify(index: number): void {
    const q = this.queues[index];
    if (!q?.ready || this.error !== undefined) return;
    this.guard(() => {
      if (this.device!.process(index, q, this.dma)) this.usedBuffers(q);
    });
  }

  /** Lets the device do work that came from outside (console input); raises the used-buffer interrupt as a notification would. */
  poll(): void {
    const device = this.device;
    if (!device?.poll || this.error !== undefined || !(this.status & R.S_DRIVER_OK)) return;
    this.guard(() => {
      const pushed = device.poll!(this.queues, this.dma);
      this.queues.forEach((q, i) => {
        if (pushed & (1 << i)) this.usedBuffers(q);
      });
    });
  }

  /** The device pushed chains to `q`: the used-buffer interrupt, if the driver's suppression allows. */
  private usedBuffers(q: SplitQueue): void {
    if (!q.shouldInterrupt()) return;
    this.isr |= R.ISR_USED;
    this.updateIrq();
  }

  /** Runs `fn`; a malformed ring makes the device need a reset instead of stopping the machine. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof VirtqueueError || e instanceof DmaError)) throw e;
      this.fail(e.message);
    }
  }

  /** The device changed its configuration: a configuration-change interrupt, once the driver is ready for one. */
  private configChanged(): void {
    if (!(this.status & R.S_DRIVER_OK)) return;
    this.generation = (this.generation + 1) >>> 0;
    this.isr |= R.ISR_CONFIG;
    this.updateIrq();
  }

  private fail(why: string): void {
    this.error = why;
    this.status |= R.S_NEEDS_RESET;
    if (this.status & R.S_DRIVER_OK) this.isr |= R.ISR_CONFIG;
    this.updateIrq();
  }

  /** Drives the line at every event, as QEMU's virtio_mmio_update_irq: its PLIC takes each raise as a request. */
  private updateIrq(): void {
    this.irqLevel = this.isr !== 0;
    this.irq.set(this.irqLevel);
  }
}
