import { Board, type BoardOptions } from "./board";
import type { Bus } from "./bus";
import type { ByteSink, ByteSource, DeviceHost, DeviceState, MmioDevice } from "./device";
import { Clint } from "./devices/clint/model";
import { Htif } from "./devices/htif/model";
import { Plic } from "./devices/plic/model";
import { SifiveTest } from "./devices/sifive_test/model";
import { UART_IRQ, Uart16550 } from "./devices/uart16550/model";
import { VirtioBalloon } from "./devices/virtio/balloon";
import { VirtioBlk } from "./devices/virtio/blk";
import type { BlockBackend } from "./devices/virtio/block_backend";
import type { VirtioDevice } from "./devices/virtio/device";
import { Dma } from "./devices/virtio/dma";
import { VIRTIO_IRQ, VIRTIO_SLOTS, VirtioMmio } from "./devices/virtio/mmio_transport";
import { VirtioConsole } from "./devices/virtio/console";
import { VirtioRng } from "./devices/virtio/rng";

/** What the `virt` devices are connected to besides their host. */
export interface VirtDeviceOptions {
  /** Where the UART's (and HTIF console's) output goes; discarded when absent. */
  uartOut?: ByteSink;
  /** Where the UART's input comes from; none when absent. */
  uartIn?: ByteSource;
  /** Physical address of the ELF's `tohost` symbol, if it has one: enables HTIF. */
  tohost?: number;
  /** Physical address of the ELF's `fromhost` symbol, where HTIF acknowledges console writes. */
  fromhost?: number;
  /** The disk image of the virtio-blk device in virtio-mmio slot 0; the slot is empty without one. */
  disk?: BlockBackend;
  /** The seed of a virtio-rng device in the last virtio-mmio slot; no such device when absent. */
  rngSeed?: number;
  /** A virtio-console in virtio-mmio slot 1, on the UART's output and input. */
  virtioConsole?: boolean;
  /** A virtio-balloon in virtio-mmio slot 6 (BALLOON_SLOT). */
  balloon?: boolean;
  /** What the host does with a page the balloon's driver gives up (a VMM takes its frame); natively nothing. */
  balloonReclaim?: (gpa: number) => void;
}

export interface VirtOptions extends BoardOptions, VirtDeviceOptions {}

const MEIP = 11;
/** The virtio-mmio slot of the virtio-console (0x1000_2000, PLIC source 2). */
export const CONSOLE_SLOT = 1;
/** The virtio-mmio slot of the virtio-balloon (0x1000_7000, PLIC source 7). */
export const BALLOON_SLOT = 6;
const SEIP = 9;

/**
 * The devices of QEMU's `virt` board for the host's harts: the CLINT, the PLIC at 0x0c00_0000 with
 * each hart's M and S contexts, the NS16550A UART at 0x1000_0000 on PLIC source 10, the SiFive test finisher at
 * 0x10_0000, eight virtio-mmio slots at 0x1000_1000 on PLIC sources 1–8 (virtioSlots says which
 * devices they hold), and HTIF when the
 * program has a `tohost` symbol. The native board builds them on its
 * bus; the VMM builds them again for each VM on the VM's guest-physical bus, so that a guest meets
 * the same devices natively and virtualized, and a new device is added here for both.
 */
export class VirtDevices {
  readonly bus: Bus;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly finisher: SifiveTest;
  readonly htif: Htif | undefined;
  readonly virtio: readonly VirtioMmio[];
  /** The virtio devices' access to RAM. */
  readonly dma: Dma;
  /** The devices on the bus, in the Devices panel's order. */
  readonly mmio: readonly MmioDevice[];

  constructor(host: DeviceHost, instructionsPerTick: number, opts: VirtDeviceOptions = {}) {
    const out = opts.uartOut ?? { write: () => {} };
    this.bus = host.bus;
    const harts = host.harts ?? 1;
    this.clint = new Clint(() => host.retired(), instructionsPerTick, () => host.timerChanged(), harts);
    // QEMU's virt numbers the contexts hart by hart: 2n is hart n's M-mode, 2n+1 its S-mode.
    this.plic = new Plic(Array.from({ length: harts }, (_, n) => [host.irqLine(MEIP, n), host.irqLine(SEIP, n)]).flat());
    this.uart = new Uart16550(this.plic.source(UART_IRQ), out, opts.uartIn);
    this.finisher = new SifiveTest(host);
    const dma = new Dma(this.bus, host.dmaWritten && ((pa, len) => host.dmaWritten!(pa, len)));
    this.dma = dma;
    const slots = virtioSlots(opts, (gpa) => this.bus.ram.contains(gpa, 4096));
    this.virtio = Array.from({ length: VIRTIO_SLOTS }, (_, i) =>
      new VirtioMmio(i, this.plic.source(VIRTIO_IRQ + i), dma, slots[i]));
    this.mmio = [this.uart, this.clint, this.plic, this.finisher, ...this.virtio];
    for (const d of this.mmio) this.bus.attach(d);
    this.htif = opts.tohost === undefined ? undefined : new Htif(host, opts.tohost, opts.fromhost, out);
  }

  /**
   * Takes waiting input where the guest wants it: the UART's RX FIFO (if it asked for RX
   * interrupts) and the virtio-console's receive buffers. The run loop calls it between slices;
   * true if any byte was taken.
   */
  pollInput(): boolean {
    const before = this.inputTaken();
    this.uart.poll();
    for (const v of this.virtio) v.poll();
    return this.inputTaken() !== before;
  }

  private inputTaken(): number {
    return this.uart.received + this.virtio.reduce((n, v) => n + (v.device instanceof VirtioConsole ? v.device.bytesReceived : 0), 0);
  }

  /** What the Devices panel shows of each device that has a view. */
  views(): DeviceState[] {
    return this.mmio.flatMap((d) => (d.view ? [d.view()] : []));
  }

  /** The device model at [pa, pa+len) of the bus, if any. */
  deviceAt(pa: number, len: number): MmioDevice | undefined {
    return this.bus.deviceAt(pa, len);
  }
}

/**
 * The device in each virtio-mmio slot, as QEMU places them for the command line the README gives:
 * virtio-blk in slot 0 when there is a disk (`-device virtio-blk-device,bus=virtio-mmio-bus.0`), and
 * virtio-rng in slot 7 (`-device virtio-rng-device`, no bus: QEMU's virt board lists its virtio-mmio
 * buses from the highest address down and takes the first free one, virtio-mmio-bus.7), and
 * virtio-console in slot 1 (`-device virtio-serial-device,bus=virtio-mmio-bus.1,max_ports=1
 * -device virtconsole`), on the UART's output and input, and virtio-balloon in slot 6 (`-device
 * virtio-balloon-device,bus=virtio-mmio-bus.6`; without `bus=`, QEMU gives it slot 7, or slot 6 when
 * `-device virtio-rng-device` came first and took slot 7). `isRam` says which pages the balloon can hold.
 */
export function virtioSlots(opts: VirtDeviceOptions, isRam: (gpa: number) => boolean): (VirtioDevice | undefined)[] {
  const slots: (VirtioDevice | undefined)[] = new Array(VIRTIO_SLOTS).fill(undefined);
  if (opts.disk) slots[0] = new VirtioBlk(opts.disk);
  if (opts.virtioConsole) slots[CONSOLE_SLOT] = new VirtioConsole(opts.uartOut ?? { write: () => {} }, opts.uartIn);
  if (opts.rngSeed !== undefined) slots[VIRTIO_SLOTS - 1] = new VirtioRng(opts.rngSeed);
  if (opts.balloon) slots[BALLOON_SLOT] = new VirtioBalloon({ isRam, reclaim: opts.balloonReclaim });
  return slots;
}

/** QEMU's `virt` board: RAM, the harts and their run loop (from Board), and the `virt` devices. */
export class VirtBoard extends Board {
  declare readonly devices: VirtDevices;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly finisher: SifiveTest;
  readonly htif: Htif | undefined;

  constructor(opts: VirtOptions = {}) {
    super(opts, (host, instructionsPerTick) => new VirtDevices(host, instructionsPerTick, opts));
    ({ plic: this.plic, uart: this.uart, finisher: this.finisher, htif: this.htif } = this.devices);
  }
}

export function createVirtBoard(opts: VirtOptions = {}): VirtBoard {
  return new VirtBoard(opts);
}
