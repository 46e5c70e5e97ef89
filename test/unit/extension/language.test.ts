import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CSRS } from "../../../src/isa/csrs";
import { mnemonicDoc, PSEUDO_INSTRUCTIONS } from "../../../src/isa/docs";
import { COMPRESSED, INSTRUCTIONS } from "../../../src/isa/instructions";
import { completionsAt, csrMarkdown, mnemonicMarkdown, registerMarkdown } from "../../../src/extension/completion";
import { assembleForEditor, problemRange } from "../../../src/extension/diagnostics";
import { hoverAt } from "../../../src/extension/hover";

describe("assembly problems", () => {
  it("lists every error with its exact 0-based range", () => {
    const text = "_start:\n  addi a0, a0\n  lw a1, 0(a9)\n  frob x1\n  .word 1,\n";
    const { problems } = assembleForEditor("/w/t.S", text, () => undefined);
    assert.deepEqual(problems.map((p) => [p.file, p.range.line, p.range.start, p.range.end]), [
      ["/w/t.S", 1, 2, 6], // addi
      ["/w/t.S", 2, 11, 13], // a9
      ["/w/t.S", 3, 2, 6], // frob
      ["/w/t.S", 4, 9, 10], // nothing after the comma: the comma itself
    ]);
    assert.match(problems[2]!.message, /unknown instruction 'frob'/);
  });

  it("uses the document's unsaved text and reads includes through readFile, reporting errors where they are", () => {
    const files: Record<string, string> = { "/w/inc/bad.s": "  nop\n  addi t0\n" };
    const { problems } = assembleForEditor("/w/main.S", '  .include "inc/bad.s"\n  nop\n', (p) => files[p]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.file, "/w/inc/bad.s");
    assert.deepEqual(problems[0]!.range, { line: 1, start: 2, end: 6 });
    assert.deepEqual(assembleForEditor("/w/ok.S", "_start: nop\n", () => undefined).problems, []);
  });

  it("carries the assembler's fix for a misspelt CSR, on exactly the misspelt word", () => {
    const { problems } = assembleForEditor("/w/t.S", "_start:\n  csrr t0, mtvek\n  csrw mstatus, t0\n", () => undefined);
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]!.range, { line: 1, start: 11, end: 16 });
    assert.equal(problems[0]!.replacement, "mtvec");
    assert.match(problems[0]!.message, /found 'mtvek'; did you mean 'mtvec'\?$/);
  });

  it("widens an error without an end column to its word, and never leaves the line", () => {
    assert.deepEqual(problemRange({ line: 3, column: 6 }, "  li foo, 1"), { line: 2, start: 5, end: 8 });
    assert.deepEqual(problemRange({ line: 1, column: 8 }, "  li a0,, 1"), { line: 0, start: 7, end: 8 });
    assert.deepEqual(problemRange({ line: 1, column: 9 }, "  .word "), { line: 0, start: 7, end: 8 });
    assert.deepEqual(problemRange({ line: 1, column: 1 }, ""), { line: 0, start: 0, end: 0 });
    assert.deepEqual(problemRange({ line: 1, column: 3, endColumn: 99 }, "  nop"), { line: 0, start: 2, end: 5 });
  });
});

describe("completion", () => {
  const labels = (prefix: string) => completionsAt(prefix).map((c) => c.label);
  it("offers every mnemonic of the ISA table and the pseudo-instructions at the start of a statement", () => {
    const got = new Set(labels("  "));
    for (const s of [...INSTRUCTIONS, ...COMPRESSED]) assert.ok(got.has(s.name), s.name);
    for (const p of PSEUDO_INSTRUCTIONS) assert.ok(got.has(p), p);
    assert.deepEqual(new Set(labels("loop: ad")), got);
    assert.ok(!got.has("a0"));
  });
  it("offers registers in operands, CSR names for CSR instructions, directives after a dot", () => {
    assert.ok(labels("  addi ").includes("a0"));
    assert.ok(labels("  addi a0, ").includes("x31"));
    assert.ok(!labels("  addi a0, ").includes("mstatus"));
    const csr = labels("  csrr t0, ");
    for (const c of CSRS.filter((c) => !c.rv32Only)) assert.ok(csr.includes(c.name), c.name);
    assert.ok(labels("  .").includes(".section"));
    assert.deepEqual(labels("  nop # a"), []);
    assert.deepEqual(labels('  .ascii "a '), []);
  });
  it("documents each item", () => {
    const addi = completionsAt("").find((c) => c.label === "addi")!;
    assert.equal(addi.kind, "mnemonic");
    assert.match(addi.detail, /^addi rd, rs1, imm12 \(I instruction\)$/);
    const mstatus = completionsAt("csrr a0, ").find((c) => c.label === "mstatus")!;
    assert.match(mstatus.detail, /^CSR 0x300: Machine status$/);
  });
});

describe("hover", () => {
  it("documents every mnemonic the assembler accepts", () => {
    for (const name of [...INSTRUCTIONS.map((s) => s.name), ...COMPRESSED.map((s) => s.name), ...PSEUDO_INSTRUCTIONS]) {
      assert.ok(mnemonicDoc(name), `no documentation for ${name}`);
      assert.ok(mnemonicMarkdown(name), name);
    }
    assert.equal(mnemonicDoc("amoadd.w.aqrl"), mnemonicDoc("amoadd.w"));
  });
  it("shows instructions in the mnemonic position and CSRs and registers in operands", () => {
    const line = "loop:  csrrw t0, mscratch, a0   # swap";
    const at = (word: string) => hoverAt(line, line.indexOf(word) + 1);
    assert.deepEqual({ ...at("csrrw")!, markdown: "" }, { markdown: "", start: 7, end: 12 });
    assert.match(at("csrrw")!.markdown, /^`csrrw rd, csr, rs1` — Zicsr instruction\n\nAtomic CSR read and write/);
    assert.match(at("mscratch")!.markdown, /^`mscratch` — CSR 0x340, M and above, read\/write\n\nScratch register for machine trap handlers\.$/);
    assert.match(at("t0")!.markdown, /^`x5` \/ `t0` — temporary/);
    assert.equal(at("loop"), undefined);
    assert.equal(at("swap"), undefined);
    assert.match(hoverAt("  rdtime a0", 4)!.markdown, /pseudo-instruction[\s\S]*Expands to `csrrs rd, time, x0`/);
    assert.match(csrMarkdown("cycle")!, /read-only/);
    assert.match(registerMarkdown("fp")!, /^`x8` \/ `s0`/);
    assert.equal(hoverAt("  add a0, a1, a2", 30), undefined);
  });
  it("knows the F and D instructions, their pseudo-instructions and the f registers", () => {
    const line = "  fmadd.d fa0, fs1, f31, ft2, rtz";
    const at = (word: string) => hoverAt(line, line.indexOf(word) + 1);
    assert.match(at("fmadd.d")!.markdown, /^`fmadd.d fd, fs1, fs2, fs3\[, rm\]` — D instruction\n\nFused multiply-add/);
    assert.match(at("fa0")!.markdown, /^`f10` \/ `fa0` — floating-point argument/);
    assert.match(at("f31")!.markdown, /^`f31` \/ `ft11` — floating-point temporary/);
    assert.match(hoverAt("  fsflags a0", 4)!.markdown, /pseudo-instruction[\s\S]*Expands to `csrrw rd, fflags, rs1`/);
    assert.match(hoverAt("  c.fldsp ft0, 8(sp)", 4)!.markdown, /fld fd, offset\(sp\)/);
    assert.ok(completionsAt("  fadd.s ").some((c) => c.label === "fs11"));
    assert.ok(completionsAt("  ").some((c) => c.label === "fcvt.lu.d"));
  });
  it("asks for the guest's own names where no instruction, CSR or register has the word", () => {
    const asked: string[] = [];
    const describe = (word: string) => (asked.push(word), word === "puts" || word === "UART" ? `about ${word}` : undefined);
    const hover = (line: string, word: string) => hoverAt(line, line.indexOf(word) + 1, describe)?.markdown;
    assert.equal(hover("  call puts", "puts"), "about puts");
    assert.equal(hover("puts:", "puts"), "about puts", "the label's definition");
    assert.equal(hover("  li t0, UART", "UART"), "about UART");
    assert.equal(hover("#define UART 0x10000000", "UART"), "about UART", "a #define line");
    assert.equal(hover("#ifdef UART", "UART"), "about UART");
    assert.equal(hover("#define UART 0x10000000", "define"), undefined, "the directive itself");
    assert.equal(hover("  call puts  # puts", "# puts".slice(2)), "about puts", "the first 'puts' is code");
    assert.equal(hoverAt("  nop  # puts", 10, describe), undefined, "a comment");
    assert.match(hover("  csrr t0, mstatus", "mstatus")!, /Machine status/, "a CSR stays a CSR");
    assert.ok(!asked.includes("mstatus") && !asked.includes("csrr"));
  });
});
