import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import type { RunIo } from "../../../src/cli/run";
import { runFromConfig } from "../../../src/cli/run_config";
import { runHostPrograms, type HostRunGuest } from "../../../src/cli/run_host";
import { ROOT } from "../../support/guests";

const LAUNCH = join(ROOT, "sample-guests/.vscode/launch.json");

function fakeIo() {
  const out: number[] = [];
  const logs: string[] = [];
  const io: RunIo = {
    out: { write: (b) => out.push(b) },
    input: { read: () => -1 },
    log: (line) => logs.push(line),
    flush: () => {},
    inputOpen: () => false,
    waitForInput: async () => {},
    breathe: async () => {},
    interrupted: () => false,
    now: () => performance.now(),
  };
  return { io, logs, output: () => Buffer.from(out).toString("latin1") };
}

/** The lesson's configuration `name`, as `hyperstep run --config … --name` reads and runs it. */
async function runLesson(name: string, exits = false) {
  const command = runFromConfig({ kind: "run-config", config: LAUNCH, name, traceTraps: false, exits, maxInstructions: undefined, timeoutSeconds: undefined, gdb: undefined, record: undefined });
  assert.ok(!("error" in command) && command.kind === "run-host", JSON.stringify(command));
  const guests: HostRunGuest[] = [];
  for (const { name, run } of command.vms) {
    const program = await loadProgram(run.program);
    if (program instanceof ProgramError) assert.fail(program.message);
    guests.push({ name, program, opts: run });
  }
  const { io, logs, output } = fakeIo();
  const result = await runHostPrograms(guests, { hostMemoryBytes: command.hostMemoryBytes, slice: command.vmSlice, exits }, io);
  return { result, logs, output: output() };
}

const ALONE = [
  "booting: laying out the kernel image",
  "booted: 24 pages of image, 8 of .bss",
  "round 1", "round 2", "round 3", "round 4",
  "checksum of the 32 pages: 0x0000000040000000",
];

describe("the two-vms lesson, run headless", () => {
  for (const name of ["two-vms (trap-and-emulate)", "two-vms: mixed techniques (trap-and-emulate)"]) {
    it(`${name}: both VMs print what the guest prints alone, line by line in turn, each line prefixed by its VM`, async () => {
      const { result, output } = await runLesson(name);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(result.ends.map((e) => e?.kind), ["halt", "halt"]);
      const lines = output.trimEnd().split("\n");
      assert.deepEqual(lines.filter((l) => l.startsWith("alpha | ")).map((l) => l.slice(8)), ALONE);
      assert.deepEqual(lines.filter((l) => l.startsWith("beta  | ")).map((l) => l.slice(8)), ALONE);
      // Each round is one time slice (100,000 guest steps): the VMs' rounds alternate.
      assert.deepEqual(lines.filter((l) => l.includes("round")), ["1", "2", "3", "4"].flatMap((r) => [`alpha | round ${r}`, `beta  | round ${r}`]));
      assert.ok(result.worldSwitches >= 12, `${result.worldSwitches} world switches`);
    });
  }

  it("shares the identical pages of the two VMs: at least 40% of the memory they touched, in less host memory than they touched", async () => {
    const { result } = await runLesson("two-vms (trap-and-emulate)");
    const line = result.summary.find((l) => l.includes("page sharing across the VMs"));
    assert.ok(line, result.summary.join("\n"));
    const [, pages, frames, breaks, saved, touched, pct] = /(\d+) guest pages on (\d+) host frames, (\d+) copy-on-write breaks; (\d+) KiB saved of the (\d+) KiB the VMs touched \((\d+)%\)/.exec(line)!.map(Number);
    assert.equal(saved, (pages - frames) * 4);
    assert.ok(pct >= 40, line);
    assert.ok(breaks >= 4, "each VM's 2 state pages, at least");
    // The host has 256 KiB for guest pages beside the two 8 MiB shadow pools (hostMemory 16640K).
    assert.ok(touched > 256, `they touched ${touched} KiB, more than the host's 256 KiB for them`);
  });

  it("prints each VM's exits with its name, and each VM's statistics, world switches among them", async () => {
    const { logs, result } = await runLesson("two-vms (trap-and-emulate)", true);
    assert.ok(logs.some((l) => /^alpha: exit #\d+ world-switch .*7555 cycles/.test(l)), "alpha's world switch");
    assert.ok(logs.some((l) => l.startsWith("beta: exit #")));
    const worldSwitchRows = result.summary.filter((l) => /^ {2}world-switch +\d+ +\d+$/.test(l));
    assert.equal(worldSwitchRows.length, 2, "a row in each VM's table");
  });
});
