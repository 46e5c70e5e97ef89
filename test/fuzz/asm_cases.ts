/**
 * Assembler fuzz cases: real sources (test/fixtures/asm and the sample guests) mutated by characters,
 * tokens, lines and structure (repetition, macros, conditionals, includes, deep nesting, boundary
 * numbers), and now and then plain token soup. A case is a pure function of its generator, so a seed
 * and an index give it back.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { AsmInput } from "./asm_target";
import { below, pick, type Rng } from "./prng";

const ROOT = path.resolve(__dirname, "../..");
/** Where the corpus lives in a case's file system, so that relative includes resolve as on disk. */
const CORPUS_ROOT = "/corpus/";

/** Every .S/.s/.h file under the corpus folders, by its path in the case's file system. */
export function loadAsmCorpus(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(S|s|h)$/.test(name)) files[CORPUS_ROOT + path.relative(ROOT, p).split(path.sep).join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(path.join(ROOT, "test/fixtures/asm"));
  walk(path.join(ROOT, "sample-guests"));
  return files;
}

const TOKENS = [
  "addi", "a0", ",", "(", ")", "%hi", "%lo", "%pcrel_hi", "%pcrel_lo", "1f", "1b", "1:", "x:", ".rept", ".endr", ".macro",
  ".endm", ".irp", ".irpc", ".if", ".ifdef", ".endif", ".else", ".elseif", "#define", "#if", "#ifdef", "#elif", "#endif",
  "#include", '"x"', '"', "\\", "\\@", "'", "0x", "99999999999999999999", "0xffffffffffffffff", "-", "~", "!", "<<", ">>",
  "*", "/", "%", "0", ".", ".align", ".p2align", ".balign", ".word", ".dword", ".byte", ".string", ".section", ".text",
  ".data", ".bss", "li", "la", "lla", "call", "tail", "beqz", "c.addi", "\n", ";", "/*", "*/", "#", "$", "=", ".equ",
  ".set", ".option", "push", "pop", "rvc", "norvc", "arch", "+h", "csrr", "mstatus", "fence", ".include", "sp", "x31",
  "x32", "amoadd.w.aq", ".fill", ".zero", ".space", "-1", "3", ".size", ".type", "@function", ".globl", "_start", ".L1",
  ".pushsection", ".popsection", ".exitm", ".purgem", ".end", ".error", "sfence.vma", "hfence.gvma", "jal", "ret",
];

/** Numbers at the edges: of immediates, of counts the assembler caps, of 32, 53 and 64 bits, and past them. */
const BOUNDARY_NUMBERS = [
  "0", "1", "-1", "2", "31", "32", "63", "64", "2047", "2048", "-2048", "-2049", "4095", "4096", "0x7fffffff", "0x80000000",
  "0xffffffff", "0x100000000", "0x10000000", "0x10000001", "268435456", "268435457", "1073741824", "0x7fffffffffffffff",
  "0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000", "9007199254740993", "-9223372036854775808", "077", "0b101",
];

const NESTING = [10, 255, 256, 257, 1000, 5000];
const MARCHES = [undefined, undefined, "rv64ima_zicsr_zifencei", "rv64imac_zicsr_zifencei_h", "rv64i_zicsr"];

type Mutation = (lines: string[], rng: Rng, ctx: { self: string; files: string[] }) => void;

const anyLine = (lines: string[], rng: Rng) => below(rng, lines.length + 1);

const MUTATIONS: Mutation[] = [
  // Characters: a span deleted, a token inserted, a character replaced.
  (lines, rng) => {
    const i = below(rng, lines.length);
    const l = lines[i] ?? "";
    const at = below(rng, l.length + 1);
    const op = rng();
    if (op < 0.33) lines[i] = l.slice(0, at) + l.slice(at + 1 + below(rng, 5));
    else if (op < 0.66) lines[i] = l.slice(0, at) + pick(rng, TOKENS) + l.slice(at);
    else lines[i] = l.slice(0, at) + String.fromCharCode(32 + below(rng, 95)) + l.slice(at + 1);
  },
  // Lines: one duplicated, deleted or moved.
  (lines, rng) => {
    const i = below(rng, lines.length);
    const op = rng();
    if (op < 0.4) lines.splice(i, 0, ...lines.slice(i, i + 1 + below(rng, 8)));
    else if (op < 0.7) lines.splice(i, 1 + below(rng, 4));
    else lines.splice(anyLine(lines, rng), 0, ...lines.splice(i, 1));
  },
  // A number replaced by one at an edge.
  (lines, rng) => {
    const i = below(rng, lines.length);
    const nums = [...(lines[i] ?? "").matchAll(/-?\b(0x[0-9a-fA-F]+|\d+)\b/g)];
    if (nums.length === 0) return;
    const m = pick(rng, nums);
    lines[i] = lines[i]!.slice(0, m.index) + pick(rng, BOUNDARY_NUMBERS) + lines[i]!.slice(m.index! + m[0].length);
  },
  // A directive that sizes or repeats, with an edge value.
  (lines, rng) => {
    const n = () => pick(rng, BOUNDARY_NUMBERS);
    const dir = pick(rng, [`.space ${n()}`, `.zero ${n()}`, `.fill ${n()}, ${n()}, ${n()}`, `.balign ${n()}`, `.p2align ${n()}`, `.align ${n()}, ${n()}, ${n()}`, `.rept ${n()}\nnop\n.endr`, `.skip ${n()}, ${n()}`, `.bss\n.space ${n()}\n.text`]);
    lines.splice(anyLine(lines, rng), 0, ...dir.split("\n"));
  },
  // A range of lines wrapped in repetition, a macro, or a conditional.
  (lines, rng) => {
    const a = below(rng, lines.length);
    const b = Math.min(lines.length, a + 1 + below(rng, 12));
    const body = lines.slice(a, b);
    const wrapped = pick(rng, [
      () => [`.rept ${pick(rng, ["0", "1", "3", "100", "100000"])}`, ...body, ".endr"],
      () => [".irp r, a0, a1, t0", ...body.map((l) => l.replace(/\ba0\b/, "\\r")), ".endr"],
      () => [".macro fz_m p=1, q:vararg", ...body, ".endm", "fz_m", "fz_m 2, x, y"],
      () => [".macro fz_r n", ...body, ".if \\n", "fz_r \\n-1", ".endif", ".endm", `fz_r ${pick(rng, ["3", "100", "1000"])}`],
      () => [`.if ${pick(rng, ["0", "1"])}`, ...body, ".else", ...body, ".endif"],
      () => [`#if ${pick(rng, ["0", "1", "defined(FZ)"])}`, ...body, "#endif"],
      () => [`#define FZ(x) x x`, ...body.map((l) => l.replace(/\b(a0|t0|sp)\b/, "FZ($1)"))],
    ])();
    lines.splice(a, b - a, ...wrapped);
  },
  // An include: of the file itself, of another corpus file, or of one that does not exist.
  (lines, rng, ctx) => {
    const target = pick(rng, [path.basename(ctx.self), ctx.self, pick(rng, ctx.files), "nowhere.h", "/dev/zero"]);
    lines.splice(anyLine(lines, rng), 0, ...Array(1 + below(rng, 2)).fill(rng() < 0.5 ? `#include "${target}"` : `  .include "${target}"`));
  },
  // An expression nested at and around the limits.
  (lines, rng) => {
    const k = pick(rng, NESTING);
    const e = pick(rng, [() => "(".repeat(k) + "1" + ")".repeat(k), () => "-".repeat(k) + "1", () => "1" + "+1".repeat(k), () => "~".repeat(k) + "0"])();
    lines.splice(anyLine(lines, rng), 0, pick(rng, [`  li a0, ${e}`, `  .word ${e}`, `.if ${e}`, `#if ${e}`, `  addi a0, a0, ${e}`]));
  },
  // A long line.
  (lines, rng) => {
    lines.splice(anyLine(lines, rng), 0, pick(rng, ["  .byte ", "  nop;", "  .ascii \"", "#define L "]) + pick(rng, TOKENS).repeat(1 + below(rng, 50_000)));
  },
  // A chain of symbols defined in terms of each other.
  (lines, rng) => {
    const n = pick(rng, [10, 300, 2000]);
    const chain = ["fz0:"];
    for (let i = 1; i < n; i++) chain.push(`  .equ fz${i}, fz${i - 1} + ${pick(rng, ["1", "fz0 - fz0", "(fz0 - fz0) * 2"])}`);
    chain.push(`  .word fz${n - 1}`);
    lines.splice(anyLine(lines, rng), 0, ...chain);
  },
];

/** A random string of assembler tokens, as the first fuzz test had. */
function tokenSoup(rng: Rng): string {
  return Array.from({ length: 1 + below(rng, 60) }, () => pick(rng, TOKENS)).join(rng() < 0.5 ? " " : "");
}

/** The case a generator gives: a corpus file mutated 1–4 times (token soup one time in eight). */
export function asmCase(rng: Rng, corpus: Record<string, string>): AsmInput {
  const paths = Object.keys(corpus).filter((p) => /\.[sS]$/.test(p));
  let main = pick(rng, paths);
  if (rng() < 0.2) main = main.replace(/\.([sS])$/, (_m, e: string) => (e === "S" ? ".s" : ".S"));
  let text: string;
  if (rng() < 0.125) text = tokenSoup(rng);
  else {
    const lines = (corpus[main] ?? corpus[main.replace(/\.([sS])$/, (_m, e: string) => (e === "S" ? ".s" : ".S"))]!).split("\n");
    const ctx = { self: main, files: Object.keys(corpus).map((p) => path.posix.relative(path.posix.dirname(main), p)) };
    for (let k = 1 + below(rng, 4); k > 0; k--) pick(rng, MUTATIONS)(lines, rng, ctx);
    text = lines.join("\n");
  }
  return { main, files: { ...corpus, [main]: text }, march: pick(rng, MARCHES) };
}
