import type { StopReason } from "../../machine/board";
import { captureState, restoreState, type ObjectState, type StatePolicy } from "./object_state";
import { captureRam, ownPages, PAGE_BYTES, restoreRam, type RamImage } from "./ram_pages";
import type { InputEvent, RecordedConsole } from "./recorded_console";

/** What a target gives its history: its state, its raw run, and how to drop what derives from state. */
export interface HistoryMachine {
  /** Everything that is state (the board, or the VM with its VMM), and what in it is not. */
  readonly root: object;
  readonly policy: StatePolicy;
  /** The RAM, kept page by page (the policy leaves it out of the object graph). */
  readonly ram: Uint8Array;
  /** Per page of `ram`, 1 once it may have been written (machine/memory.ts, Ram.written). */
  readonly written: Uint8Array;
  /** Steps since load (run's budget units): the position in the guest's history. */
  readonly steps: number;
  /** Instructions retired and VM exits so far (0 natively): where `goto` finds its points. */
  readonly instret: number;
  readonly exits: number;
  /** Runs the guest; `yieldNow` says when the caller's time is up (Target.run). */
  run(budget: number, yieldNow?: () => boolean): StopReason;
  pollInput(): boolean;
  /** The pc when the debugger has a breakpoint there, else undefined. */
  breakpointHere(): bigint | undefined;
  /** The state was put back to an earlier moment: decoded code and software TLBs are stale. */
  restored(): void;
  /** Runs `fn` with the debugger's trap hook and exit filter off (replay must not count their hits). */
  withoutHooks<T>(fn: () => T): T;
}

interface Snapshot {
  position: number;
  instret: number;
  exits: number;
  state: ObjectState;
  ram: RamImage;
  /** The console's input cursor. */
  cursor: number;
  /** What this snapshot alone holds: its object state and the RAM pages the previous one does not share. */
  bytes: number;
  /** Taken right after the debugger wrote to the guest: re-execution must never run across it. */
  pinned: boolean;
}

/** Default history budget: 512 MiB of snapshots. */
export const DEFAULT_HISTORY_BYTES = 512 * 1024 * 1024;
/**
 * A snapshot is taken once the guest has run this many times as long as the last snapshot took
 * (at most 1/4 overhead), but after at most MAX_RUN_MS of running (Step Back re-executes from the
 * snapshot before, which must stay quick) and no sooner than MIN_RUN_MS.
 */
const RUN_PER_SNAPSHOT_COST = 4;
const MAX_RUN_MS = 60;
const MIN_RUN_MS = 10;

/**
 * How long the guest runs (ms) before the next snapshot, given what the last one took. A snapshot
 * slower than MAX_RUN_MS (a VMM's shadow tables of a whole OS: tens of thousands of entries) still
 * waits as long as it took: with the cap alone, xv6 under trap-and-emulate spent nine tenths of
 * its time taking snapshots. Step Back then re-executes at most as long as its restore takes.
 */
export function snapshotWaitMs(lastSnapshotMs: number): number {
  return Math.max(MIN_RUN_MS, Math.min(MAX_RUN_MS, RUN_PER_SNAPSHOT_COST * lastSnapshotMs), lastSnapshotMs);
}
/** Nor more often than this many steps apart. */
const MIN_SNAPSHOT_STEPS = 10_000;

export interface HistoryStats {
  enabled: boolean;
  /** The earliest position one can travel to, the current one and the newest recorded. */
  oldest: number;
  position: number;
  newest: number;
  snapshots: number;
  bytes: number;
  budgetBytes: number;
}

/**
 * The guest's past: snapshots of the whole machine (and VMM) taken while it runs forward, plus the
 * console input it read, so that any earlier position can be reached exactly by restoring the
 * snapshot before it and re-executing (the machine is deterministic: time is the instruction count).
 *
 * A position counts steps, what `run`'s budget counts: instructions retired plus traps taken. The
 * timeline runs from the oldest snapshot kept to the furthest position reached (`newest`); running
 * forward from the past re-executes it, silently and with the recorded input, until `newest`. A write
 * by the debugger forks the timeline: the recorded future goes, and a pinned snapshot after the
 * write keeps re-execution from running across it.
 */
export class History {
  private snapshots: Snapshot[] = [];
  private furthest = 0;
  /** Instructions retired at `furthest`. */
  private furthestInstret = 0;
  private runMsSinceSnapshot = 0;
  /** The last write in the past: where the timeline forked and how many steps of future went. */
  lastFork: { at: number; discarded: number } | undefined;
  private lastSnapshotMs = 0;

  constructor(
    private readonly machine: HistoryMachine,
    private readonly console: RecordedConsole,
    readonly budgetBytes: number = DEFAULT_HISTORY_BYTES,
  ) {
    if (this.enabled) this.snapshot(false);
  }

  get enabled(): boolean {
    return this.budgetBytes > 0;
  }
  get position(): number {
    return this.machine.steps;
  }
  get oldest(): number {
    return this.snapshots[0]?.position ?? this.position;
  }
  get newest(): number {
    return Math.max(this.furthest, this.position);
  }
  /** Steps of recorded future ahead of the current position (0 in the present). */
  get future(): number {
    return this.newest - this.position;
  }

  stats(): HistoryStats {
    return {
      enabled: this.enabled, oldest: this.oldest, position: this.position, newest: this.newest,
      snapshots: this.snapshots.length, bytes: this.snapshots.reduce((s, x) => s + x.bytes, 0), budgetBytes: this.budgetBytes,
    };
  }

  /**
   * Runs forward (the target's run): records in the present, re-executes silently in the past, and
   * a run from the past ends where the present is. Where recorded input was read, the history cuts
   * a run into two calls of the machine and goes on as one run. A breakpoint where it cut a run
   * (there, or at the present) fires as it would have in one run: a call of the machine never stops
   * at the breakpoint it starts on, since that is resuming from it.
   */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    for (let left = budget; ;) {
      const start = this.position;
      const { stop, allowed } = this.runSlice(left, yieldNow);
      const ran = this.position - start;
      left -= ran;
      if (allowed === undefined || ran !== allowed || stop.kind !== "budget" || left <= 0) return stop;
      const pc = this.machine.breakpointHere();
      if (pc !== undefined) return { kind: "breakpoint", pc };
      if (this.position >= this.furthest || yieldNow?.()) return stop;
    }
  }

  /** One call of the machine, cut short (to `allowed` steps) where the past ends or recorded input was read. */
  private runSlice(budget: number, yieldNow?: () => boolean): { stop: StopReason; allowed?: number } {
    const m = this.machine;
    const start = this.position;
    // In the past, stop where the present is. Where recorded input is still to replay (the past's,
    // or a replayed run's), stop wherever it was read, so that it is read by a call that begins at
    // the same position.
    let allowed = start < this.furthest ? Math.min(budget, this.furthest - start) : budget;
    if (this.console.inputAt(start)) this.call(() => m.pollInput());
    const next = this.console.nextInputAfter(start);
    if (next !== undefined) allowed = Math.min(allowed, next - start);
    const cut = allowed < budget ? allowed : undefined;
    if (!this.enabled) return { stop: this.call(() => m.run(allowed, yieldNow)), allowed: cut };
    if (start >= this.furthest && this.snapshotDue()) this.snapshot(false);
    this.console.muted = start < this.furthest;
    const t0 = performance.now();
    try {
      return { stop: this.call(() => m.run(allowed, yieldNow)), allowed: cut };
    } finally {
      this.console.muted = false;
      if (start >= this.furthest) this.runMsSinceSnapshot += performance.now() - t0;
      if (this.position >= this.furthest) {
        this.furthest = this.position;
        this.furthestInstret = m.instret;
      }
    }
  }

  pollInput(): boolean {
    return this.call(() => this.machine.pollInput());
  }

  /**
   * The debugger wrote to the guest (register, CSR, memory, pc). In the past that forks the
   * timeline: returns how many steps of recorded future were discarded (0 in the present).
   */
  written(): number {
    if (!this.enabled) return 0;
    const lost = this.future;
    const here = this.position;
    if (lost > 0) {
      this.lastFork = { at: here, discarded: lost };
      this.snapshots = this.snapshots.filter((s) => s.position < here || (s.position === here && s.pinned));
      this.console.truncate();
      this.furthest = here;
      this.furthestInstret = this.machine.instret;
    }
    this.snapshots = this.snapshots.filter((s) => s.position !== here);
    this.snapshot(true);
    return lost;
  }

  /** Travels to `position` (oldest ≤ position ≤ newest); false when it lies outside the history. */
  travelTo(position: number): boolean {
    if (!this.enabled || position < this.oldest || position > this.newest) return false;
    const here = this.position;
    const from = this.latest((s) => s.position <= position);
    if (!(here <= position && here >= from.position)) this.restore(from);
    this.replay(() => position - this.position);
    return this.position === position;
  }

  /** Travels to the first position at which `n` instructions have retired. */
  travelToInstret(n: number): boolean {
    if (!this.enabled || this.snapshots[0].instret > n || n > this.newestInstret()) return false;
    this.restore(this.latest((s) => s.instret <= n));
    this.replay(() => n - this.machine.instret);
    return this.machine.instret === n;
  }

  /**
   * Travels to just before VM exit `seq` happens: the last position at which fewer than `seq`
   * exits had happened, the guest then about to run the instruction (or take the trap) that exits.
   */
  travelBeforeExit(seq: number, instret: number): boolean {
    if (!this.enabled || this.snapshots[0].exits >= seq) return false;
    const m = this.machine;
    // Exit `seq` happened with `instret` instructions retired: run to there, then step to it.
    this.restore(this.latest((s) => s.exits < seq));
    this.replay(() => (m.exits >= seq ? 0 : instret - m.instret));
    // A run's last step may have taken the exit (the VMM handles it within the step): back off.
    while (m.exits >= seq) if (this.position <= this.oldest || !this.travelTo(this.position - 1)) return false;
    while (this.position < this.newest) {
      const before = this.position;
      this.replay(() => (this.position === before ? 1 : 0));
      if (this.position === before) return false;
      if (m.exits >= seq) return this.travelTo(before);
    }
    return false;
  }

  /**
   * Reverse continue: runs each stretch of the past between snapshots with `run` (the debugger's
   * forward run, its stops on; it returns what stopped it where the debugger would stop, else
   * undefined), newest stretch first, and travels to the last position before now where it
   * stopped. Returns that stop and position, or undefined when nothing stopped it (the guest is then
   * at the oldest position).
   */
  searchBack<T>(run: (budget: number) => T | undefined): { stop: T; position: number } | undefined {
    if (!this.enabled) return undefined;
    const end = this.position;
    for (let k = this.snapshots.length - 1; k >= 0; k--) {
      const s = this.snapshots[k];
      if (s.position >= end) continue;
      this.restore(s);
      // One step into the next stretch: a stop at the next snapshot's own position (a breakpoint the
      // debugger stopped at, where the next run took a snapshot) is found only by a run that reaches
      // it, never by one that starts there.
      const found = this.lastStop(run, Math.min(end, (this.snapshots[k + 1]?.position ?? end) + 1), end);
      if (found) {
        this.travelTo(found.position);
        return found;
      }
    }
    this.travelTo(this.oldest);
    return undefined;
  }

  /**
   * Reverse continue for stops that depend on everything before them (hit counts): runs the whole
   * recorded past with `run`, from the oldest snapshot up to now and in order, and travels to the
   * last position before now where it stopped. Slower than searchBack, which runs only the stretches
   * it needs. Returns that stop and position, or undefined (the guest is then at the oldest position).
   */
  searchBackInOrder<T>(run: (budget: number) => T | undefined): { stop: T; position: number } | undefined {
    if (!this.enabled) return undefined;
    const end = this.position;
    this.restore(this.snapshots[0]);
    const found = this.lastStop(run, end, end);
    this.travelTo(found?.position ?? this.oldest);
    return found;
  }

  /** Runs from here to `until` with `run`; the last stop before `end`, and where. */
  private lastStop<T>(run: (budget: number) => T | undefined, until: number, end: number): { stop: T; position: number } | undefined {
    let found: { stop: T; position: number } | undefined;
    while (this.position < until) {
      const before = this.position;
      const stop = run(until - before);
      if (stop !== undefined && this.position < end) found = { stop, position: this.position };
      if (this.position === before) break;
    }
    return found;
  }

  private newestInstret(): number {
    return this.position >= this.furthest ? this.machine.instret : this.furthestInstret;
  }

  /** Re-executes with the debugger's hooks off, `budget()` steps at a time, until it says 0 or the present is reached. */
  private replay(budget: () => number): void {
    this.machine.withoutHooks(() => {
      for (let b = budget(); b > 0 && this.position < this.furthest; b = budget()) {
        const before = this.position;
        this.run(b);
        if (this.position === before) return;
      }
    });
  }

  /** The input the guest read so far on this timeline (with a replayed run's still to come). */
  get input(): readonly InputEvent[] {
    return this.console.input;
  }

  private call<T>(fn: () => T): T {
    this.console.callStart = this.position;
    this.console.callInstret = this.machine.instret;
    return fn();
  }

  private latest(pred: (s: Snapshot) => boolean): Snapshot {
    for (let k = this.snapshots.length - 1; k > 0; k--) if (pred(this.snapshots[k])) return this.snapshots[k];
    return this.snapshots[0];
  }

  private snapshotDue(): boolean {
    const last = this.snapshots[this.snapshots.length - 1];
    return this.position - (last?.position ?? 0) >= MIN_SNAPSHOT_STEPS && this.runMsSinceSnapshot >= snapshotWaitMs(this.lastSnapshotMs);
  }

  private snapshot(pinned: boolean): void {
    const t0 = performance.now();
    const m = this.machine;
    const previous = this.snapshots[this.snapshots.length - 1];
    const state = captureState(m.root, m.policy);
    const { image, copied } = captureRam(m.ram, m.written, previous?.ram);
    this.snapshots.push({
      position: this.position, instret: m.instret, exits: m.exits, state, ram: image, cursor: this.console.cursor,
      bytes: state.bytes + copied * PAGE_BYTES, pinned,
    });
    this.thin();
    this.lastSnapshotMs = performance.now() - t0;
    this.runMsSinceSnapshot = 0;
  }

  private restore(s: Snapshot): void {
    restoreState(s.state);
    restoreRam(this.machine.ram, this.machine.written, s.ram);
    this.console.cursor = s.cursor;
    this.machine.restored();
  }

  /**
   * Keeps the snapshots within the budget: drops the snapshot whose loss widens the gap around it
   * least, older ones first (a gap counts less the older it is), and the oldest only when nothing
   * else can go (the newest and pinned snapshots stay).
   */
  private thin(): void {
    const total = () => this.snapshots.reduce((s, x) => s + x.bytes, 0);
    while (this.snapshots.length > 1 && total() > this.budgetBytes) {
      const n = this.snapshots.length;
      let drop = 0;
      let best = Infinity;
      for (let k = 1; k < n - 1; k++) {
        if (this.snapshots[k].pinned) continue;
        const score = (this.snapshots[k + 1].position - this.snapshots[k - 1].position) * (k + 1);
        if (score < best) {
          best = score;
          drop = k;
        }
      }
      this.snapshots.splice(drop, 1);
      const next = this.snapshots[drop];
      next.bytes = next.state.bytes + PAGE_BYTES * ownPages(next.ram, this.snapshots[drop - 1]?.ram);
    }
  }
}
