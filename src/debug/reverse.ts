import type { Target, TargetStop } from "../target/target";
import { ExprError } from "./expressions";
import { dataStop, type RunHost, type Stop } from "./run_control";

const START_OF_HISTORY = "At the start of the recorded history: nothing earlier is kept (see historyMiB)";

/**
 * Step Back, Reverse Continue and the travels of the debug console, over `target.history`. Each
 * answers synchronously with the stop to report; the state is that of the point reached. Searching
 * the past evaluates breakpoint conditions, counts hits only where hit conditions ask for it, and
 * writes no logpoints.
 */
export class ReverseControl {
  constructor(private readonly host: RunHost) {}

  private get target(): Target {
    return this.host.target;
  }

  /** Steps back one step (an instruction or a trap entry). */
  stepBackInstruction(): Stop {
    const h = this.target.history;
    if (h.position <= h.oldest) return { reason: "step", description: START_OF_HISTORY };
    h.travelTo(h.position - 1);
    return { reason: "step", description: `Stepped back to step ${h.position.toLocaleString("en-US")}` };
  }

  /** Steps back to the start of the line executed before this point (the last line start reached). */
  stepBackLine(): Stop {
    const t = this.target;
    const starts = t.lineTable.map((l) => l.address);
    const found = t.history.searchBack((budget) => {
      t.setBreakpoints(starts);
      t.onTrap = undefined;
      t.vmm?.setExitFilter(undefined);
      const r = t.run(budget);
      return r.kind === "breakpoint" && this.host.lines.isLineStart(r.pc) ? r : undefined;
    });
    return found ? { reason: "step", description: "Stepped back a line" } : { reason: "step", description: START_OF_HISTORY };
  }

  /**
   * Runs backwards to the last point where continuing would have stopped: breakpoints of every kind.
   * A hit condition asks the count each hit had running forward, which depends on every hit before
   * it: then the whole past is re-executed in order, counting (a hit is counted once per position,
   * conditions.ts), rather than only the stretches before now.
   */
  reverseContinue(): Stop {
    const t = this.target;
    const { code, data, exceptions } = this.host;
    const counted = code.hasHitConditions() || data.hasHitConditions();
    const search = (budget: number) => {
      t.setBreakpoints(code.addresses());
      t.onTrap = (cause) => exceptions.wants(cause);
      t.vmm?.setExitFilter(exceptions.exits.predicate(() => this.host.env()));
      return this.wouldStop(t.run(budget), counted ? t.history.position : undefined);
    };
    const found = counted ? t.history.searchBackInOrder(search) : t.history.searchBack(search);
    if (found) return found.stop;
    return { reason: "step", description: START_OF_HISTORY };
  }

  /** Travels to the point where `n` instructions had retired. */
  gotoInstruction(n: number): string {
    const h = this.target.history;
    if (!h.travelToInstret(n)) throw new ExprError(`instruction ${n} is not in the recorded history (it holds steps ${h.oldest}–${h.newest})`);
    return `at instruction ${n} (step ${h.position})`;
  }

  /** Travels to just before VM exit `seq`. */
  gotoExit(seq: number): string {
    const vmm = this.target.vmm;
    if (!vmm) throw new ExprError("there are no VM exits natively");
    const h = this.target.history;
    const here = h.position;
    // An exit of the recorded future is in the log of the present only.
    if (!vmm.exit(seq) && h.future > 0) h.travelTo(h.newest);
    const exit = vmm.exit(seq);
    if (!exit || !h.travelBeforeExit(seq, Number(exit.instret))) {
      h.travelTo(here);
      throw new ExprError(exit ? `exit #${seq} is before the oldest point of the recorded history` : `exit #${seq} is not in the exit log`);
    }
    return `just before exit #${seq} (${exit.reason} at pc 0x${exit.pc.toString(16)})`;
  }

  /**
   * Travels to just before the most recent guest store to [pa, pa+length): the storing instruction
   * is at pc. Undefined when no store in the recorded history wrote there (the guest is back where it was).
   */
  lastWrite(pa: bigint, length: number): bigint | undefined {
    const t = this.target;
    const end = t.history.position;
    const unwatch = t.watchPhysical(pa, length, { read: false, write: true });
    try {
      const found = t.history.searchBack((budget) => {
        t.setBreakpoints([]);
        t.onTrap = undefined;
        t.vmm?.setExitFilter(undefined);
        const r = t.run(budget);
        return r.kind === "watchpoint" ? r : undefined;
      });
      if (!found) {
        t.history.travelTo(end);
        return undefined;
      }
      t.history.travelTo(found.position - 1);
      return t.pc;
    } finally {
      unwatch();
    }
  }

  /**
   * What a forward run would have reported for this stop; undefined: it would run on. `at`, the
   * position, counts code and data breakpoint hits; without it hit conditions are not asked.
   */
  private wouldStop(r: TargetStop, at?: number): Stop | undefined {
    const { code, data, exceptions } = this.host;
    switch (r.kind) {
      case "breakpoint": {
        const d = code.has(r.pc) ? code.decide(r.pc, this.host.env(), at) : undefined;
        return d?.stop ? { reason: "breakpoint", hitBreakpointIds: d.ids } : undefined;
      }
      case "watchpoint": {
        const d = data.decide(r, this.host.env(), at);
        return d.stop ? dataStop(r, d.ids) : undefined;
      }
      case "trap": {
        const exit = this.target.vmm?.stoppedExit;
        if (exit) return { reason: "exception", hitBreakpointIds: exceptions.exits.takeHit().ids, exit };
        const trap = { cause: r.cause, tval: r.tval, pc: r.pc };
        const d = exceptions.decide(r.cause, this.host.env(trap));
        return d.stop ? { reason: "exception", hitBreakpointIds: d.ids, trap } : undefined;
      }
      default:
        return undefined;
    }
  }
}
