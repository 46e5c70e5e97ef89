import { MIP_MSIP, MIP_MTIP } from "../isa/csr_bits";
import { Bus } from "./bus";
import { YieldCheck } from "./yield_check";
import type { DeviceHost, HaltHow, HaltSink, IrqLine } from "./device";
import { Clint } from "./devices/clint/model";
import { Hart } from "./hart/hart";
import { ramWritten, storeMadeFor } from "./hart/mem";
import { runFast } from "./hart/run";
import type { StopReason } from "./hart/stop";
import { enterTrap, pendingInterrupt, wakeable } from "./hart/trap";
import { Ram } from "./memory";

export type { StopReason } from "./hart/stop";

export interface BoardOptions {
  /** RAM size in bytes at 0x8000_0000; default 128 MiB. A whole number of 4 KiB pages. */
  memoryBytes?: number;
  /**
   * mtime advances one tick per this many retired instructions; default 100, what QEMU's
   * `-icount shift=0` gives (1 ns per instruction, 10 MHz timebase).
   */
  instructionsPerTick?: number;
  /**
   * Give the hart the H extension (hypervisor: misa.H, the H and VS CSRs, VS/VU modes, two-stage
   * translation; hart.ts), as QEMU's `-cpu rv64,h=true`. Default false: the hart of `-cpu rv64,h=false`.
   */
  hypervisorExtension?: boolean;
  /** The F and D extensions (single and double precision), as QEMU's `f` and `d`; default true. D needs F. */
  f?: boolean;
  d?: boolean;
}

export interface LoadableProgram {
  entry: bigint;
  /** memsz ≥ data.length; the rest of the segment is zeroed. */
  segments: { paddr: number; data: Uint8Array; memsz: number }[];
}

/** A program that cannot be placed on this board, e.g. a segment outside RAM. */
export class LoadError extends Error {
  override readonly name = "LoadError";
}

/** Board options that make no board, e.g. a RAM size that is not whole pages. */
export class BoardOptionsError extends Error {
  override readonly name = "BoardOptionsError";
}

/** The devices a board is built with; its run loop keeps time with their CLINT. */
export interface BoardDevices {
  readonly clint: Clint;
}

/** A bare board's one device, the CLINT (the VMM's host board is bare: its VMs bring their own). */
function clintOnly(host: DeviceHost, instructionsPerTick: number): BoardDevices {
  const clint = new Clint(() => host.retired(), instructionsPerTick, () => host.timerChanged());
  host.bus.attach(clint);
  return { clint };
}

export const RAM_BASE = 0x8000_0000;
const DEFAULT_MEMORY = 128 * 1024 * 1024;
const INTERRUPT = 1n << 63n;
/**
 * Trap entries in a row without a retired instruction after which a run stops as a trap loop: a
 * real handler retires instructions after at most a few nested traps, so this many means the
 * handler itself traps (no trap vector, a fetch fault at mtvec, an illegal first instruction), and
 * the guest would spin forever without a step of progress.
 */
export const TRAP_LOOP_STEPS = 4096;

/**
 * One hart, RAM and the CLINT, with the run loop that keeps time and interrupts exact. Other devices
 * come from the `devices` builder (virt.ts builds the `virt` board's).
 *
 * Boot follows QEMU's `virt` with `-bios none`: M-mode, pc = ELF entry, a0 = hartid (0). QEMU
 * also passes a1 = device-tree address and a2 = 0x1028 from its reset ROM; there is no device
 * tree here, so a1 and a2 start at 0 (the QEMU oracle must skip or mirror them).
 *
 * The run loop runs the hart in slices that end where mtime reaches mtimecmp, so MTIP rises and a
 * timer interrupt is taken right after the instruction at which mtime reaches mtimecmp.
 * Interrupts are checked between slices; anything inside a slice that may change them (CSR write,
 * xRET, MMIO, trap, WFI) ends the slice. A trap entry or interrupt entry uses one unit of budget
 * and retires nothing.
 *
 * WFI: the hart waits until (mip & mie) ≠ 0. If nothing pending can wake it and the only possible
 * source is the timer (MTIE set, mtimecmp not 2^64−1), time warps to mtimecmp: mtime jumps,
 * instret and mcycle do not (QEMU with icount also warps its virtual clock at WFI). Otherwise
 * run() returns { kind: "idle" } and the hart stays waiting; an interrupt line raised later (UART
 * input through the PLIC) wakes it on the next run().
 *
 * Hooks cost nothing when unused: breakpoints are checked by the interpreter only in pages that have
 * one and compiled into translated code as exits (hart/run.ts), so pages without breakpoints run at
 * full speed; watches and the trap hook live on the hart's slow paths only.
 */
export class Board implements HaltSink {
  readonly ram: Ram;
  readonly bus: Bus;
  readonly hart: Hart;
  readonly devices: BoardDevices;
  readonly clint: Clint;
  private halted: { code: number; how: HaltHow } | undefined;
  /** Traps in a row the hart took and delivered without retiring an instruction (TRAP_LOOP_STEPS). */
  private trapsInARow = 0;
  private dirty = false;
  /** Steps (instructions retired plus trap and interrupt entries) since load: a run's budget units. */
  steps = 0;

  constructor(opts: BoardOptions = {}, devices: (host: DeviceHost, instructionsPerTick: number) => BoardDevices = clintOnly) {
    const size = opts.memoryBytes ?? DEFAULT_MEMORY;
    if (!Number.isSafeInteger(size) || size < 4096 || size % 4096 !== 0) {
      throw new BoardOptionsError(`memoryBytes must be a positive multiple of 4096, not ${size}`);
    }
    const ipt = opts.instructionsPerTick ?? 100;
    if (!Number.isSafeInteger(ipt) || ipt < 1) {
      throw new BoardOptionsError(`instructionsPerTick must be a positive integer, not ${ipt}`);
    }
    this.ram = new Ram(RAM_BASE, size);
    this.bus = new Bus(this.ram);
    this.hart = new Hart(this.bus, { hypervisor: opts.hypervisorExtension === true, f: opts.f, d: opts.d });
    this.devices = devices({
      bus: this.bus,
      retired: () => this.hart.retired,
      timerChanged: () => this.syncClintLines(),
      irqLine: (bit) => this.irqLine(bit),
      halt: (code, how) => this.halt(code, how),
      watchWrites: (pa, len, cb) => this.watchWrites(pa, len, cb),
    }, ipt);
    this.clint = this.devices.clint;
    this.hart.time = this.clint;
    this.bus.ramWriteListener = (pa, len) => ramWritten(this.hart, pa, len);
    this.syncClintLines();
  }

  /** A level line into mip bit `mipBit` (11 = MEIP, 9 = SEIP), for the PLIC. */
  irqLine(mipBit: number): IrqLine {
    const bit = 1 << mipBit;
    return {
      set: (level: boolean) => {
        const h = this.hart;
        h.mipHw = level ? h.mipHw | bit : h.mipHw & ~bit;
        h.yieldReq = true;
      },
    };
  }

  halt(code: number, how: HaltHow): void {
    this.halted = { code, how };
    this.hart.yieldReq = true;
  }

  /** Calls `cb` after every guest write that touches [pa, pa+len). Returns the unsubscribe function. */
  watchWrites(pa: number, len: number, cb: (pa: number, value: bigint, width: number) => void): () => void {
    return this.hart.addWatch({ pa, len, read: false, write: true, onHit: (p, v, w) => (cb(p, v, w), false) });
  }

  /** A data breakpoint: the run stops with { kind: "watchpoint" } after an instruction accesses [pa, pa+len). */
  watchData(pa: number, len: number, access: { read?: boolean; write?: boolean }): () => void {
    return this.hart.addWatch({ pa, len, read: !!access.read, write: !!access.write, onHit: () => true });
  }

  /**
   * A store that software beside the hart (a VMM) made to RAM on behalf of the code it runs, `size`
   * bytes at `pa` (at most 8): watches see it as a store of the hart's. True when a data breakpoint
   * asks to stop; the caller, which made the store outside any run of the hart, stops its own run.
   */
  storeMadeFor(pa: number, size: number): boolean {
    return storeMadeFor(this.hart, pa, size);
  }

  /** Places the program's segments in RAM and resets the hart: M-mode, pc = entry, a0 = 0. */
  load(program: LoadableProgram): void {
    program.segments.forEach((s, i) => {
      if (s.memsz < s.data.length) {
        throw new LoadError(`segment ${i} at 0x${s.paddr.toString(16)} has memsz ${s.memsz} < filesz ${s.data.length}`);
      }
      if (!this.ram.contains(s.paddr, Math.max(s.memsz, 1))) {
        throw new LoadError(
          `segment ${i} at 0x${s.paddr.toString(16)} (${s.memsz} bytes) lies outside RAM ` +
            `0x${RAM_BASE.toString(16)}–0x${(RAM_BASE + this.ram.size).toString(16)}`,
        );
      }
    });
    if (this.dirty) this.ram.bytes.fill(0);
    for (const s of program.segments) this.ram.bytes.set(s.data, s.paddr - RAM_BASE);
    this.clint.reset();
    this.hart.reset(program.entry);
    this.halted = undefined;
    this.trapsInARow = 0;
    this.steps = 0;
    this.dirty = true;
    this.syncClintLines();
  }

  get instret(): bigint {
    return BigInt(this.hart.retired);
  }

  /** Exactly one instruction, or one trap/interrupt entry. */
  step(): StopReason {
    return this.run(1);
  }

  /**
   * Runs at most `budget` steps (instructions retired plus trap entries), or returns early ("budget")
   * when `yieldNow`, looked at now and then (yield_check.ts), says the caller's time is up.
   */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    const h = this.hart;
    let left = budget;
    let first = true;
    const yieldCheck = new YieldCheck(yieldNow, budget);
    for (;;) {
      if (this.halted) return { kind: "halt", code: this.halted.code, how: this.halted.how };
      if (h.pendingStop) {
        const stop = h.pendingStop;
        h.pendingStop = undefined;
        return stop;
      }
      if (this.trapsInARow >= TRAP_LOOP_STEPS) {
        this.trapsInARow = 0;
        return { kind: "trap-loop", pc: h.pc };
      }
      if (left <= 0 || yieldCheck.due(left)) return { kind: "budget" };
      this.syncClintLines();
      if (h.waiting) {
        if (!wakeable(h)) {
          // mie.MTIE sits where mip.MTIP does.
          if ((h.mie & MIP_MTIP) === 0 || !this.clint.canFire()) return { kind: "idle" };
          this.clint.warpToDeadline();
        }
        h.waiting = false;
      }
      if (h.autoInterrupts) {
        const irq = pendingInterrupt(h);
        if (irq >= 0) {
          enterTrap(h, INTERRUPT | BigInt(irq), 0n);
          this.trapsInARow++;
          left--;
          this.steps++;
          first = false;
          continue;
        }
      }
      let slice = left;
      if (h.breakpoints.size > 0 && h.breakpoints.hasNum(h.pcNum)) {
        if (!first) return { kind: "breakpoint", pc: h.pc };
        // The run starts on a breakpoint (resuming from it): that one instruction runs regardless.
        slice = 1;
        h.bpIgnore = true;
      }
      const deadline = this.clint.deadline();
      if (deadline >= 0) slice = Math.min(slice, deadline - h.retired);
      h.yieldReq = false;
      h.sliceTraps = 0;
      const before = h.retired;
      runFast(h, slice);
      h.bpIgnore = false;
      const retired = h.retired - before;
      // Traps that end the run (a hook asked to stop) are not delivered here: a VMM sees them.
      const stop = h.pendingStop as StopReason | undefined; // set by the run, which TypeScript cannot see
      const delivered = h.sliceTraps - (stop?.kind === "trap" ? 1 : 0);
      this.trapsInARow = retired > 0 ? delivered : this.trapsInARow + delivered;
      left -= retired + h.sliceTraps;
      this.steps += retired + h.sliceTraps;
      first = false;
    }
  }

  /** Drives MSIP and MTIP from the CLINT's state. */
  private syncClintLines(): void {
    const h = this.hart;
    let hw = h.mipHw & ~(MIP_MTIP | MIP_MSIP);
    if (this.clint.mtip()) hw |= MIP_MTIP;
    if (this.clint.msip) hw |= MIP_MSIP;
    h.mipHw = hw;
  }
}
