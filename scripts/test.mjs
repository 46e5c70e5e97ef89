// The test command: `npm test` runs every suite; `npm test -- unit dap` (or `npm run test:unit`) runs some.
//
//   unit    Node's test runner over test/unit (pure TypeScript, through tsx)
//   oracle  differential tests against the reference toolchain and QEMU (test/oracle)
//   dap     the debug adapter driven over stdio by DebugClient (test/dap), against the built bundle
//   e2e     the extension inside a real VS Code (code-server + headless Chromium; test/e2e)
//   fuzz    every fuzz target of test/fuzz for a short fixed budget (a fixed seed and case count);
//           `npm run fuzz` runs them at length
//
// Each suite prints its own runner's summary; the last line is the total as "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

const ALL = ["unit", "oracle", "dap", "e2e", "fuzz"];
const asked = process.argv.slice(2);
for (const s of asked) {
  if (!ALL.includes(s)) {
    console.error(`test: unknown suite '${s}'; choose from ${ALL.join(", ")}`);
    process.exit(2);
  }
}
const suites = asked.length ? asked : ALL;
const root = path.resolve(import.meta.dirname, "..");
const results = path.join(root, "test-results");
mkdirSync(results, { recursive: true });

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return findTests(p);
    return p.endsWith(".test.ts") ? [p] : [];
  }).sort();
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  return r.status ?? 1;
}

/** Runs Node's test runner on some files; returns [passed, failed] read from its TAP summary. */
function nodeTests(name, files) {
  if (files.length === 0) {
    console.error(`test: suite '${name}' has no test files`);
    return [0, 1];
  }
  const tap = path.join(results, `${name}.tap`);
  const status = run(process.execPath, [
    "--import", "tsx", "--test",
    "--test-reporter=spec", "--test-reporter-destination=stdout",
    "--test-reporter=tap", `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const text = existsSync(tap) ? readFileSync(tap, "utf8") : "";
  const count = (key) => Number([...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, "gm"))].at(-1)?.[1] ?? 0);
  const passed = count("pass");
  const failed = count("fail") + (status !== 0 && count("fail") === 0 ? 1 : 0);
  return [passed, failed];
}

/**
 * The fuzz stage: the same cases on every run (seed and each target's count fixed: `--ci`), about a
 * minute and a half in all. Each case counts as a test; a case that crashes, hangs, throws or breaks
 * a promise fails. A hang is 30 s here, not the 10 s of `npm run fuzz`: the largest cases take a few seconds, and CI machines are shared.
 */
const FUZZ_SEED = 22;
const FUZZ_TIMEOUT_S = 30;

function fuzzTests() {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/fuzz/cli.ts", "--seed", String(FUZZ_SEED), "--ci", "--timeout", String(FUZZ_TIMEOUT_S)], { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  process.stdout.write(r.stdout ?? "");
  const runs = [...(r.stdout ?? "").matchAll(/^\S+: (\d+) cases in .*?, (\d+) failed;/gm)];
  const cases = runs.reduce((n, m) => n + Number(m[1]), 0);
  const failures = runs.reduce((n, m) => n + Number(m[2]), 0);
  return [cases - failures, failures + (r.status !== 0 && failures === 0 ? 1 : 0)];
}

let passed = 0;
let failed = 0;
const add = ([p, f]) => { passed += p; failed += f; };

if (suites.some((s) => s !== "unit")) {
  if (run(process.execPath, ["scripts/build.mjs"]) !== 0) add([0, 1]);
}
for (const suite of suites) {
  console.log(`\n=== ${suite} ===`);
  if (suite === "unit") add(nodeTests("unit", findTests(path.join(root, "test/unit"))));
  if (suite === "oracle") {
    if (run(process.execPath, ["scripts/build-guests.mjs"]) !== 0) add([0, 1]);
    else add(nodeTests("oracle", findTests(path.join(root, "test/oracle"))));
  }
  if (suite === "dap") add(nodeTests("dap", findTests(path.join(root, "test/dap"))));
  if (suite === "fuzz") add(fuzzTests());
  if (suite === "e2e") {
    const r = spawnSync(process.execPath, ["test/e2e/run.mjs"], { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    process.stdout.write(r.stdout ?? "");
    const m = /^integration: (\d+) passed, (\d+) failed$/m.exec(r.stdout ?? "");
    add(m ? [Number(m[1]), Number(m[2]) + (r.status !== 0 && m[2] === "0" ? 1 : 0)] : [0, 1]);
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
