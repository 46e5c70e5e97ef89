/**
 * The differential corpus: every file in test/fixtures/asm assembled by Hyperstep and by GNU
 * (riscv64-unknown-elf-as + ld -Ttext=0x80000000) must give identical sections, addresses, entry
 * point and symbol values. Fails when the GNU tools are missing.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
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
