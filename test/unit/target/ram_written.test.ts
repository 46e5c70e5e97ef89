/**
 * The time-travel history reads only the RAM pages marked as written (machine/memory.ts, Ram.written)
 * and takes every other page for zeros, so a writer that forgets to mark would make travel inexact.
 * Every lesson configuration runs here, its techniques, devices and VMM paths with it, and after the
 * load, at several points of its run and after the debugger writes, every page of host RAM not
 * marked must hold only zeros.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseLaunchConfig } from "../../../src/debug/launch_config";
import { loadTarget } from "../../../src/debug/load_target";
import type { Ram } from "../../../src/machine/memory";
import { NativeTarget } from "../../../src/target/native_target";
import type { Target } from "../../../src/target/target";
import { HostTarget } from "../../../src/target/host_target";
import { VmTarget } from "../../../src/target/vm_target";

const LESSONS = join(import.meta.dirname, "../../../sample-guests");
/** Small RAM, unless the lesson names its own: every unmarked page is read, which commits it. */
const MEMORY = "16M";
const STEPS = 2_000_000;
const SLICE = 100_000;

interface Configuration { name: string; [key: string]: unknown }
const configurations = (JSON.parse(readFileSync(join(LESSONS, ".vscode/launch.json"), "utf8")) as { configurations: Configuration[] }).configurations;

function ramOf(t: Target): Ram {
  if (t instanceof NativeTarget) return t.board.ram;
  if (t instanceof VmTarget) return t.vm.board.ram;
  // Several VMs: their host's RAM, which all of them write.
  if (t instanceof HostTarget) return t.host.ram;
  return assert.fail("neither a native nor a VM target");
}

/** The RAM pages not marked as written that hold something other than zeros. */
function unmarkedNonZero(ram: Ram): number[] {
  const bad: number[] = [];
  for (let p = 0; p < ram.written.length; p++) {
    if (ram.written[p] === 1) continue;
    const page = ram.bytes.subarray(p * 4096, (p + 1) * 4096);
    if (page.some((b) => b !== 0)) bad.push(p);
  }
  return bad;
}

describe("RAM pages marked as written", () => {
  for (const c of configurations) {
    it(`${c.name}: every page not marked holds zeros, after the load, as it runs and after a debugger write`, async () => {
      const raw = JSON.parse(JSON.stringify(c).replaceAll("${workspaceFolder}", LESSONS)) as Configuration;
      const config = parseLaunchConfig({ memory: MEMORY, ...raw });
      const input = [...new TextEncoder().encode("hello\nq\n")];
      const { target } = await loadTarget(config, { out: { write: () => {} }, in: { read: () => input.shift() ?? -1 } });
      const ram = ramOf(target);
      assert.deepEqual(unmarkedNonZero(ram), [], "after the load");
      let ran = 0;
      for (let checks = 0; ran < STEPS; checks++) {
        const before = target.history.position;
        const stop = target.run(SLICE);
        ran += target.history.position - before;
        if (checks % 5 === 4 || stop.kind !== "budget") assert.deepEqual(unmarkedNonZero(ram), [], `after ${ran} steps (${stop.kind})`);
        if (stop.kind === "halt") break;
        if (stop.kind !== "budget" && target.history.position === before) break;
      }
      assert.ok(ram.written.some((w) => w === 1), "the load marked pages");
      // Halfway up the guest's RAM, where none of the lessons writes.
      const middle = 0x8000_0000n + BigInt(config.memoryBytes / 2);
      assert.ok(target.writeMemory("pa", middle, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
      assert.deepEqual(unmarkedNonZero(ram), [], "after the debugger wrote");
    });
  }
});
