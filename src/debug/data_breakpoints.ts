import type { DebugProtocol } from "@vscode/debugprotocol";
import type { Target } from "../target/target";
import { StopRule } from "./conditions";
import type { ExprEnv } from "./expressions";
import type { HitDecision } from "./breakpoints";
import { newBreakpointId } from "./breakpoints";
import { formatMemoryRef, parseMemoryRef, type MemoryRef } from "./memory_refs";

/** Watched bytes are capped: the machine checks every access against every watch. */
export const MAX_WATCH_BYTES = 4096;

interface Piece {
  pa: bigint;
  length: number;
  remove: () => void;
}

interface DataBreakpoint {
  id: number;
  read: boolean;
  write: boolean;
  rule?: StopRule;
  pieces: Piece[];
}

/** Parses `va:0x80001000/8`: what `dataBreakpointInfo` hands out and `setDataBreakpoints` gets back. */
export function parseDataId(id: string): { ref: MemoryRef; length: number } | undefined {
  const m = /^(.*)\/(\d+)$/.exec(id);
  const ref = m && parseMemoryRef(m[1]);
  const length = m ? Number(m[2]) : 0;
  return ref && length > 0 ? { ref, length } : undefined;
}

/**
 * Data breakpoints: watches on guest memory. A virtual range is translated when the breakpoint is
 * set, and the watch stays on those physical bytes (as a hardware watchpoint on a physical address
 * would) even if the guest later remaps the page.
 */
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
      const bp: DataBreakpoint = { id, read: access !== "write", write: access !== "read", pieces: [], rule: rule.condition || rule.hit ? rule : undefined };
      const placed = this.place(bp, parsed.ref, parsed.length);
      if (placed !== undefined) return { id, verified: false, message: placed };
      this.bps.push(bp);
      const where = bp.pieces.map((p) => `pa 0x${p.pa.toString(16)}`).join(", ");
      return { id, verified: true, message: `${access} of ${parsed.length} byte${parsed.length > 1 ? "s" : ""} at ${formatMemoryRef(parsed.ref)} (${where})` };
    });
  }

  clear(): void {
    for (const bp of this.bps) for (const p of bp.pieces) p.remove();
    this.bps = [];
  }

  decide(stop: { pa: number; size: number; write: boolean }, env: ExprEnv, count = true): HitDecision {
    const out: HitDecision = { stop: false, ids: [], output: [] };
    const pa = BigInt(stop.pa);
    for (const bp of this.bps) {
      if (stop.write ? !bp.write : !bp.read) continue;
      if (!bp.pieces.some((p) => pa < p.pa + BigInt(p.length) && p.pa < pa + BigInt(stop.size))) continue;
      const verdict = bp.rule ? bp.rule.check(env, count) : { stop: true };
      if (verdict.error) out.output.push(`data breakpoint ${bp.id}: ${verdict.error}`);
      if (verdict.stop) {
        out.stop = true;
        out.ids.push(bp.id);
      }
    }
    return out;
  }

  /** Installs the watches; returns why it cannot, or undefined. */
  private place(bp: DataBreakpoint, ref: MemoryRef, length: number): string | undefined {
    for (let done = 0; done < length; ) {
      const a = ref.addr + BigInt(done);
      const n = Math.min(length - done, 4096 - Number(a % 4096n));
      let pa: bigint;
      if (ref.space === "pa") pa = a;
      else if (ref.space === "va") {
        const t = this.target.translate(a, bp.write ? "w" : "r");
        if (!t.ok) {
          for (const p of bp.pieces) p.remove();
          return `0x${a.toString(16)} is not mapped for ${bp.write ? "writing" : "reading"} now (the page walk faults)`;
        }
        pa = t.pa;
      } else {
        return `the ${ref.space} address space does not exist under the ${this.target.technique} technique`;
      }
      bp.pieces.push({ pa, length: n, remove: this.target.watchPhysical(pa, n, { read: bp.read, write: bp.write }) });
      done += n;
    }
    return undefined;
  }
}
