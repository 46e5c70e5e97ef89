/**
 * Fuzz: random token soup and mutated valid programs must produce a result or errors, never an
 * exception, and in bounded time. The seed is printed on failure (HS_ASM_SEED repeats a run).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { assemble } from "../../../src/asm/assemble";

const TOKENS = [
  "addi", "a0", ",", "(", ")", "%hi", "%lo", "%pcrel_lo", "1f", "1b", "1:", "x:", ".rept", ".endr", ".macro", ".endm",
  ".if", ".endif", ".else", "#define", "#if", "#endif", "#include", '"x"', "\\", "'", "0x", "99999999999999999999", "-",
  "<<", ">>", "*", "/", "0", ".", ".align", ".word", ".section", ".text", "li", "la", "call", "beqz", "c.addi", "\n", ";",
  "/*", "*/", "#", "$", "=", ".equ", ".option", "push", "pop", "rvc", "norvc", "csrr", "mstatus", "fence", ".include",
  "sp", "x31", "x32", "amoadd.w.aq", ".fill", ".zero", "-1", ".balign", "3", ".irp", ".size", ".type", "@function",
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const corpusDir = path.join(__dirname, "../../fixtures/asm");
const corpus = readdirSync(corpusDir).filter((f) => /\.[sS]$/.test(f)).map((f) => readFileSync(path.join(corpusDir, f), "utf8"));

test("random token soup and mutated programs never throw and finish quickly", () => {
  const base = Number(process.env.HS_ASM_SEED ?? Date.now() % 1_000_000);
  const t0 = Date.now();
  for (let k = 0; k < 300; k++) {
    const seed = base + k;
    const r = rng(seed);
    let src: string;
    if (k % 2 === 0) {
      src = Array.from({ length: 1 + Math.floor(r() * 60) }, () => TOKENS[Math.floor(r() * TOKENS.length)]).join(r() < 0.5 ? " " : "");
    } else {
      const chars = [...corpus[Math.floor(r() * corpus.length)]!];
      for (let m = 0; m < 1 + r() * 10; m++) {
        const at = Math.floor(r() * chars.length);
        const op = r();
        if (op < 0.33) chars.splice(at, 1 + Math.floor(r() * 5));
        else if (op < 0.66) chars.splice(at, 0, ...TOKENS[Math.floor(r() * TOKENS.length)]!);
        else chars[at] = String.fromCharCode(32 + Math.floor(r() * 95));
      }
      src = chars.join("");
    }
    const name = k % 4 === 1 ? "f.S" : "f.s";
    let result;
    try {
      result = assemble(name, (p) => (p === name ? src : undefined));
    } catch (e) {
      assert.fail(`seed ${seed} threw ${(e as Error).stack}\n--- source ---\n${src}`);
    }
    assert.ok(result.errors.length > 0 || result.program !== undefined, `seed ${seed}: neither a program nor errors`);
    for (const e of result.errors) assert.ok(e.line >= 0 && e.column >= 0 && e.message.length > 0, `seed ${seed}: malformed error`);
  }
  assert.ok(Date.now() - t0 < 60_000, "fuzzing took too long");
});
