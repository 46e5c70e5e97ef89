import { MIP_MSIP, MIP_MTIP } from "../isa/csr_bits";
import { Bus } from "./bus";
import { YieldCheck } from "./yield_check";
import type { DeviceHost, HaltHow, HaltSink, IrqLine } from "./device";
import { Clint } from "./devices/clint/model";
import { Hart, type Watch } from "./hart/hart";
import { ramWritten, storeMadeFor } from "./hart/mem";
import { runFast } from "./hart/run";
import type { StopReason } from "./hart/stop";
import { enterTrap, pendingInterrupt, wakeable } from "./hart/trap";
import { Ram } from "./memory";
import { RoundRobin } from "./round_robin";

export type { StopReason } from "./hart/stop";

export interface BoardOptions {
  /** RAM size in bytes at 0x8000_0000; default 128 MiB. A whole number of 4 KiB pages. */
  memoryBytes?: number;
  /**
   * mtime advances one tick per this many retired instructions; default 100, what QEMU's
   * `-icount shift=0` gives (1 ns per instruction, 10 MHz timebase). A fraction for larger shifts
   * (clint/timebase.ts), a multiple of 2^−10 so that the CLINT's arithmetic stays exact.
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
  /** How many harts (QEMU's `-smp`), 1 to MAX_HARTS; default 1. */
  smp?: number;
  /** With several harts, the steps each runs before the next takes over; default QUANTUM. */
  quantum?: number;
  /**
   * RAM this board shares with others (a VMM's host RAM, on which each VM's world runs: host.ts),
   * instead of its own of `memoryBytes`. Whoever made it clears it: `load` writes the segments only.
   * The boards' harts must become peers (sharePeers), so that each drops code the others overwrite.
   */
  ram?: Ram;
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
  const clint = new Clint(() => host.retired(), instructionsPerTick, () => host.timerChanged(), host.harts);
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
/** The most harts a board takes (QEMU's virt takes 512; this simulator runs them one after another). */
export const MAX_HARTS = 8;
/**
 * With several harts, the steps (instructions retired plus trap entries) each hart runs before the
 * next takes over, round-robin from hart 0: short enough that harts meet in spinlocks and IPIs
 * within a few thousand instructions, long enough that switching costs nothing measurable.
 */
export const QUANTUM = 1000;

/**
 * One or more harts, RAM and the CLINT, with the run loop that keeps time and interrupts exact.
 * Other devices come from the `devices` builder (virt.ts builds the `virt` board's).
 *
 * Boot follows QEMU's `virt` with `-bios none`: every hart starts in M-mode at the ELF entry with
 * a0 = its mhartid (QEMU's reset ROM does `csrr a0, mhartid` and jumps to the kernel on every hart).
 * QEMU also passes a1 = device-tree address and a2 = 0x1028 from its reset ROM; there is no device
 * tree here, so a1 and a2 start at 0 (the QEMU oracle must skip or mirror them).
 *
 * Several harts (`smp`) run one at a time, round-robin from hart 0, each for QUANTUM steps, or until
 * it waits in WFI with nothing to wake it, or until it stops the run (a breakpoint, a watchpoint, a
 * trap hook): the interleaving depends on nothing but the guest, so runs are deterministic, and a
 * run that returns resumes the same hart with the rest of its quantum. Each hart has its own
 * registers, CSRs (mhartid), TLB (so sfence.vma is hart-local) and decoded code; RAM, devices and
 * mtime (which counts the instructions of all harts, as QEMU's icount does) are shared. An
 * instruction runs whole before another hart runs, so AMOs are atomic across harts. An LR's
 * reservation is broken by any store of another hart to its address (an SC or AMO included): while
 * a hart holds one, the others run with a write watch on it (syncReservationWatches). Only when
 * every hart waits in WFI does time warp, to the earliest timer that can wake one.
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
  /** Hart 0: the one hart of a one-hart board. */
  readonly hart: Hart;
  /** Every hart, indexed by mhartid. */
  readonly harts: readonly Hart[];
  readonly devices: BoardDevices;
  readonly clint: Clint;
  readonly quantum: number;
  private halted: { code: number; how: HaltHow } | undefined;
  /** Per hart: traps in a row it took and delivered without retiring an instruction (TRAP_LOOP_STEPS). */
  private readonly trapsInARow: number[];
  private dirty = false;
  /** False when the RAM is shared (opts.ram): its owner clears it. */
  private readonly ownsRam: boolean;
  /** Steps (instructions retired plus trap and interrupt entries) since load: a run's budget units. */
  steps = 0;
  /** Which hart runs, round-robin (round_robin.ts). */
  private readonly scheduler: RoundRobin;
  /**
   * Per hart: the removers of the reservation watches it runs with (syncReservationWatches). Not
   * state (the history leaves it out): it says what is installed now, whatever moment is restored.
   */
  private readonly reservationWatches: (() => void)[][];

  constructor(opts: BoardOptions = {}, devices: (host: DeviceHost, instructionsPerTick: number) => BoardDevices = clintOnly) {
    const size = opts.ram?.size ?? opts.memoryBytes ?? DEFAULT_MEMORY;
    if (!Number.isSafeInteger(size) || size < 4096 || size % 4096 !== 0) {
      throw new BoardOptionsError(`memoryBytes must be a positive multiple of 4096, not ${size}`);
    }
    const ipt = opts.instructionsPerTick ?? 100;
    if (!Number.isSafeInteger(ipt * 1024) || ipt <= 0) {
      throw new BoardOptionsError(`instructionsPerTick must be a positive multiple of 1/1024, not ${ipt}`);
    }
    const smp = opts.smp ?? 1;
    if (!Number.isSafeInteger(smp) || smp < 1 || smp > MAX_HARTS) {
      throw new BoardOptionsError(`smp must be a whole number of harts from 1 to ${MAX_HARTS}, not ${smp}`);
    }
    const quantum = opts.quantum ?? QUANTUM;
    if (!Number.isSafeInteger(quantum) || quantum < 1) {
      throw new BoardOptionsError(`quantum must be a positive integer, not ${quantum}`);
    }
    this.quantum = quantum;
    this.ram = opts.ram ?? new Ram(RAM_BASE, size);
    this.ownsRam = opts.ram === undefined;
    this.bus = new Bus(this.ram);
    const harts = Array.from({ length: smp }, (_, id) =>
      new Hart(this.bus, { hypervisor: opts.hypervisorExtension === true, f: opts.f, d: opts.d, hartId: id }));
    for (const h of harts) h.peers = harts;
    this.harts = harts;
    this.hart = harts[0];
    this.trapsInARow = harts.map(() => 0);
    this.reservationWatches = harts.map(() => []);
    this.scheduler = new RoundRobin(smp, quantum, {
      steps: () => this.steps,
      halted: () => (this.halted ? { kind: "halt", code: this.halted.code, how: this.halted.how } : undefined),
      warpToFirstTimer: () => this.warpToFirstTimer(),
      switched: (n) => this.syncReservationWatches(n),
    });
    const hart = this.hart;
    this.devices = devices({
      bus: this.bus,
      harts: smp,
      retired: smp === 1 ? () => hart.retired : () => this.retiredAll(),
      timerChanged: () => this.syncClintLines(),
      irqLine: (bit, n) => this.irqLine(bit, n),
      halt: (code, how) => this.halt(code, how),
      watchWrites: (pa, len, cb) => this.watchWrites(pa, len, cb),
    }, ipt);
    this.clint = this.devices.clint;
    for (const h of harts) h.time = this.clint;
    this.bus.ramWriteListener = (pa, len) => ramWritten(hart, pa, len);
    this.syncClintLines();
  }

  /** A level line into mip bit `mipBit` (11 = MEIP, 9 = SEIP) of hart `hartId`, for the PLIC. */
  irqLine(mipBit: number, hartId = 0): IrqLine {
    const bit = 1 << mipBit;
    const h = this.harts[hartId];
    return {
      set: (level: boolean) => {
        h.mipHw = level ? h.mipHw | bit : h.mipHw & ~bit;
        h.yieldReq = true;
      },
    };
  }

  halt(code: number, how: HaltHow): void {
    this.halted = { code, how };
    for (const h of this.harts) h.yieldReq = true;
  }

  /** Calls `cb` after every guest write that touches [pa, pa+len). Returns the unsubscribe function. */
  watchWrites(pa: number, len: number, cb: (pa: number, value: bigint, width: number) => void): () => void {
    return this.watchAll({ pa, len, read: false, write: true, onHit: (p, v, w) => (cb(p, v, w), false) });
  }

  /** A data breakpoint: the run stops with { kind: "watchpoint" } after an instruction accesses [pa, pa+len). */
  watchData(pa: number, len: number, access: { read?: boolean; write?: boolean }): () => void {
    return this.watchAll({ pa, len, read: !!access.read, write: !!access.write, onHit: () => true });
  }

  /** Adds the watch to every hart (any of them may make the access); returns the remover. */
  private watchAll(w: Watch): () => void {
    const removers = this.harts.map((h) => h.addWatch(w));
    return () => removers.forEach((remove) => remove());
  }

  /** Instructions retired by all harts together: what mtime counts. */
  private retiredAll(): number {
    let n = 0;
    for (const h of this.harts) n += h.retired;
    return n;
  }

  /**
   * A store that software beside the hart (a VMM) made to RAM on behalf of the code it runs, `size`
   * bytes at `pa` (at most 8): watches see it as a store of the hart's. True when a data breakpoint
   * asks to stop; the caller, which made the store outside any run of the hart, stops its own run.
   */
  storeMadeFor(pa: number, size: number): boolean {
    return storeMadeFor(this.hart, pa, size);
  }

  /** Places the program's segments in RAM and resets every hart: M-mode, pc = entry, a0 = mhartid. */
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
    if (this.dirty && this.ownsRam) this.ram.bytes.fill(0);
    for (const s of program.segments) {
      this.ram.noteWritten(s.paddr - RAM_BASE, s.data.length);
      this.ram.bytes.set(s.data, s.paddr - RAM_BASE);
    }
    this.clint.reset();
    for (const h of this.harts) h.reset(program.entry);
    this.halted = undefined;
    this.trapsInARow.fill(0);
    this.steps = 0;
    this.scheduler.reset();
    this.syncReservationWatches(0);
    this.dirty = true;
    this.syncClintLines();
  }

  /** Instructions retired by all harts. */
  get instret(): bigint {
    return BigInt(this.harts.length === 1 ? this.hart.retired : this.retiredAll());
  }

  /** The hart that runs now. */
  get current(): number {
    return this.scheduler.current;
  }

  /** The hart the last stop of a run concerns (the one that hit the breakpoint, trapped, …). */
  get stopHart(): number {
    return this.scheduler.stopped;
  }

  /**
   * Makes hart `n` the one that runs next, with a fresh quantum (the debugger steps the thread the
   * user selected). Nothing changes when it already is.
   */
  focus(n: number): void {
    this.scheduler.focus(n);
  }

  /** Exactly one instruction, or one trap/interrupt entry. */
  step(): StopReason {
    return this.run(1);
  }

  /**
   * Runs at most `budget` steps (instructions retired plus trap entries, of all harts), or returns
   * early ("budget") when `yieldNow`, looked at now and then (yield_check.ts), says the caller's time
   * is up. `stopHart` says which hart a stop concerns.
   */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    const yieldCheck = new YieldCheck(yieldNow, budget);
    if (this.harts.length === 1) return this.runHart(0, budget, 0, yieldCheck, true);
    return this.scheduler.run(budget, (n, slice, rest, first) => this.runHart(n, slice, rest, yieldCheck, first));
  }

  /**
   * Every hart waits in WFI: time warps to the earliest mtimecmp among the harts whose timer can wake
   * them (MTIE set, mtimecmp not "never"). False when none can: the board is idle.
   */
  private warpToFirstTimer(): boolean {
    let first = -1;
    let at = Infinity;
    this.harts.forEach((h, n) => {
      const deadline = this.clint.deadline(n);
      if ((h.mie & MIP_MTIP) !== 0 && this.clint.canFire(n) && deadline >= 0 && deadline < at) {
        first = n;
        at = deadline;
      }
    });
    if (first < 0) return false;
    this.clint.warpToDeadline(first);
    return true;
  }

  /**
   * The harts' state was put back to an earlier moment (time travel): the reservation watches
   * installed since go, and the running hart gets those the restored reservations need.
   */
  reservationsRestored(): void {
    this.reservationWatches.forEach((removers, n) => {
      for (const remove of removers) remove();
      this.reservationWatches[n] = [];
    });
    this.syncReservationWatches(this.current);
  }

  /**
   * Hart `n` is about to run: it gets a write watch on each reservation another hart holds (whose
   * hit breaks that reservation), and loses those it had. Nothing happens (no cache flush) when no
   * hart holds one.
   */
  private syncReservationWatches(n: number): void {
    const installed = this.reservationWatches[n];
    const holders = this.harts.filter((h, k) => k !== n && h.resAddr === h.resAddr);
    if (installed.length === 0 && holders.length === 0) return;
    for (const remove of installed) remove();
    this.reservationWatches[n] = holders.map((k) => {
      const pa = k.resPa;
      return this.harts[n].addWatch({
        pa, len: k.resSize, read: false, write: true,
        onHit: () => {
          if (k.resPa === pa) k.resAddr = NaN;
          return false;
        },
      });
    });
  }

  /**
   * Runs hart `n` for at most `budget` steps. `rest` is what the caller's budget holds beyond these
   * (for yieldCheck's accounting); `first` says the run starts here (a breakpoint at the pc is the
   * one the last run stopped at). With one hart, a WFI with only the timer to wake it warps time to
   * mtimecmp; with several, the hart returns "idle" and the scheduler decides.
   */
  private runHart(n: number, budget: number, rest: number, yieldCheck: YieldCheck, first: boolean): StopReason {
    const h = this.harts[n];
    const alone = this.harts.length === 1;
    let left = budget;
    for (;;) {
      if (this.halted) return { kind: "halt", code: this.halted.code, how: this.halted.how };
      if (h.pendingStop) {
        const stop = h.pendingStop;
        h.pendingStop = undefined;
        return stop;
      }
      if (this.trapsInARow[n] >= TRAP_LOOP_STEPS) {
        this.trapsInARow[n] = 0;
        return { kind: "trap-loop", pc: h.pc };
      }
      if (left <= 0 || yieldCheck.due(left + rest)) return { kind: "budget" };
      this.syncClintLines();
      if (h.waiting) {
        if (!wakeable(h)) {
          // mie.MTIE sits where mip.MTIP does.
          if (!alone || (h.mie & MIP_MTIP) === 0 || !this.clint.canFire()) return { kind: "idle" };
          this.clint.warpToDeadline();
        }
        h.waiting = false;
      }
      if (h.autoInterrupts) {
        const irq = pendingInterrupt(h);
        if (irq >= 0) {
          enterTrap(h, INTERRUPT | BigInt(irq), 0n);
          this.trapsInARow[n]++;
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
      const deadline = this.clint.deadline(n);
      if (deadline >= 0) slice = Math.min(slice, deadline - (alone ? h.retired : this.retiredAll()));
      h.yieldReq = false;
      h.sliceTraps = 0;
      const before = h.retired;
      runFast(h, slice);
      h.bpIgnore = false;
      const retired = h.retired - before;
      // Traps that end the run (a hook asked to stop) are not delivered here: a VMM sees them.
      const stop = h.pendingStop as StopReason | undefined; // set by the run, which TypeScript cannot see
      const delivered = h.sliceTraps - (stop?.kind === "trap" ? 1 : 0);
      this.trapsInARow[n] = retired > 0 ? delivered : this.trapsInARow[n] + delivered;
      left -= retired + h.sliceTraps;
      this.steps += retired + h.sliceTraps;
      first = false;
    }
  }

  /** Drives each hart's MSIP and MTIP from the CLINT's state. */
  private syncClintLines(): void {
    const c = this.clint;
    for (let n = 0; n < this.harts.length; n++) {
      const h = this.harts[n];
      let hw = h.mipHw & ~(MIP_MTIP | MIP_MSIP);
      if (c.mtip(n)) hw |= MIP_MTIP;
      if (c.msips[n]) hw |= MIP_MSIP;
      h.mipHw = hw;
    }
  }
}

/**
 * Makes the harts of boards that share one RAM (opts.ram) peers of each other: each keeps its own
 * decoded code of the shared RAM, and a store of any of them must drop the others' (hart/mem.ts).
 */
export function sharePeers(boards: readonly Board[]): void {
  const harts = boards.flatMap((b) => b.harts);
  for (const h of harts) h.peers = harts;
}
