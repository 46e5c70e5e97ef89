import { cFirst } from "./c_expr/in_frame";
import { parseC } from "./c_expr/parse";
import { evaluate, ExprError, parseExpression, type ExprEnv } from "./expressions";

/** A condition's or a logpoint's expression as an integer: C first in a C frame, as Watch reads it (c_expr/in_frame.ts). */
function evaluateIn(env: ExprEnv, text: string): bigint {
  return cFirst(env.c?.(), text, (c) => {
    const s = c.scalar();
    if (!s) throw new ExprError(`'${text}' is not an integer or a pointer`);
    return s.bits;
  }, () => evaluate(text, env));
}

/**
 * What is wrong with a condition's text, or undefined: it must read as an expression in either
 * language (which names are C typedefs is known only when it runs, so C is tried both ways).
 */
function conditionProblem(text: string): string | undefined {
  let machine: ReturnType<typeof parseExpression>;
  try {
    machine = parseExpression(text);
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    return [false, true].some((typedefs) => parsesAsC(text, typedefs)) ? undefined : `: ${e.message}`;
  }
  return machine.target ? " assigns; use '==' to compare" : undefined;
}

function parsesAsC(text: string, typedefs: boolean): boolean {
  try {
    parseC(text, () => typedefs);
    return true;
  } catch (e) {
    if (e instanceof ExprError) return false;
    throw e;
  }
}

/**
 * A breakpoint's stop rule: an optional condition (an expression, true when non-zero), then an
 * optional hit condition over the number of times the condition held:
 *   N or >=N   from the Nth hit on        >N, <N, <=N, ==N   as written        %N   every Nth hit
 */
export interface HitCondition {
  op: ">=" | ">" | "<" | "<=" | "==" | "%";
  n: number;
}

export function parseHitCondition(text: string): HitCondition | string {
  const m = /^\s*(>=|<=|==|>|<|%|=)?\s*(\d+)\s*$/.exec(text);
  if (!m) return `hit condition '${text}' is not understood: use N, >=N, >N, ==N, <N, <=N or %N`;
  const n = Number(m[2]);
  const op = (m[1] === "=" ? "==" : m[1] ?? ">=") as HitCondition["op"];
  if (op === "%" && n === 0) return "hit condition '%0' would never stop; use %1 or more";
  return { op, n };
}

function hitMatches(h: HitCondition, hits: number): boolean {
  switch (h.op) {
    case ">=": return hits >= h.n;
    case ">": return hits > h.n;
    case "<": return hits < h.n;
    case "<=": return hits <= h.n;
    case "==": return hits === h.n;
    case "%": return hits % h.n === 0;
  }
}

export class StopRule {
  /**
   * Where the condition held and the hit was counted, as history positions in order. A hit's count
   * is its place here, so that re-executing the past (Continue after Step Back) counts no hit twice
   * and the hits of the past keep the counts they had.
   */
  private counted: number[] = [];
  private constructor(
    readonly condition: string | undefined,
    readonly hit: HitCondition | undefined,
  ) {}

  /** Checks the texts; returns the rule, or the message saying what is wrong with them. */
  static create(condition: string | undefined, hitCondition: string | undefined): StopRule | string {
    const cond = condition?.trim() ? condition.trim() : undefined;
    const problem = cond === undefined ? undefined : conditionProblem(cond);
    if (problem) return `condition '${cond}'${problem}`;
    let hit: HitCondition | undefined;
    if (hitCondition?.trim()) {
      const h = parseHitCondition(hitCondition);
      if (typeof h === "string") return h;
      hit = h;
    }
    return new StopRule(cond, hit);
  }

  /**
   * Whether to stop now. A condition that cannot be evaluated (e.g. it reads unmapped memory)
   * stops, with the reason in `error`, as GDB does. `at` is the history position of the hit, which
   * counts it (once per position) and asks the hit condition with its count; without it (searching
   * the past for a condition alone) nothing is counted. Given several environments (the operations
   * of a batched exit), the condition holds when it holds in any of them, and counts one hit.
   */
  check(env: ExprEnv | readonly ExprEnv[], at?: number): { stop: boolean; error?: string } {
    if (this.condition) {
      const condition = this.condition;
      try {
        const envs = Array.isArray(env) ? env : [env as ExprEnv];
        if (envs.every((e) => evaluateIn(e, condition) === 0n)) return { stop: false };
      } catch (e) {
        if (e instanceof ExprError) return { stop: true, error: `cannot evaluate the condition '${this.condition}': ${e.message}` };
        throw e;
      }
    }
    if (at === undefined) return { stop: true };
    const hits = this.count(at);
    return { stop: this.hit ? hitMatches(this.hit, hits) : true };
  }

  /** Forgets every hit (a restart). */
  resetHits(): void {
    this.counted = [];
  }

  /** Forgets the hits after `position`: the timeline forked there and their future is gone. */
  forgetHitsAfter(position: number): void {
    while (this.counted.length > 0 && this.counted[this.counted.length - 1] > position) this.counted.pop();
  }

  /** Counts the hit at `at` unless it was counted already; returns the hits up to and including it. */
  private count(at: number): number {
    let i = this.counted.length;
    while (i > 0 && this.counted[i - 1] > at) i--;
    if (i > 0 && this.counted[i - 1] === at) return i;
    this.counted.splice(i, 0, at);
    return i + 1;
  }
}

/**
 * Expands `{expr}` (hex) and `{expr:d}` (decimal) in a logpoint message; `{{` and `}}` are braces.
 * In a C frame a C expression without a format shows as Watch shows it (`{p->name}`, `{*p}`).
 */
export function interpolate(message: string, env: ExprEnv): string {
  return message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, inner: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    const m = /^(.*?)(?::([dx]))?$/.exec(inner ?? "")!;
    try {
      if (!m[2]) {
        const c = cFirst(env.c?.(), m[1], (parsed) => parsed.evaluate().value, () => undefined);
        if (c !== undefined) return c;
      }
      const v = evaluateIn(env, m[1]);
      return m[2] === "d" ? BigInt.asIntN(64, v).toString() : "0x" + v.toString(16);
    } catch (e) {
      return `<${(e as Error).message}>`;
    }
  });
}
