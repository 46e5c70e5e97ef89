import type { DebugProtocol } from "@vscode/debugprotocol";
import { EXIT_REASONS, type ExitReason, type VmExit } from "../target/vmm_vocabulary";
import { newBreakpointId, type HitDecision } from "./breakpoints";
import { StopRule } from "./conditions";
import type { ExprEnv } from "./expressions";

/**
 * Exception breakpoints on VM exits, one filter per exit reason. Their conditions read the exit's
 * fields by bare name (`csr == "satp"`, `gpa >= 0x10000000`, `device == "uart"`): the condition is
 * rewritten into the expression language, names becoming convenience values and string literals
 * interned numbers, so equality between strings works and nothing else about expressions changes.
 *
 * A batch (a paravirtual mmuext_op or multicall) carries several operations: `op` then means "any
 * of them" (the condition is tried once per operation, and holds if it holds for one: `op ==
 * "new_baseptr"` stops on a batch that switches address spaces among other things), and `ops` is
 * the whole list as written in the exit ("new_baseptr,tlb_flush_all"), for an exact match.
 */
export const EXIT_FILTER_PREFIX = "vm-exit-";

/** The condition variables: ExitDetails' fields, plus the record's own. Absent fields read as 0. */
const DETAIL_FIELDS = [
  "csr", "csrNumber", "oldValue", "newValue", "gva", "gpa", "hpa", "access", "device", "register", "offset", "width", "value",
  "cause", "causeName", "tval", "toPriv", "toPc", "shadowRoot", "invalidated", "vaddr", "asid",
  "hypercall", "error", "op", "count", "callout", "length", "rewritten", "blocks", "queue", "chains", "descriptors",
] as const;
const RECORD_FIELDS = ["reason", "instruction", "seq", "vm", "vcpu", "priv", "cycles", "epc", "ops"] as const;
const FIELDS: readonly string[] = [...DETAIL_FIELDS, ...RECORD_FIELDS];

export const EXIT_CONDITION_HELP =
  `An expression over the exit's fields, stopping when non-zero: ${FIELDS.join(", ")} (absent ones read as 0; strings compare with ==, e.g. csr == "satp", device == "uart", gpa >= 0x10000000 && gpa < 0x10000100, vcpu == 1, vm == "alpha" with several VMs; in a batch, op is any one of its operations, e.g. op == "new_baseptr", and ops all of them).`;

/** The filters for the `initialize` response, after the trap-cause ones (VS Code keeps the order). */
export function exitFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return EXIT_REASONS.map((r) => ({
    filter: EXIT_FILTER_PREFIX + r.id,
    label: `VM exit: ${r.label}`,
    description: `Under a VMM technique, stop after the VMM handles a '${r.id}' exit. ${r.description}`,
    default: false,
    supportsCondition: true,
    conditionDescription: EXIT_CONDITION_HELP,
  }));
}

export function isExitFilter(id: string): boolean {
  return id.startsWith(EXIT_FILTER_PREFIX);
}

const interned = new Map<string, bigint>();
/** A number standing for a string in conditions: equal strings, equal numbers. */
function intern(s: string): bigint {
  let v = interned.get(s);
  if (v === undefined) interned.set(s, (v = (0x5a5an << 48n) + BigInt(interned.size + 1)));
  return v;
}

/** The condition in the expression language: "…" → interned number, field name → $field. */
export function rewriteExitCondition(text: string): string {
  return text.replace(/"([^"]*)"|(?<![\w$.])([A-Za-z_]\w*)(?![\w.])/g, (whole, str: string | undefined, name: string | undefined) => {
    if (str !== undefined) return `0x${intern(str).toString(16)}`;
    return name !== undefined && FIELDS.includes(name) ? `$${name}` : whole;
  });
}

/**
 * The exit's fields as convenience values (strings interned): one set per operation of a batch,
 * each with `op` that operation, so a condition on `op` holds when it holds for any of them.
 */
export function exitValueSets(exit: VmExit): Map<string, bigint>[] {
  const values = exitValues(exit);
  const ops = typeof exit.details.op === "string" ? exit.details.op.split(",") : [];
  if (ops.length < 2) return [values];
  return ops.map((op) => new Map(values).set("op", intern(op)));
}

/** The exit's fields as convenience values (strings interned); `op` and `ops` as the exit says them. */
function exitValues(exit: VmExit): Map<string, bigint> {
  const out = new Map<string, bigint>(FIELDS.map((f) => [f, 0n]));
  const put = (k: string, v: unknown) => {
    if (typeof v === "bigint") out.set(k, v);
    else if (typeof v === "number") out.set(k, BigInt(v));
    else if (typeof v === "string") out.set(k, intern(v));
  };
  for (const [k, v] of Object.entries(exit.details)) put(k, v);
  put("reason", exit.reason);
  put("instruction", exit.instruction?.mnemonic);
  put("seq", exit.seq);
  put("vm", exit.vm);
  put("vcpu", exit.vcpu);
  put("priv", exit.priv);
  put("cycles", exit.cycles);
  put("epc", exit.pc);
  put("ops", exit.details.op);
  return out;
}

interface Active {
  id: number;
  rule?: StopRule;
}

/** The exit breakpoints the client enabled, by reason, and which of them the last stop hit. */
export class ExitBreakpoints {
  private active = new Map<ExitReason, Active[]>();
  private hit: HitDecision | undefined;

  get empty(): boolean {
    return this.active.size === 0;
  }

  set(entries: readonly { filterId: string; condition?: string }[]): DebugProtocol.Breakpoint[] {
    this.active = new Map();
    return entries.map(({ filterId, condition }) => {
      const id = newBreakpointId();
      const reason = EXIT_REASONS.find((r) => EXIT_FILTER_PREFIX + r.id === filterId)?.id;
      if (!reason) return { id, verified: false, message: `unknown exception filter '${filterId}'` };
      const rule = StopRule.create(condition === undefined ? undefined : rewriteExitCondition(condition), undefined);
      if (typeof rule === "string") return { id, verified: false, message: rule.replace(/condition '[^']*'/, `condition '${condition}'`) };
      this.active.set(reason, [...(this.active.get(reason) ?? []), { id, rule: rule.condition ? rule : undefined }]);
      return { id, verified: true };
    });
  }

  /**
   * The VMM's exit filter: true (stop after this exit) when an enabled breakpoint's condition holds.
   * `env` is the guest's expression environment; the decision is kept for `takeHit`. (Exit filters
   * have conditions, no hit conditions: nothing is counted.)
   */
  predicate(env: () => ExprEnv): ((exit: VmExit) => boolean) | undefined {
    if (this.empty) return undefined;
    return (exit) => {
      const list = this.active.get(exit.reason);
      if (!list) return false;
      const base = env();
      const envs: ExprEnv[] = exitValueSets(exit).map((values) => ({ ...base, convenience: new Map([...base.convenience, ...values]) }));
      const d: HitDecision = { stop: false, ids: [], output: [] };
      for (const a of list) {
        const verdict = a.rule ? a.rule.check(envs) : { stop: true };
        if (verdict.error) d.output.push(`exception breakpoint VM exit ${exit.reason}: ${verdict.error}`);
        if (verdict.stop) {
          d.stop = true;
          d.ids.push(a.id);
        }
      }
      this.hit = d;
      return d.stop;
    };
  }

  /** What the exit that stopped the run hit (ids and condition errors); cleared by reading. */
  takeHit(): HitDecision {
    const d = this.hit ?? { stop: true, ids: [], output: [] };
    this.hit = undefined;
    return d;
  }
}
