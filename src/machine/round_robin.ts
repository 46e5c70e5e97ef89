import type { StopReason } from "./hart/stop";

/**
 * What a round-robin scheduler runs, one at a time: the board's harts, or a VMM's vCPUs on its
 * host hart (hypervisor/vm.ts), which must interleave exactly as the harts do for a guest to see
 * the same under both.
 */
export interface RoundRobinHost {
  /** Steps (instructions retired plus trap entries) of all of them since load. */
  steps(): number;
  /** The halt that ends every run, once a guest has halted. */
  halted(): StopReason | undefined;
  /** Every one waits in WFI: warps time to the earliest timer that can wake one; false when none can. */
  warpToFirstTimer(): boolean;
  /** Number `n` takes over (before it runs); the host does what that needs (reservation watches). */
  switched(n: number): void;
}

/**
 * Runs number `n` for at most `budget` steps; `rest` is what the caller's budget holds beyond these,
 * `first` says the run starts here. "idle": it waits in WFI with nothing to wake it.
 */
export type RunOne = (n: number, budget: number, rest: number, first: boolean) => StopReason;

/**
 * Round-robin from number 0, each for `quantum` steps, or until it waits in WFI with nothing to wake
 * it, or until it stops the run (a breakpoint, a watchpoint, a trap hook): the interleaving depends
 * on nothing but the guest, so runs are deterministic, and a run that returns resumes the same one
 * with the rest of its quantum. Only when every one waits does time warp, to the earliest timer
 * that can wake one.
 */
export class RoundRobin {
  /** The one that runs now, and the steps left of its quantum. */
  current = 0;
  private quantumLeft: number;
  /** The one the last stop of a run concerns (the one that hit the breakpoint, trapped, …). */
  stopped = 0;
  /** Times a run passed from one to the next, since load (not counting the debugger's `focus`). */
  switches = 0;

  constructor(readonly count: number, readonly quantum: number, private readonly host: RoundRobinHost) {
    this.quantumLeft = quantum;
  }

  /** Back to number 0 with a fresh quantum (a new guest). */
  reset(): void {
    this.current = 0;
    this.quantumLeft = this.quantum;
    this.stopped = 0;
    this.switches = 0;
  }

  /** Makes number `n` the one that runs next, with a fresh quantum; nothing changes when it already is. */
  focus(n: number): void {
    if (n === this.current) return;
    this.current = n;
    this.quantumLeft = this.quantum;
    this.host.switched(n);
  }

  /** The next one takes over, with a fresh quantum (the same one again, when it is alone). */
  private rotate(): void {
    this.switches++;
    this.quantumLeft = this.quantum;
    this.focus((this.current + 1) % this.count);
  }

  /** Runs at most `budget` steps of all of them, each by `runOne`; returns "budget" early when that said the caller's time is up. */
  run(budget: number, runOne: RunOne): StopReason {
    const host = this.host;
    let left = budget;
    let first = true;
    /** How many in a row waited in WFI with nothing to wake them and ran no step. */
    let waiting = 0;
    for (;;) {
      const halt = host.halted();
      if (halt) return halt;
      if (left <= 0) return { kind: "budget" };
      const n = this.current;
      const slice = Math.min(left, this.quantumLeft);
      const before = host.steps();
      const stop = runOne(n, slice, left - slice, first);
      const used = host.steps() - before;
      first = false;
      left -= used;
      this.quantumLeft -= used;
      if (stop.kind === "idle") {
        waiting = used > 0 ? 1 : waiting + 1;
        this.rotate();
        if (waiting < this.count) continue;
        if (!host.warpToFirstTimer()) return stop;
        waiting = 0;
        continue;
      }
      if (used > 0) waiting = 0;
      if (stop.kind !== "budget") {
        this.stopped = n;
        return stop;
      }
      if (this.quantumLeft <= 0) this.rotate();
      else if (used < slice) return stop; // the caller's time is up
    }
  }
}
