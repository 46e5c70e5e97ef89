/**
 * ELF-loader fuzz cases: real executables, built by Hyperstep's assembler and by gcc (assembly and C,
 * with DWARF line tables), mutated where a reader is most easily led astray: header fields set to
 * boundary values, the bytes of the symbol, string and line tables, truncation, splices of another
 * file, and plain byte flips.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { assemble } from "../../src/asm/assemble";
import { parseElf } from "../../src/asm/elf";
import { elfFromAssembly } from "../../src/asm/elf_writer";
import type { Technique } from "../../src/target/techniques";
import type { ElfInput } from "./elf_target";
import { below, pick, type Rng } from "./prng";

const ROOT = path.resolve(__dirname, "../..");
const GCC = "riscv64-unknown-elf-gcc";
const GCC_FLAGS = ["-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-nostdlib", "-nostartfiles", "-static", "-g", "-mcmodel=medany", "-Wl,--no-warn-rwx-segments"];

/** A seed file with where its fields and tables are, so that mutations can aim at them. */
export interface ElfSeed {
  name: string;
  bytes: Uint8Array;
  /** Offsets of every field of the ELF header, the program headers and the section headers. */
  fields: number[];
  /** [start, end) of the bytes of each section with contents (.symtab, .strtab, .debug_line, …). */
  tables: [number, number][];
}

/** Builds the seeds: the sample guests through Hyperstep's assembler, the ELF fixtures and the benchmark's C through gcc. */
export function buildElfSeeds(): ElfSeed[] {
  const seeds: { name: string; bytes: Uint8Array }[] = [];
  for (const lesson of readdirSync(path.join(ROOT, "sample-guests"))) {
    const dir = path.join(ROOT, "sample-guests", lesson);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".S"))) {
      const file = path.join(dir, f);
      const elf = elfFromAssembly(assemble(file, (p) => readFileSync(p, "utf8")));
      if (!(elf instanceof Uint8Array)) throw new Error(`the sample guest ${f} does not assemble into an ELF: ${elf?.message}`);
      seeds.push({ name: `asm:${f}`, bytes: elf });
    }
  }
  const out = mkdtempSync(path.join(tmpdir(), "hyperstep-fuzz-elf-"));
  const gcc = (name: string, args: string[]) => {
    const file = path.join(out, `${name}.elf`);
    try {
      execFileSync(GCC, [...GCC_FLAGS, ...args, "-o", file], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      throw new Error(err.code === "ENOENT" ? `${GCC} is not installed; the ELF fuzzer needs it for its seeds` : `${GCC} failed on ${name}: ${err.stderr?.toString() ?? err.message}`);
    }
    seeds.push({ name: `gcc:${name}`, bytes: new Uint8Array(readFileSync(file)) });
  };
  const fixtures = path.join(ROOT, "test/fixtures/elf");
  for (const f of readdirSync(fixtures).filter((n) => n.endsWith(".S"))) gcc(f, ["-T", path.join(fixtures, "link.ld"), path.join(fixtures, f)]);
  const bench = path.join(ROOT, "bench/guest");
  gcc("bench.c", ["-O2", "-ffreestanding", "-fno-builtin", "-T", path.join(ROOT, "test/fixtures/guests/link.ld"), path.join(bench, "start.S"), path.join(bench, "bench.c")]);
  return seeds.map(({ name, bytes }) => ({ name, bytes, ...layoutOf(bytes) }));
}

function layoutOf(bytes: Uint8Array): Pick<ElfSeed, "fields" | "tables"> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  for (let o = 16; o < 64; o += 2) fields.push(o);
  const phoff = Number(v.getBigUint64(32, true));
  for (let i = 0; i < v.getUint16(56, true); i++) for (let f = 0; f < 56; f += 4) fields.push(phoff + i * 56 + f);
  const shoff = Number(v.getBigUint64(40, true));
  for (let i = 0; i < v.getUint16(60, true); i++) for (let f = 0; f < 64; f += 4) fields.push(shoff + i * 64 + f);
  const image = parseElf(bytes);
  if (image instanceof Error) throw new Error(`a fuzz seed is not a valid ELF: ${image.message}`);
  const tables = image.sections.filter((s) => s.data.length > 0).map((s): [number, number] => [s.offset, s.offset + s.data.length]);
  return { fields, tables };
}

const BOUNDARY = [0n, 1n, 2n, 0x38n, 0x40n, 0x7fn, 0x80n, 0xffn, 0x1000n, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, 1n << 53n, 0x7fff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn];
const TECHNIQUES: Technique[] = ["native", "native", "trap-and-emulate", "hardware-assisted"];

type Edit = (b: Uint8Array, rng: Rng, seed: ElfSeed, seeds: readonly ElfSeed[]) => Uint8Array;

const EDITS: Edit[] = [
  // A byte anywhere.
  (b, rng) => {
    b[below(rng, b.length)] = below(rng, 256);
    return b;
  },
  // A header field set to a boundary value (or a random one), 2, 4 or 8 bytes wide.
  (b, rng, seed) => {
    const at = pick(rng, seed.fields);
    const value = rng() < 0.7 ? pick(rng, BOUNDARY) : BigInt(below(rng, 2 ** 32));
    const width = pick(rng, [2, 4, 8]);
    if (at + width <= b.length) {
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (width === 2) view.setUint16(at, Number(value & 0xffffn), true);
      else if (width === 4) view.setUint32(at, Number(value & 0xffff_ffffn), true);
      else view.setBigUint64(at, value, true);
    }
    return b;
  },
  // A few bytes inside one of the tables (symbols, strings, the DWARF line program).
  (b, rng, seed) => {
    const [start, end] = pick(rng, seed.tables);
    for (let k = 1 + below(rng, 8); k > 0; k--) b[start + below(rng, end - start)] = rng() < 0.5 ? below(rng, 256) : pick(rng, [0, 0x7f, 0x80, 0xff]);
    return b;
  },
  // Truncated.
  (b, rng) => b.subarray(0, below(rng, b.length)),
  // A piece of another seed pasted over this one.
  (b, rng, _seed, seeds) => {
    const other = pick(rng, seeds).bytes;
    const from = below(rng, other.length);
    const n = Math.min(1 + below(rng, 256), other.length - from, b.length);
    b.set(other.subarray(from, from + n), below(rng, b.length - n + 1));
    return b;
  },
];

/** The case a generator gives: a seed with 1–4 edits, loaded under a technique. */
export function elfCase(rng: Rng, seeds: readonly ElfSeed[]): ElfInput {
  const seed = pick(rng, seeds);
  let bytes: Uint8Array = seed.bytes.slice();
  for (let k = 1 + below(rng, 4); k > 0 && bytes.length > 0; k--) bytes = pick(rng, EDITS)(bytes, rng, seed, seeds);
  return { bytes, technique: pick(rng, TECHNIQUES) };
}
