import { Bus } from "../../machine/bus";
import type { HaltSink } from "../../machine/device";
import type { Ram } from "../../machine/memory";
import type { P2m } from "../mm/p2m";
import { VirtDevices, type VirtDeviceOptions } from "../../machine/virt";

/**
 * The VM's own `virt`-like board, as software in the VMM (the "hypervisor-direct" device model):
 * a guest-physical bus with guest RAM (a window onto host memory, through the p2m) and the device
 * models the guest's MMIO exits reach: CLINT, PLIC, NS16550A UART, SiFive test finisher, and HTIF
 * when the guest has a `tohost` word. They are the machine's own `virt` devices, built a second time
 * for the guest and driven by the VMM rather than by the host bus: the guest sees the same registers
 * natively and virtualized, and the host board has none of them.
 */
export interface GuestDeviceHost extends HaltSink {
  /** Guest instructions retired (virtual time derives from it). */
  retired(): number;
  /** The virtual interrupt lines into the vCPU's mip (MSIP, MTIP, MEIP, SEIP) changed. */
  linesChanged(): void;
  /** How many vCPUs the VM has: the CLINT and the PLIC serve each (its msip, mtimecmp, M and S contexts). */
  readonly vcpus: number;
  /** Sets one device-driven bit of vCPU `vcpu`'s mip. */
  setMipLine(bit: number, level: boolean, vcpu: number): void;
  /** Watches guest writes to guest-physical [gpa, gpa+len) (HTIF's tohost). */
  watchGuestWrites(gpa: number, len: number, cb: (gpa: number, value: bigint, width: number) => void): () => void;
  /** Guest RAM bytes changed behind the hart's back (decoded-code cache). */
  ramWritten(gpa: number, len: number): void;
  /** A device wrote guest RAM (DMA): shadow entries derived from it go stale. */
  dmaWritten(gpa: number, len: number): void;
}

export interface GuestDeviceOptions extends VirtDeviceOptions {
  instructionsPerTick: number;
}

export class GuestDevices extends VirtDevices {
  constructor(guestRam: Ram, host: GuestDeviceHost, opts: GuestDeviceOptions) {
    const bus = new Bus(guestRam);
    bus.ramWriteListener = (gpa, len) => host.ramWritten(gpa, len);
    super({
      bus,
      harts: host.vcpus,
      retired: () => host.retired(),
      timerChanged: () => host.linesChanged(),
      irqLine: (bit, vcpu = 0) => ({ set: (level) => host.setMipLine(bit, level, vcpu) }),
      halt: (code, how) => host.halt(code, how),
      watchWrites: (gpa, len, cb) => host.watchGuestWrites(gpa, len, cb),
      dmaWritten: (gpa, len) => host.dmaWritten(gpa, len),
    }, opts.instructionsPerTick, opts);
  }
}

/**
 * Guest RAM as a `Ram` whose bytes are host RAM's, each guest page where the p2m puts it (a page the
 * guest touches for the first time gets its host frame here too): device DMA and the VMM's emulated
 * accesses reach guest RAM through it.
 */
export function guestRamWindow(host: Ram, p2m: P2m): Ram {
  const { gpaBase, size } = p2m;
  return {
    base: gpaBase,
    size,
    bytes: host.bytes,
    view: host.view,
    contains: (pa: number, len: number) => p2m.isRam(pa, len),
    offsetOf: (pa: number, len: number, write = false) => {
      const hpa = write ? p2m.toHpaForWrite(pa, len) : p2m.toHpa(pa, len);
      return hpa < 0 ? -1 : host.offsetOf(hpa, len, write);
    },
  } as Ram;
}
