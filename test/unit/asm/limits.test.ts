/**
 * Issue #22's inputs for the assembler: each one used to hang, crash with a
 * stack trace, exhaust the memory or truncate silently. Each now ends at once with a located error
 * that names the limit (or, where nothing is wrong, assembles). They run in a child process
 * (test/fuzz/isolate.ts), so that a regression shows as a hang or a memory failure instead of
 * freezing the test run.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { AsmReport } from "../../fuzz/asm_target";
import { Isolate, type CaseOutcome } from "../../fuzz/isolate";
import { assembleForEditor } from "../../../src/extension/diagnostics";
import { compareWithGnu } from "./compare";

const MiB = 1 << 20;
const LIMITS = { timeoutMs: 30_000, memoryBytes: 1536 * MiB };

const shared = new Isolate(LIMITS);
after(() => shared.stop());

/** Assembles `text` as `/w/<name>` in a child process; `isolate` fresh where the peak memory matters. */
async function assembleIsolated(name: string, text: string, isolate = shared): Promise<{ report: AsmReport; outcome: CaseOutcome & { kind: "done" } }> {
  const outcome = await isolate.run("asm", { main: `/w/${name}`, files: { [`/w/${name}`]: text } });
  assert.equal(outcome.kind, "done", `the assembler ${outcome.kind === "done" ? "" : `${outcome.kind}: ${outcome.message}`}`);
  const done = outcome as CaseOutcome & { kind: "done" };
  assert.deepEqual(done.out.problems, [], "the assembler keeps its promises");
  return { report: done.out.report as AsmReport, outcome: done };
}

/** assembleIsolated in a child of its own, for a case whose peak memory is measured. */
async function assembleFresh(name: string, text: string) {
  const isolate = new Isolate(LIMITS);
  try {
    return await assembleIsolated(name, text, isolate);
  } finally {
    isolate.stop();
  }
}

/** The first error, as `line:column: message`. */
function firstError(r: AsmReport): string {
  const e = r.errors[0];
  return e ? `${e.line}:${e.column}: ${e.message}` : "no error";
}

/** How much the child's resident size grew during the case. */
const growth = (o: { startRss: number; peakRss: number }) => o.peakRss - o.startRss;

describe("the assembler's limits (issue #22)", () => {
  it("a file that includes itself twice stops at the include depth limit instead of exploring 2^40 branches", async () => {
    for (const [name, text, directive] of [["self.S", '#include "self.S"\n#include "self.S"\n', "#include"], ["self.s", '.include "self.s"\n.include "self.s"\n', ".include"]]) {
      const { report, outcome } = await assembleIsolated(name!, text!);
      assert.deepEqual(report.errors.map((e) => `${e.line}:${e.column}: ${e.message}`), [`1:${directive!.length + 2}: ${directive} nested more than 40 deep, the limit (a file that includes itself?); assembly stopped here`]);
      assert.ok(outcome.ms < 15_000, `${name} took ${outcome.ms} ms`);
    }
  });

  it("includes that fan out without nesting deep stop at the preprocessing limit of 1,000,000 lines", async () => {
    const files = {
      "/w/wide.S": '_start:\n' + '#include "mid.h"\n'.repeat(200),
      "/w/mid.h": '#include "leaf.h"\n'.repeat(200),
      "/w/leaf.h": "  nop\n".repeat(30),
    };
    const outcome = await shared.run("asm", { main: "/w/wide.S", files });
    assert.equal(outcome.kind, "done");
    const done = outcome as CaseOutcome & { kind: "done" };
    assert.deepEqual(done.out.problems, []);
    assert.match(firstError(done.out.report as AsmReport), /^\d+:\d+: preprocessing would read more than 1,000,000 source lines/);
    assert.ok(done.ms < 15_000, `it took ${done.ms} ms`);
  });

  it("3,000 nested parentheses or 5,000 leading '-' are a located error, not a stack overflow", async () => {
    for (const expr of ["(".repeat(3000) + "1" + ")".repeat(3000), "-".repeat(5000) + "1", "1" + "+1".repeat(5000)]) {
      const { report } = await assembleIsolated("deep.s", `_start:\n  li a0, ${expr}\n`);
      assert.match(firstError(report), /^2:\d+: expression nested more than 256 deep/);
    }
  });

  it("a .rept body of 130,000 lines repeats (no argument-list overflow), within the line limit", async () => {
    const body = "  addi a0, a0, 100\n".repeat(130_000);
    const { report } = await assembleIsolated("rept.s", `_start:\n.rept 2\n${body}.endr\n`);
    assert.equal(firstError(report), "no error");
    assert.equal(report.imageBytes, 2 * 130_000 * 4);
    const tooMany = await assembleIsolated("rept.s", `_start:\n.rept 8\n${body}.endr\n`);
    assert.match(firstError(tooMany.report), /^2:1: preprocessing would read more than 1,000,000 source lines/);
    const empty = await assembleIsolated("empty-rept.s", "_start: nop\n.rept 268435456\n.endr\n");
    assert.equal(firstError(empty.report), "no error");
    assert.ok(empty.outcome.ms < 2000, `an empty .rept took ${empty.outcome.ms} ms`);
  });

  it("an alignment above 2^30 is a located error", async () => {
    for (const where of [".text", ".data"]) {
      const { report } = await assembleIsolated("align.s", `_start: nop\n${where}\n.byte 1\n.balign 0x80000000\n`);
      assert.match(firstError(report), /^4:9: \.balign 2147483648 is too large; alignments are at most 2\^30 \(1 GiB\)/);
    }
  });

  it(".fill with a size above 8 is a located error", async () => {
    const { report } = await assembleIsolated("fill.s", "_start: nop\n.fill 1, 0xffffffffffff\n");
    assert.match(firstError(report), /^2:10: \.fill size 281474976710655 is too large; the size is at most 8 bytes/);
  });

  it(".fill and .space that would make a multi-gigabyte image stop at the image limit, without allocating it", async () => {
    const fill = await assembleFresh("fill.s", "_start: nop\n.fill 268435456, 8\n");
    assert.equal(firstError(fill.report), "2:1: .fill would make the image 2 GiB; images are limited to 256 MiB");
    assert.ok(growth(fill.outcome) < 64 * MiB, `the process grew by ${growth(fill.outcome) / MiB} MiB`);
    // .bss counts towards the image, so the .space that follows it in .data is refused before it is allocated.
    const space = await assembleFresh("space.s", "_start: nop\n.bss\n.space 0x8000000\n.data\n.space 0x8000000\n.space 0x8000000\n");
    assert.equal(firstError(space.report), "5:1: .space would make the image 256 MiB (268,435,458 bytes); images are limited to 256 MiB");
    assert.ok(growth(space.outcome) < 64 * MiB, `the process grew by ${growth(space.outcome) / MiB} MiB`);
  });

  it(".bss occupies no memory in the assembler or the ELF, though it counts towards the image", async () => {
    const { report, outcome } = await assembleFresh("bss.s", "_start: nop\n.bss\n.space 0x8000000\n");
    assert.equal(firstError(report), "no error");
    // The linker pads .bss to 8 bytes, as ld does.
    assert.ok(report.imageBytes! >= 2 + 0x8000000 && report.imageBytes! <= 16 + 0x8000000, `the image is ${report.imageBytes} bytes`);
    assert.ok(typeof report.elf === "number" && report.elf < 64 * 1024, `the ELF has ${report.elf} bytes`);
    assert.ok(growth(outcome) < 32 * MiB, `the process grew by ${growth(outcome) / MiB} MiB`);
    const over = await assembleIsolated("bss.s", "_start: nop\n.bss\n.space 0x8000000\n.space 0x8000000\n");
    assert.match(firstError(over.report), /^4:1: \.space would make the image 256 MiB \(268,435,458 bytes\); images are limited to 256 MiB/);
  });

  it("symbols defined by symbols cost linear time: a chain that doubles at each step, and a long chain", async () => {
    const doubling = ["_start: nop", ".equ s0, _start"];
    for (let i = 1; i < 60; i++) doubling.push(`.equ s${i}, s${i - 1} + s${i - 1} - s${i - 1}`);
    const exp = await assembleIsolated("doubling.s", [...doubling, ".word s59 - _start"].join("\n"));
    assert.equal(firstError(exp.report), "no error");
    assert.ok(exp.outcome.ms < 5000, `the doubling chain took ${exp.outcome.ms} ms`);
    const chain = ["_start: nop", "fz0:"];
    for (let i = 1; i < 4000; i++) chain.push(`.equ fz${i}, fz${i - 1} + 1`);
    const long = await assembleIsolated("chain.s", [...chain, ".word fz3999"].join("\n"));
    assert.match(firstError(long.report), /symbol 'fz\d+' is defined through expressions nested more than 1024 deep/);
    assert.ok(long.outcome.ms < 5000, `the long chain took ${long.outcome.ms} ms`);
  });

  it("a chain of symbols redefined by a macro used twice forgets only what each redefinition changes", async () => {
    // The second expansion redefines every link of the chain: forgetting every known value at each
    // redefinition made this quadratic in the chain (about a minute, found by the fuzzer).
    const body = ["fz0:"];
    for (let i = 1; i < 2000; i++) body.push(`  .equ fz${i}, fz${i - 1} + ${i % 2 ? "fz0 - fz0" : "(fz0 - fz0) * 2"}`);
    const text = ["_start: nop", ".macro CHAIN", ...body, ".endm", "CHAIN", "CHAIN", ".word fz1999"].join("\n");
    const twice = await assembleIsolated("twice.s", text);
    assert.match(firstError(twice.report), /nested more than 1024 deep|already defined/);
    assert.ok(twice.outcome.ms < 10_000, `the redefined chain took ${twice.outcome.ms} ms`);
  });

  it("a redefinition reaches the values computed from the old one, as in GNU as", () => {
    const src = [".text", ".globl _start", "_start:", ".equ a, 1", ".equ b, a + 1", ".equ c, b * 2", ".word c", ".equ a, 10", ".word c", ".word b",
      ".set d, later + 1", ".word d", ".equ later, 5", ".word d", "nop", ""].join("\n");
    assert.deepEqual(compareWithGnu("redefine.s", src), []);
  });

  it("a constant wider than 64 bits is a located error, as in GNU as, not silently truncated", async () => {
    const { report } = await assembleIsolated("wide.s", "_start:\n  addi a0,a0,0x10000000000000000\n  li a0,0x1ffffffffffffffffffff\n  li a0,0xffffffffffffffff\n");
    assert.deepEqual(report.errors.map((e) => `${e.line}:${e.column}: ${e.message}`), [
      "2:14: constant 0x10000000000000000 is wider than 64 bits, the limit",
      "3:9: constant 0x1ffffffffffffffffffff is wider than 64 bits, the limit",
    ]);
  });

  it("a source with nothing to run is a load error, for the loader and for the ELF writer alike", async () => {
    for (const text of ["", "  .data\n  .word 1\n", "# only a comment\n"]) {
      const { report } = await assembleIsolated("empty.S", text);
      assert.equal(report.errorCount, 0, "the editor shows no error for an empty file");
      assert.deepEqual(report.loader, { ok: false, error: "/w/empty.S:1:1: nothing to run: the program has no instructions at its entry 0x80000000" });
      assert.equal(report.elf, "nothing to run: the program has no instructions at its entry 0x80000000");
    }
  });

  it("the editor's assembly stops at its time limit with a diagnostic that says so", () => {
    const text = "_start:\n.rept 990000\n  li a0, 0x123456789abcdef\n.endr\n";
    const t0 = performance.now();
    const problems = assembleForEditor("/w/slow.s", text, () => undefined).problems;
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `the check took ${ms} ms`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /^assembly stopped here after 1000 ms, the time limit for checking as you type/);
  });
});
