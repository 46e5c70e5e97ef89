/**
 * The disassembler against objdump over the corpus (test/fixtures/disasm/corpus.S) plus one
 * csrr/csrw pair per CSR of the ISA table: every line, address, parcels, text and symbols, must match.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CSRS } from "../../../src/isa/csrs";
import { differences, objdumpAndOurs } from "./disasm_oracle";

const corpus = readFileSync(path.join(__dirname, "../../fixtures/disasm/corpus.S"), "utf8");

/** rv32-only CSRs are written by number: as rejects their names on rv64, objdump still names them. */
function csrSection(): string {
  const lines = ["        .text", "csrs_of_the_table:"];
  for (const c of CSRS) {
    const ref = c.rv32Only ? `0x${c.num.toString(16)}` : c.name;
    lines.push(`        csrr    a0, ${ref}`, `        csrw    ${ref}, a1`);
  }
  return lines.join("\n") + "\n";
}

test("objdump and Hyperstep print the corpus identically", () => {
  const run = objdumpAndOurs(corpus + csrSection());
  assert.ok(run.objdump.length > 250 + 2 * CSRS.length, `objdump printed only ${run.objdump.length} lines`);
  assert.deepEqual(differences(run), []);
  assert.equal(run.ours.length, run.objdump.length);
});

test("the corpus exercises the forms it claims to", () => {
  const text = objdumpAndOurs(corpus).ours.join("\n");
  for (const expected of [
    "\tj\t7ffffff8 <_start-0x8>",
    "\tadd\ta0,a0,1",
    "\tcsrr\ta0,0x7c0",
    "\thlvx.wu\ta0,(a1)",
    "\tc.nop\t1",
    "\t.4byte\t0x7b",
    "\t.byte\t0x1f, 0x00, 0x00, 0x00, 0x00, 0x00",
    " # 80000810 <__global_pointer$+0x10>",
    " # 80000000 <_start>",
    "\tret",
  ]) {
    assert.ok(text.includes(expected), `corpus output lacks ${JSON.stringify(expected)}`);
  }
});
