import { Bus } from "../../machine/bus";
import type { ByteSink, ByteSource, HaltSink, IrqLine } from "../../machine/device";
import { Clint } from "../../machine/devices/clint/model";
import { Htif } from "../../machine/devices/htif/model";
import { Plic } from "../../machine/devices/plic/model";
import { SifiveTest } from "../../machine/devices/sifive_test/model";
import { UART_IRQ, Uart16550 } from "../../machine/devices/uart16550/model";
import type { Ram } from "../../machine/memory";

/**
 * The VM's own `virt`-like board, as software in the VMM (the "hypervisor-direct" device model):
 * a guest-physical bus with guest RAM (a window onto host memory, through the p2m) and the device
 * models the guest's MMIO exits reach: CLINT, PLIC, NS16550A UART, SiFive test finisher, and HTIF
 * when the guest has a `tohost` word. They are the same models the machine uses, instantiated a
 * second time for the guest and driven by the VMM rather than by the host bus: the guest sees the
 * same registers natively and virtualized, and the host board has none of them.
 */
export interface GuestDeviceHost extends HaltSink {
  /** Guest instructions retired (virtual time derives from it). */
  retired(): number;
  /** The virtual interrupt lines into the vCPU's mip (MSIP, MTIP, MEIP, SEIP) changed. */
  linesChanged(): void;
  /** Sets one device-driven bit of the vCPU's mip. */
  setMipLine(bit: number, level: boolean): void;
  /** Watches guest writes to guest-physical [gpa, gpa+len) (HTIF's tohost). */
  watchGuestWrites(gpa: number, len: number, cb: (gpa: number, value: bigint, width: number) => void): () => void;
  /** Guest RAM bytes changed behind the hart's back (decoded-code cache). */
  ramWritten(gpa: number, len: number): void;
}

export interface GuestDeviceOptions {
  instructionsPerTick: number;
  uartOut?: ByteSink;
  uartIn?: ByteSource;
  tohost?: number;
  fromhost?: number;
}

const MEIP = 11;
const SEIP = 9;

export class GuestDevices {
  readonly bus: Bus;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly finisher: SifiveTest;
  readonly htif: Htif | undefined;

  constructor(guestRam: Ram, host: GuestDeviceHost, opts: GuestDeviceOptions) {
    this.bus = new Bus(guestRam);
    this.bus.ramWriteListener = (gpa, len) => host.ramWritten(gpa, len);
    this.clint = new Clint(() => host.retired(), opts.instructionsPerTick, () => host.linesChanged());
    const line = (bit: number): IrqLine => ({ set: (level) => host.setMipLine(bit, level) });
    this.plic = new Plic([line(MEIP), line(SEIP)]);
    this.uart = new Uart16550(this.plic.source(UART_IRQ), opts.uartOut ?? { write: () => {} }, opts.uartIn);
    this.finisher = new SifiveTest(host);
    for (const d of [this.clint, this.plic, this.uart, this.finisher]) this.bus.attach(d);
    this.htif = opts.tohost === undefined
      ? undefined
      : new Htif({ bus: this.bus, halt: (c, h) => host.halt(c, h), watchWrites: (a, l, cb) => host.watchGuestWrites(a, l, cb) },
        opts.tohost, opts.fromhost, opts.uartOut ?? { write: () => {} });
  }

  /** The device model at a guest-physical address, if any. */
  deviceAt(gpa: number, len: number) {
    return this.bus.deviceAt(gpa, len);
  }
}

/** Guest RAM as a `Ram` whose bytes are a window onto host RAM (the p2m's one RAM region). */
export function guestRamWindow(host: Ram, gpaBase: number, hpaBase: number, size: number): Ram {
  const offset = hpaBase - host.base;
  const bytes = host.bytes.subarray(offset, offset + size);
  return {
    base: gpaBase,
    size,
    bytes,
    view: new DataView(host.bytes.buffer, host.bytes.byteOffset + offset, size),
    contains: (pa: number, len: number) => pa >= gpaBase && pa + len <= gpaBase + size,
  } as Ram;
}
