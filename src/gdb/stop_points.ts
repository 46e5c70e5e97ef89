import type { Target, TargetStop } from "../target/target";
import { watchCovers, watchRange, type PlacedWatch } from "../target/watch_range";

/** The `Z`/`z` types: 0 software and 1 hardware breakpoint, 2 write, 3 read and 4 access watchpoint. */
export type StopPointType = 0 | 1 | 2 | 3 | 4;

/** How a stop reply names each kind of watchpoint. */
const WATCH_NAMES = { 2: "watch", 3: "rwatch", 4: "awatch" } as const;

interface Watch {
  type: 2 | 3 | 4;
  addr: bigint;
  length: number;
  placed: PlacedWatch;
}

/**
 * The client's breakpoints and watchpoints on the target. Both breakpoint types become the
 * target's pc breakpoints, so guest memory never holds an `ebreak` the guest could read; a
 * watchpoint is a watch on the physical bytes its virtual range maps to when it is inserted.
 */
export class StopPoints {
  /** pc → how many of the client's breakpoints (software and hardware) sit there. */
  private readonly pcs = new Map<bigint, number>();
  private watches: Watch[] = [];

  constructor(private readonly target: Target) {}

  /** Undefined once inserted; otherwise why not. */
  insert(type: StopPointType, addr: bigint, length: number): string | undefined {
    if (type === 0 || type === 1) {
      this.pcs.set(addr, (this.pcs.get(addr) ?? 0) + 1);
      this.target.setBreakpoints(this.pcs.keys());
      return undefined;
    }
    const placed = watchRange(this.target, "va", addr, length, { read: type !== 2, write: type !== 3 });
    if (typeof placed === "string") return placed;
    this.watches.push({ type, addr, length, placed });
    return undefined;
  }

  /** False when no such stop point was inserted. */
  remove(type: StopPointType, addr: bigint, length: number): boolean {
    if (type === 0 || type === 1) {
      const n = this.pcs.get(addr);
      if (n === undefined) return false;
      if (n > 1) this.pcs.set(addr, n - 1);
      else this.pcs.delete(addr);
      this.target.setBreakpoints(this.pcs.keys());
      return true;
    }
    const i = this.watches.findIndex((w) => w.type === type && w.addr === addr && w.length === length);
    if (i < 0) return false;
    this.watches[i].placed.remove();
    this.watches.splice(i, 1);
    return true;
  }

  /** The stop reply's `watch:ADDR;` part for a watchpoint stop: the client's own address for the watch. */
  watchHit(stop: Extract<TargetStop, { kind: "watchpoint" }>): string {
    const pa = BigInt(stop.pa);
    const hit = this.watches.find((w) => (stop.write ? w.type !== 3 : w.type !== 2) && watchCovers(w.placed, pa, stop.size));
    return hit ? `${WATCH_NAMES[hit.type]}:${hit.addr.toString(16)};` : "";
  }

  /** Removes everything, as a client that goes away leaves the guest to run free. */
  clear(): void {
    this.pcs.clear();
    this.target.setBreakpoints([]);
    for (const w of this.watches) w.placed.remove();
    this.watches = [];
  }
}
