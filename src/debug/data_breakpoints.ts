import type { DebugProtocol } from "@vscode/debugprotocol";
import type { Target } from "../target/target";
import { StopRule } from "./conditions";
import type { ExprEnv } from "./expressions";
import type { HitDecision } from "./breakpoints";
import { newBreakpointId } from "./breakpoints";
import { formatMemoryRef, parseMemoryRef, type MemoryRef } from "./memory_refs";
import { watchCovers, watchRange, type PlacedWatch } from "../target/watch_range";

/** Watched bytes are capped: the machine checks every access against every watch. */
export const MAX_WATCH_BYTES = 4096;

interface DataBreakpoint {
  id: number;
  read: boolean;
  write: boolean;
  rule?: StopRule;
  watch: PlacedWatch;
}

/** Parses `va:0x80001000/8`: what `dataBreakpointInfo` hands out and `setDataBreakpoints` gets back. */
export function parseDataId(id: string): { ref: MemoryRef; length: number } | undefined {
  const m = /^(.*)\/(\d+)$/.exec(id);
  const ref = m && parseMemoryRef(m[1]);
  const length = m ? Number(m[2]) : 0;
  return ref && length > 0 ? { ref, length } : undefined;
}

/** Data breakpoints: watches on guest memory (watch_range.ts: on the physical bytes a range maps to when set). */
export class DataBreakpoints {
  private bps: DataBreakpoint[] = [];

  constructor(private readonly target: Target) {}

  set(requested: readonly DebugProtocol.DataBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.clear();
    return requested.map((r) => {
      const id = newBreakpointId();
      const parsed = parseDataId(r.dataId);
      if (!parsed) return { id, verified: false, message: `'${r.dataId}' is not a data breakpoint id from dataBreakpointInfo` };
      if (parsed.length > MAX_WATCH_BYTES) return { id, verified: false, message: `at most ${MAX_WATCH_BYTES} bytes can be watched` };
      const rule = StopRule.create(r.condition, r.hitCondition);
      if (typeof rule === "string") return { id, verified: false, message: rule };
      const access = r.accessType ?? "write";
      const read = access !== "write";
      const write = access !== "read";
      const watch = watchRange(this.target, parsed.ref.space, parsed.ref.addr, parsed.length, { read, write });
      if (typeof watch === "string") return { id, verified: false, message: watch };
      this.bps.push({ id, read, write, watch, rule: rule.condition || rule.hit ? rule : undefined });
      const where = watch.pieces.map((p) => `pa 0x${p.pa.toString(16)}`).join(", ");
      return { id, verified: true, message: `${access} of ${parsed.length} byte${parsed.length > 1 ? "s" : ""} at ${formatMemoryRef(parsed.ref)} (${where})` };
    });
  }

  clear(): void {
    for (const bp of this.bps) bp.watch.remove();
    this.bps = [];
  }

  /** Whether some data breakpoint has a hit condition (Reverse Continue must then count the hits of the past). */
  hasHitConditions(): boolean {
    return this.bps.some((bp) => bp.rule?.hit !== undefined);
  }

  /** The timeline forked at `position`: hits after it never happened. */
  forgetHitsAfter(position: number): void {
    for (const bp of this.bps) bp.rule?.forgetHitsAfter(position);
  }

  /** As CodeBreakpoints.decide: `at`, the history position, counts the hit. */
  decide(stop: { pa: number; size: number; write: boolean }, env: ExprEnv, at?: number): HitDecision {
    const out: HitDecision = { stop: false, ids: [], output: [] };
    const pa = BigInt(stop.pa);
    for (const bp of this.bps) {
      if (stop.write ? !bp.write : !bp.read) continue;
      if (!watchCovers(bp.watch, pa, stop.size)) continue;
      const verdict = bp.rule ? bp.rule.check(env, at) : { stop: true };
      if (verdict.error) out.output.push(`data breakpoint ${bp.id}: ${verdict.error}`);
      if (verdict.stop) {
        out.stop = true;
        out.ids.push(bp.id);
      }
    }
    return out;
  }
}
