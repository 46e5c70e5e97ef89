import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseArgs, UsageError } from "../../../src/cli/args";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { runProgram, type RunIo } from "../../../src/cli/run";

const ROOT = join(__dirname, "../../..");

function io() {
  const out: number[] = [];
  const logs: string[] = [];
  const value: RunIo = {
    out: { write: (b) => out.push(b) }, input: { read: () => -1 }, log: (l) => logs.push(l), flush: () => {},
    inputOpen: () => false, waitForInput: async () => {}, breathe: async () => {}, interrupted: () => false, now: () => performance.now(),
  };
  return { value, logs, output: () => Buffer.from(out).toString("latin1") };
}

describe("hyperstep run --technique / --exits", () => {
  it("parses the technique and --exits, and rejects what makes no sense", () => {
    const c = parseArgs(["run", "g.S", "--technique", "trap-and-emulate", "--exits"]);
    assert.equal(c.kind === "run" && c.technique, "trap-and-emulate");
    assert.equal(c.kind === "run" && c.exits, true);
    assert.throws(() => parseArgs(["run", "g.S", "--technique", "magic"]), (e: unknown) => e instanceof UsageError && /must be one of native, trap-and-emulate/.test(e.message));
    assert.throws(() => parseArgs(["run", "g.S", "--exits"]), /--exits needs a VMM --technique/);
  });

  it("runs a guest under the VMM with the same output, and prints the exit log and the summary", async () => {
    const program = await loadProgram(join(ROOT, "sample-guests/trap-and-emulate/trap_and_emulate.S"));
    if (program instanceof ProgramError) assert.fail(program.message);
    const { value, logs, output } = io();
    const r = await runProgram(program, { memoryBytes: 1 << 20, traceTraps: false, technique: "trap-and-emulate", exits: true }, value);
    assert.equal(r.exitCode, 0);
    assert.match(output(), /M-mode handler: mcause = 9/);
    assert.ok(logs.some((l) => /^exit #\d+ csr-write pc 0x8\w+ M csrrw \(650 cycles\): emulated csrrw: virtual mtvec/.test(l)));
    assert.ok(logs.some((l) => /^exit #\d+ ecall pc 0x\w+ S/.test(l)));
    assert.ok(logs.some((l) => /^ {2}mmio-write +\d+ +\d+$/.test(l)));
    assert.ok(logs.some((l) => /^modelled cost: \d+ cycles virtualized vs 1075 native/.test(l)));
    assert.ok(logs.some((l) => /^wall time: .* native run of the same guest: 1075 instructions/.test(l)));
  });
});
