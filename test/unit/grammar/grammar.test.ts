/**
 * The TextMate grammar, checked with vscode-tmgrammar-test:
 * - snapshot tests: every test/grammar/*.S must tokenize exactly as its committed .snap says
 *   (regenerate after an intended change with `npx vscode-tmgrammar-snap -u -g syntaxes/riscv-asm.tmLanguage.json -s source.riscv-asm "test/grammar/*.S"`);
 * - assertion tests generated from the ISA table: every mnemonic, CSR name and register is scoped as one.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ABI_NAMES, FP_ABI_NAMES } from "../../../src/isa/registers";
import { CSRS } from "../../../src/isa/csrs";
import { PSEUDO_INSTRUCTIONS } from "../../../src/isa/docs";
import { COMPRESSED, INSTRUCTIONS } from "../../../src/isa/instructions";

const root = path.join(__dirname, "../../..");
const GRAMMAR = path.join(root, "syntaxes/riscv-asm.tmLanguage.json");
const SCOPE = "source.riscv-asm";
const tool = (name: "snapshot" | "unit") => path.join(root, "node_modules/vscode-tmgrammar-test/dist", `${name}.js`);

function run(name: "snapshot" | "unit", pattern: string): { status: number | null; output: string } {
  assert.ok(existsSync(tool(name)), "vscode-tmgrammar-test is not installed: run npm install");
  const r = spawnSync(process.execPath, [tool(name), "-g", GRAMMAR, ...(name === "snapshot" ? ["-s", SCOPE] : []), pattern], {
    cwd: root, encoding: "utf8",
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("the riscv-asm TextMate grammar", () => {
  it("tokenizes the fixtures exactly as their snapshots", () => {
    const dir = path.join(root, "test/grammar");
    const fixtures = readdirSync(dir).filter((f) => /\.[sS]$/.test(f));
    assert.ok(fixtures.length > 0);
    // Without a snapshot the tool writes one and passes; a missing snapshot must fail instead.
    for (const f of fixtures) assert.ok(existsSync(path.join(dir, `${f}.snap`)), `test/grammar/${f}.snap is missing`);
    const r = run("snapshot", "test/grammar/*.[sS]");
    assert.equal(r.status, 0, r.output);
    assert.doesNotMatch(r.output, /Generating snapshot|changed|failed/i, r.output);
  });

  it("scopes every mnemonic, CSR name and register of the ISA table", () => {
    const lines = [`# SYNTAX TEST "${SCOPE}" "ISA table coverage"`];
    const mark = (col: number, word: string, scope: string) => `#${" ".repeat(col - 1)}${"^".repeat(word.length)} ${scope}`;
    const mnemonics = new Set([...INSTRUCTIONS.map((s) => s.name), ...COMPRESSED.map((s) => s.name), ...PSEUDO_INSTRUCTIONS, "lr.d.aq", "amoswap.w.aqrl"]);
    for (const m of mnemonics) lines.push(`  ${m} a0`, mark(2, m, "keyword.mnemonic.riscv-asm"), mark(3 + m.length, "a0", "variable.language.register.riscv-asm"));
    for (const m of ["ADDI", "Lw"]) lines.push(`lbl: ${m} t0`, mark(5, m, "keyword.mnemonic.riscv-asm"));
    for (const c of CSRS) lines.push(`  csrr t0, ${c.name}`, mark(11, c.name, "variable.language.csr.riscv-asm"));
    for (const r of [...ABI_NAMES, "fp", ...ABI_NAMES.map((_, i) => `x${i}`), ...FP_ABI_NAMES, ...FP_ABI_NAMES.map((_, i) => `f${i}`)]) lines.push(`  mv ${r}, a1`, mark(5, r, "variable.language.register.riscv-asm"));
    // Near misses stay plain symbols.
    for (const w of ["pmpcfg16", "pmpaddr64", "x32", "a8", "s12", "f32", "fa8", "ft12", "mhpmcounter2", "hpmcounter32", "a0_end"]) {
      lines.push(`  la t0, ${w}`, mark(9, w, "entity.name.label.reference.riscv-asm"));
    }
    // Unknown words where a mnemonic goes are macro calls, not instructions.
    lines.push("  addix a0", mark(2, "addix", "entity.name.function.macro.call.riscv-asm"));
    const dir = mkdtempSync(path.join(tmpdir(), "hs-grammar-"));
    const file = path.join(dir, "isa.S");
    writeFileSync(file, lines.join("\n") + "\n");
    const r = run("unit", file);
    assert.equal(r.status, 0, r.output.slice(0, 4000));
  });
});
