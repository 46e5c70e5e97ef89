/**
 * What a fuzz target is: code under test that takes one input, and, when it is fuzzed, the cases to
 * give it. Targets are listed in targets.ts; the runner (fuzz.ts), the child process (child.ts) and the
 * regression tests only know this interface.
 */
import type { Rng } from "./prng";

/** What a target saw (`report`) and which of its promises that breaks (`problems`, empty when none). */
export interface Verdict<R> {
  report: R;
  problems: string[];
}

export interface FuzzTarget<I, R> {
  /**
   * Runs one input, in the fuzz child process. An exception escaping it is an internal error of the
   * code under test. Inputs and reports cross a process boundary (structured clone).
   */
  run(input: I): Verdict<R> | Promise<Verdict<R>>;
  /** For a fuzzed target: loads or builds what cases are made from (once per run) and returns the generator. */
  cases?(): (rng: Rng) => I;
  /** How many cases the CI stage (`npm test -- fuzz`) runs, where the default of cli.ts would take too long. */
  ciCases?: number;
  /** Writes a failing input where a person can open it (`base` is a path without extension); returns the paths. */
  save?(input: I, base: string): string[];
}
