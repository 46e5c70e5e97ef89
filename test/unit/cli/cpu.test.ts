import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseArgs, UsageError, type RunCommand } from "../../../src/cli/args";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { runProgram, type RunIo } from "../../../src/cli/run";
import { ROOT } from "../../support/guests";

const LESSON = join(ROOT, "sample-guests/tiny-hypervisor/tiny_hypervisor.S");

function usage(args: string[]): string {
  try {
    parseArgs(args);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
    assert.equal(e.command, "run");
    return e.message;
  }
  assert.fail(`${args.join(" ")} should be rejected`);
}

describe("hyperstep run --cpu", () => {
  it("takes QEMU's -cpu syntax, rv64 by default", () => {
    assert.deepEqual((parseArgs(["run", "g.S"]) as RunCommand).cpu, { model: "rv64", h: false, f: true, d: true });
    assert.deepEqual((parseArgs(["run", "g.S", "--cpu", "rv64,h=true"]) as RunCommand).cpu, { model: "rv64", h: true, f: true, d: true });
    assert.deepEqual((parseArgs(["run", "--cpu=rv64,h=on", "g.S"]) as RunCommand).cpu, { model: "rv64", h: true, f: true, d: true });
  });

  it("names what is wrong with a bad --cpu", () => {
    assert.match(usage(["run", "g.S", "--cpu", "rv64,x=1"]), /^--cpu rv64,x=1: unknown property 'x'/);
    assert.match(usage(["run", "g.S", "--cpu", "rv64,h=maybe"]), /^--cpu rv64,h=maybe: 'h' must be true or false/);
    assert.match(usage(["run", "g.S", "--cpu", "rv32"]), /^--cpu rv32: unknown model 'rv32'/);
    assert.match(usage(["run", "g.S", "--cpu"]), /--cpu needs a value/);
    assert.match(usage(["run", "g.S", "--cpu", "rv64,h=true", "--technique", "hardware-assisted"]), /^--cpu: h=true .* no H extension/);
  });

  it("runs a hypervisor of the student's own on a hart with the H extension, and not on one without", async () => {
    const program = await loadProgram(LESSON);
    if (program instanceof ProgramError) assert.fail(program.message);
    const run = async (args: string[]) => {
      const out: number[] = [];
      const io: RunIo = {
        out: { write: (b) => out.push(b) }, input: { read: () => -1 }, log: () => {}, flush: () => {}, inputOpen: () => false,
        waitForInput: async () => {}, breathe: async () => {}, interrupted: () => false, now: () => performance.now(),
      };
      const r = await runProgram(program, parseArgs(["run", LESSON, ...args]) as RunCommand, io);
      return { code: r.exitCode, output: Buffer.from(out).toString("latin1") };
    };
    const withH = await run(["--cpu", "rv64,h=true"]);
    assert.equal(withH.code, 0);
    assert.match(withH.output, /^Hello from VS-mode!/m);
    assert.match(withH.output, /the guest shut down with code 0 after 160 emulated UART stores and 2 hypercalls\n$/);
    // Without H, `csrw hgatp` in HS-mode is an illegal instruction, which the lesson's M-mode reports with code 3.
    const withoutH = await run([]);
    assert.deepEqual(withoutH, { code: 3, output: "" });
  });
});
