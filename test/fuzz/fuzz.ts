/**
 * The fuzz runner: generates case after case of one target from a seed, runs each in a child process
 * (isolate.ts) with a time and memory limit, and records every case that crashes, hangs, throws or
 * breaks a promise of the code under test. Each failing input is written to a file, with the seed and
 * index that give it back (`npm run fuzz -- --only NAME --seed S --index I`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Isolate, type CaseOutcome } from "./isolate";
import { caseRng } from "./prng";
import type { FuzzTarget } from "./target";
import { TARGETS, type TargetName } from "./targets";

export interface FuzzOptions {
  seed: number;
  /** Stop after this many cases… */
  cases?: number;
  /** …or after this many seconds, whichever comes first. */
  seconds?: number;
  /** Run only this case (to reproduce one). */
  index?: number;
  /** A case running longer is a hang. */
  timeoutMs: number;
  /** A case growing the process past this is a memory failure. */
  memoryBytes: number;
  /** Where failing inputs are written. */
  outDir: string;
  log: (line: string) => void;
}

export interface Failure {
  index: number;
  kind: CaseOutcome["kind"] | "bad result";
  message: string;
  files: string[];
}

export interface FuzzSummary {
  target: TargetName;
  seed: number;
  cases: number;
  seconds: number;
  failures: Failure[];
  /** The slowest case, to see how close cases come to the time limit. */
  slowest: { index: number; ms: number };
}

export async function fuzz(name: TargetName, opts: FuzzOptions): Promise<FuzzSummary> {
  const target = TARGETS[name] as FuzzTarget<unknown, unknown>;
  if (!target.cases) throw new Error(`the target '${name}' has no cases to fuzz with`);
  const make = target.cases();
  const isolate = new Isolate({ timeoutMs: opts.timeoutMs, memoryBytes: opts.memoryBytes });
  const started = performance.now();
  const failures: Failure[] = [];
  const slowest = { index: -1, ms: 0 };
  let cases = 0;
  const elapsed = () => (performance.now() - started) / 1000;
  const more = () => (opts.index !== undefined ? cases === 0 : (opts.cases === undefined || cases < opts.cases) && (opts.seconds === undefined || elapsed() < opts.seconds));
  try {
    while (more()) {
      const index = opts.index ?? cases;
      const input = make(caseRng(opts.seed, index));
      const outcome = await isolate.run(name, input as never);
      cases++;
      if (outcome.kind === "done" && outcome.ms > slowest.ms) Object.assign(slowest, { index, ms: outcome.ms });
      const failure = failureOf(outcome);
      if (!failure) continue;
      mkdirSync(opts.outDir, { recursive: true });
      const base = path.join(opts.outDir, `${name}-seed${opts.seed}-case${index}`);
      const files = target.save?.(input, base) ?? [];
      const note = `${base}.failure.txt`;
      writeFileSync(note, `${failure.kind}: ${failure.message}\n\nReproduce: npm run fuzz -- --only ${name} --seed ${opts.seed} --index ${index}\n`);
      failures.push({ index, ...failure, files: [...files, note] });
      opts.log(`${name}: case ${index} (seed ${opts.seed}): ${failure.kind}: ${failure.message.split("\n")[0]}\n  input: ${files[0] ?? note}`);
    }
  } finally {
    isolate.stop();
  }
  return { target: name, seed: opts.seed, cases, seconds: elapsed(), failures, slowest };
}

function failureOf(outcome: CaseOutcome): Pick<Failure, "kind" | "message"> | undefined {
  if (outcome.kind !== "done") return { kind: outcome.kind, message: outcome.message };
  const problems = outcome.out.problems;
  return problems.length > 0 ? { kind: "bad result", message: problems.join("\n") } : undefined;
}
