/**
 * The differential corpus: every file in test/fixtures/asm assembled by Hyperstep and by GNU
 * (riscv64-unknown-elf-as + ld -Ttext=0x80000000) must give identical sections, addresses, entry
 * point and symbol values. Fails when the GNU tools are missing.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CSR_TABLE } from "../../../src/isa/csrs";
import { compareWithGnu } from "./compare";

const dir = path.join(__dirname, "../../fixtures/asm");
const extra: Record<string, string> = {};
for (const f of readdirSync(path.join(dir, "inc"))) extra[`inc/${f}`] = readFileSync(path.join(dir, "inc", f), "utf8");

for (const file of readdirSync(dir).filter((f) => /\.[sS]$/.test(f))) {
  test(`GNU and Hyperstep assemble ${file} identically`, () => {
    const diffs = compareWithGnu(file, readFileSync(path.join(dir, file), "utf8"), undefined, extra);
    assert.deepEqual(diffs, []);
  });
}

test("GNU and Hyperstep accept every RV64 CSR name of the ISA table, unmodelled extensions' included", () => {
  const names = CSR_TABLE.filter((s) => !s.rv32Only).map((s) => s.name);
  assert.ok(names.includes("vstart") && names.includes("ustatus"), "the table's name-only CSRs are in the source");
  const source = `  .text\n_start:\n${names.map((n) => `  csrr a0, ${n}\n  csrw ${n}, a1\n`).join("")}`;
  assert.deepEqual(compareWithGnu("csr_names.S", source), []);
});
