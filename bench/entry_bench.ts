/**
 * F5 to the entry stop, for every lesson configuration in sample-guests/.vscode/launch.json, driven
 * by DebugClient as the DAP tests drive the adapter (build first: `node scripts/build.mjs`; run:
 * `npx tsx bench/entry_bench.ts [--json]`). Measured from the `initialize` request to the `stopped`
 * event at the entry, with the adapter's process started and its code loaded beforehand, as VS Code
 * runs the adapter inline in the extension, which a RISC-V source already activated: each session is
 * a fresh `hyperstep-dap --port 0` (cold, as a first F5 is), connected once it says it listens. The
 * median of RUNS sessions each (`npx tsx bench/entry_bench.ts "hello (native)"` runs one). Target:
 * under 500 ms for every lesson and technique.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ADAPTER, CLIENT_CAPABILITIES, listen } from "../test/support/dap";
import { ROOT } from "../test/support/guests";

const RUNS = 3;
const LESSONS = path.join(ROOT, "sample-guests");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Configuration { name: string; program: string; [key: string]: unknown }

/** The configuration with ${workspaceFolder} in any of its fields (program, disk, twin…) made the lessons' folder, as VS Code does. */
const inWorkspace = (config: Configuration): Configuration => JSON.parse(JSON.stringify(config).replaceAll("${workspaceFolder}", LESSONS)) as Configuration;

async function entryStop(config: Configuration): Promise<number> {
  const { child, port, token } = await listen();
  const dc = new DebugClient("node", ADAPTER, "hyperstep");
  dc.defaultTimeout = 60_000;
  await dc.start(port);
  try {
    const t0 = performance.now();
    await dc.initializeRequest(CLIENT_CAPABILITIES);
    const stopped = dc.waitForEvent("stopped");
    await Promise.all([
      dc.waitForEvent("initialized").then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ ...inWorkspace(config), stopOnEntry: true, token } as DebugProtocol.LaunchRequestArguments),
    ]);
    await stopped;
    return performance.now() - t0;
  } finally {
    await dc.stop();
    child.kill();
  }
}

const TARGET_MS = 500;

async function main(): Promise<void> {
  const { configurations } = JSON.parse(readFileSync(path.join(LESSONS, ".vscode/launch.json"), "utf8")) as { configurations: Configuration[] };
  const json = process.argv.includes("--json");
  const only = process.argv.slice(2).find((a) => a !== "--json");
  const lessons: { name: string; ms: number; ok: boolean }[] = [];
  for (const config of configurations.filter((c) => !only || c.name === only)) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await entryStop(config));
    const ms = median(times);
    lessons.push({ name: config.name, ms, ok: ms < TARGET_MS });
    if (!json) console.log(`${config.name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   target < ${TARGET_MS} ms   ${ms < TARGET_MS ? "ok" : "MISSED"}`);
  }
  if (json) console.log(JSON.stringify({ runs: RUNS, targetMs: TARGET_MS, lessons }));
}

void main();
