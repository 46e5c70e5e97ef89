import type { DebugProtocol } from "@vscode/debugprotocol";
import { EXCEPTIONS, Exc, INTERRUPTS, INTERRUPT_BIT } from "../isa/causes";
import { StopRule } from "./conditions";
import type { HitDecision } from "./breakpoints";
import { newBreakpointId } from "./breakpoints";
import type { ExprEnv } from "./expressions";
import { ExitBreakpoints, exitFilters, isExitFilter } from "./exit_filters";

/** Causes every hart can raise. */
const EXCEPTION_CODES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15];
/**
 * Causes only a hart with the H extension raises: the ecall from VS-mode, the guest-page faults and
 * the virtual-instruction exception. The adapter learns the hart at launch, after `initialize` has
 * listed the filters, so they are always offered and their labels say they need the H extension.
 */
const H_EXCEPTION_CODES: readonly number[] = [Exc.ecallVS, Exc.fetchGuestPageFault, Exc.loadGuestPageFault, Exc.virtualInstruction, Exc.storeGuestPageFault];
const INTERRUPT_CODES = [1, 3, 5, 7, 9, 11];

interface Filter {
  id: string;
  cause: bigint;
  label: string;
}

const FILTERS: readonly Filter[] = [
  ...EXCEPTIONS.filter((e) => EXCEPTION_CODES.includes(e.code) || H_EXCEPTION_CODES.includes(e.code)).map((e) => ({
    id: e.name,
    cause: BigInt(e.code),
    label: H_EXCEPTION_CODES.includes(e.code) ? `${e.description} (H extension)` : e.description,
  })),
  ...INTERRUPTS.filter((i) => INTERRUPT_CODES.includes(i.code)).map((i) => ({ id: `interrupt-${i.name}`, cause: INTERRUPT_BIT | BigInt(i.code), label: i.description })),
];

export const CONDITION_HELP = "An expression over registers and CSRs, stopping when non-zero; $cause, $tval and $epc hold the trap's cause, tval and pc (e.g. $tval == 0 or $epc >= 0x80001000).";

/**
 * The filter list for the `initialize` response: one per trap cause, then one per VM exit reason
 * (offered always: the technique is not known at initialize), each with a condition.
 */
export function exceptionFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return [
    ...FILTERS.map((f) => ({ filter: f.id, label: f.label, description: `Stop when the guest takes this trap (${f.id})`, default: false, supportsCondition: true, conditionDescription: CONDITION_HELP })),
    ...exitFilters(),
  ];
}

/** The filter id of a cause, e.g. `illegal-instruction` or `interrupt-mti`. */
export function filterIdOf(cause: bigint): string | undefined {
  return FILTERS.find((f) => f.cause === cause)?.id;
}

interface Active {
  id: number;
  rule?: StopRule;
}

/** The exception breakpoints the client enabled, by cause, and those on VM exits. */
export class ExceptionBreakpoints {
  private active = new Map<bigint, Active[]>();
  readonly exits = new ExitBreakpoints();

  /** True when a trap with this cause may stop the run (conditions are checked after it stops). */
  wants(cause: bigint): boolean {
    return this.active.has(cause);
  }

  set(args: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    this.active = new Map();
    const entries: { filterId: string; condition?: string }[] = [
      ...(args.filters ?? []).map((filterId) => ({ filterId })),
      ...(args.filterOptions ?? []),
    ];
    const onExits = this.exits.set(entries.filter((e) => isExitFilter(e.filterId)));
    return entries.map(({ filterId, condition }) => {
      if (isExitFilter(filterId)) return onExits.shift()!;
      const id = newBreakpointId();
      const filter = FILTERS.find((f) => f.id === filterId);
      if (!filter) return { id, verified: false, message: `unknown exception filter '${filterId}'` };
      const rule = StopRule.create(condition, undefined);
      if (typeof rule === "string") return { id, verified: false, message: rule };
      const list = this.active.get(filter.cause) ?? [];
      list.push({ id, rule: rule.condition ? rule : undefined });
      this.active.set(filter.cause, list);
      return { id, verified: true };
    });
  }

  decide(cause: bigint, env: ExprEnv): HitDecision {
    const out: HitDecision = { stop: false, ids: [], output: [] };
    for (const a of this.active.get(cause) ?? []) {
      const verdict = a.rule ? a.rule.check(env) : { stop: true };
      if (verdict.error) out.output.push(`exception breakpoint ${filterIdOf(cause)}: ${verdict.error}`);
      if (verdict.stop) {
        out.stop = true;
        out.ids.push(a.id);
      }
    }
    return out;
  }
}
