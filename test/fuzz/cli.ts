/**
 * `npm run fuzz`: runs the fuzzers at length and prints what they found. Options (all optional):
 *
 *   --only NAME        one target of targets.ts (default: every one with cases, one after the other)
 *   --seconds N        time budget per target (default 300, or none when --cases is given)
 *   --cases N          case budget per target
 *   --ci               each target's CI budget: its ciCases, or 250 (the CI stage, `npm test -- fuzz`)
 *   --seed N           the run's seed (default: a fresh one, printed)
 *   --index I          run only case I of the seed: reproduces a failure
 *   --timeout S        a case running longer is a hang (default 10)
 *   --memory MiB       a case growing its process past this is a failure (default 1536)
 *   --out DIR          where failing inputs are written (default test-results/fuzz)
 *
 * Exits 1 when any case failed, 2 for bad options.
 */
import * as path from "node:path";
import { freshSeed } from "./prng";
import { fuzz } from "./fuzz";
import type { FuzzTarget } from "./target";
import { fuzzedTargets, TARGETS, type TargetName } from "./targets";

const CI_CASES = 250;

const USAGE = `usage: npm run fuzz -- [--only ${fuzzedTargets().join("|")}] [--seconds N | --cases N | --ci] [--seed N] [--index I] [--timeout S] [--memory MiB] [--out DIR]`;

function parse(argv: string[]) {
  const opts = { only: fuzzedTargets(), seconds: undefined as number | undefined, cases: undefined as number | undefined, ci: false, seed: freshSeed(), index: undefined as number | undefined, timeout: 10, memory: 1536, out: path.resolve(__dirname, "../../test-results/fuzz") };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--ci") {
      opts.ci = true;
      continue;
    }
    const value = argv[++i];
    const count = (min: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes a whole number of at least ${min}, not '${value ?? ""}'`);
      return n;
    };
    switch (flag) {
      case "--only":
        if (!fuzzedTargets().includes(value as TargetName)) throw new Error(`--only takes one of ${fuzzedTargets().join(", ")}, not '${value ?? ""}'`);
        opts.only = [value as TargetName];
        break;
      case "--seconds": opts.seconds = count(1); break;
      case "--cases": opts.cases = count(1); break;
      case "--seed": opts.seed = count(0); break;
      case "--index": opts.index = count(0); break;
      case "--timeout": opts.timeout = count(1); break;
      case "--memory": opts.memory = count(64); break;
      case "--out":
        if (!value) throw new Error("--out takes a folder");
        opts.out = path.resolve(value);
        break;
      default:
        throw new Error(`unknown option '${flag}'`);
    }
  }
  if (opts.seconds === undefined && opts.cases === undefined && !opts.ci) opts.seconds = 300;
  return opts;
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let failed = 0;
  for (const name of opts.only) {
    const cases = opts.ci ? ((TARGETS[name] as FuzzTarget<unknown, unknown>).ciCases ?? CI_CASES) : opts.cases;
    const budget = opts.index !== undefined ? `case ${opts.index}` : [cases && `${cases} cases`, opts.seconds && `${opts.seconds} s`].filter(Boolean).join(" or ");
    console.log(`${name}: seed ${opts.seed}, ${budget}, ${opts.timeout} s and ${opts.memory} MiB per case`);
    const s = await fuzz(name, {
      seed: opts.seed, cases, seconds: opts.seconds, index: opts.index,
      timeoutMs: opts.timeout * 1000, memoryBytes: opts.memory * 2 ** 20, outDir: opts.out, log: (l) => console.log(l),
    });
    failed += s.failures.length;
    console.log(`${name}: ${s.cases} cases in ${s.seconds.toFixed(1)} s (seed ${s.seed}), ${s.failures.length} failed; slowest case ${s.slowest.index} (${s.slowest.ms.toFixed(0)} ms)`);
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
