import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assemble } from "../../../src/asm/assemble";
import { parseElf, type ElfSymbol } from "../../../src/asm/elf";
import { attributeArch, elfFromAssembly, ElfWriteError, writeElf } from "../../../src/asm/elf_writer";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { runProgram, type RunIo } from "../../../src/cli/run";

const root = path.join(__dirname, "../../..");
const FIXTURES = path.join(root, "test/fixtures/asm");
const DEFAULT_MARCH = "rv64imafdc_zicsr_zifencei";
/** hext.S turns H on with `.option arch, +h`; GNU records that in the ELF, AssembleResult does not say it. */
const MARCH: Record<string, string> = { "hext.S": "rv64imac_zicsr_zifencei_h" };

function tool(name: string, args: string[], cwd: string): string {
  const r = spawnSync(name, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`${name} could not run (${r.error.message}): install binutils-riscv64-unknown-elf`);
  if (r.status !== 0) throw new Error(`${name} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout + r.stderr;
}

const readText = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

/** Hyperstep's ELF of a source, linker-script symbols included (objdump names addresses after them). */
function hyperstepElf(file: string, march = DEFAULT_MARCH): Uint8Array {
  const result = assemble(file, readText, { march });
  assert.deepEqual(result.errors, []);
  const elf = elfFromAssembly(result, MARCH[path.basename(file)] ?? march);
  assert.ok(elf instanceof Uint8Array, String(elf));
  return elf;
}

/** GNU's ELF of the same source: cpp for .S, then as, then ld -Ttext=0x80000000. */
function gnuElf(dir: string, name: string): string {
  const src = name.endsWith(".S") ? "pre.s" : name;
  if (name.endsWith(".S")) tool("riscv64-unknown-elf-cpp", ["-P", "-x", "assembler-with-cpp", name, "-o", "pre.s"], dir);
  tool("riscv64-unknown-elf-as", [`-march=${DEFAULT_MARCH}`, src, "-o", "gnu.o"], dir);
  tool("riscv64-unknown-elf-ld", ["-Ttext=0x80000000", "gnu.o", "-o", "gnu.elf"], dir);
  return path.join(dir, "gnu.elf");
}

interface DumpLine {
  address?: bigint;
  text: string;
}

/** `objdump -d` from the first section heading on: labels and instruction lines. */
function objdump(elf: string): DumpLine[] {
  const lines = tool("riscv64-unknown-elf-objdump", ["-d", elf], path.dirname(elf)).split("\n");
  const start = lines.findIndex((l) => l.startsWith("Disassembly of section"));
  return lines.slice(start).filter((l) => l !== "").map((text) => {
    const m = /^\s+([0-9a-f]+):/.exec(text);
    return m ? { address: BigInt("0x" + m[1]), text } : { text };
  });
}

/**
 * Address ranges GNU disassembles as data (`.word`, `.short`, …, from its `$d` mapping symbols).
 * Hyperstep's object has no code/data marks yet, so objdump decodes those bytes as instructions in
 * its ELF; the comparison leaves them out and compares every instruction line.
 */
function dataRanges(lines: DumpLine[]): [bigint, bigint][] {
  const ranges: [bigint, bigint][] = [];
  for (const l of lines) {
    const m = /^\s+[0-9a-f]+:\t((?:[0-9a-f]+ )+)\s*\t\.(?:byte|short|word|dword|insn)\b/.exec(l.text);
    if (m && l.address !== undefined) ranges.push([l.address, l.address + BigInt(m[1].replace(/ /g, "").length / 2)]);
  }
  return ranges;
}

const inRanges = (a: bigint | undefined, ranges: [bigint, bigint][]) => a !== undefined && ranges.some(([lo, hi]) => a >= lo && a < hi);

describe("the ELF writer", () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => /\.[sS]$/.test(f));
  for (const name of fixtures) {
    it(`objdump -d of Hyperstep's ELF of ${name} equals objdump -d of GNU as+ld's`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), "hs-elfw-"));
      cpSync(FIXTURES, dir, { recursive: true });
      const ours = path.join(dir, "ours.elf");
      writeFileSync(ours, hyperstepElf(path.join(dir, name)));
      const gnu = objdump(gnuElf(dir, name));
      const mine = objdump(ours);
      const data = dataRanges(gnu);
      const keep = (l: DumpLine) => !inRanges(l.address, data);
      const expected = gnu.filter(keep).map((l) => l.text);
      const got = mine.filter(keep).map((l) => l.text);
      assert.ok(expected.filter((l) => /^\s+[0-9a-f]+:/.test(l)).length > 10, `objdump shows too few instructions for ${name}`);
      assert.deepEqual(got, expected);
      if (name === "directives.S") assert.ok(data.length > 0, "directives.S has data in .text; the data-range filter found none");
    });
  }

  it("writes headers readelf -a reads without a warning, and the attributes GNU writes", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hs-elfw-"));
    cpSync(path.join(root, "sample-guests/hello"), dir, { recursive: true });
    const ours = path.join(dir, "ours.elf");
    writeFileSync(ours, hyperstepElf(path.join(dir, "hello.S")));
    const text = tool("riscv64-unknown-elf-readelf", ["-a", "-W", ours], dir);
    assert.doesNotMatch(text, /warning|error|corrupt/i);
    assert.match(text, /Type:\s+EXEC/);
    assert.match(text, /Machine:\s+RISC-V/);
    assert.match(text, /Entry point address:\s+0x80000000/);
    assert.match(text, /Flags:\s+0x1, RVC, soft-float ABI/);
    assert.match(text, /LOAD\s+0x001000 0x0000000080000000 0x0000000080000000 0x\S+ 0x\S+ R E 0x1000/);
    assert.match(text, /\.bss\s+NOBITS\s+00000000800010c0/);
    assert.match(text, /GLOBAL DEFAULT\s+1 _start/);
    assert.match(text, /LOCAL {2}DEFAULT\s+1 puts/);
    assert.match(text, /GLOBAL DEFAULT\s+ABS __global_pointer\$/);
    // The attribute section is byte for byte what GNU as + ld write for the same guest.
    const gnu = gnuElf(dir, "hello.S");
    const attrs = (elf: string) => tool("riscv64-unknown-elf-readelf", ["-x", ".riscv.attributes", elf], dir).replace(/^.*section.*$/m, "");
    assert.equal(attrs(ours), attrs(gnu));
  });

  it("round-trips through Hyperstep's ELF reader: entry, segments and symbols", () => {
    const file = path.join(root, "sample-guests/hello/hello.S");
    const result = assemble(file, readText);
    const image = parseElf(hyperstepElf(file));
    if (image instanceof Error) assert.fail(image.message);
    assert.equal(image.entry, result.program!.entry);
    assert.deepEqual(
      image.segments.map((s) => ({ paddr: s.paddr, data: [...s.data], memsz: s.memsz })),
      result.program!.segments.map((s) => ({ paddr: s.paddr, data: [...s.data], memsz: s.memsz })),
    );
    for (const s of result.symbols) {
      const found: ElfSymbol | undefined = image.symbols.find((e) => e.name === s.name);
      assert.equal(found?.value, s.address, s.name);
    }
  });

  it("runs on QEMU with the output and exit status of Hyperstep's own run of hello.S", async () => {
    const source = path.join(root, "sample-guests/hello/hello.S");
    const dir = mkdtempSync(path.join(tmpdir(), "hs-elfw-"));
    const elf = path.join(dir, "hello.elf");
    writeFileSync(elf, hyperstepElf(source));
    const expected = await hyperstepRun(source);
    assert.match(expected.stdout, /Hello from a RISC-V guest!/);
    assert.deepEqual(await qemu(elf), expected);
    // And Hyperstep runs its own ELF the same way.
    assert.deepEqual(await hyperstepRun(elf), expected);
  });

  it("records the architecture the way GNU as spells it", () => {
    assert.equal(attributeArch("rv64imac_zicsr_zifencei"), "rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0_zmmul1p0");
    assert.equal(attributeArch("rv64imac_zicsr_zifencei_h"), "rv64i2p1_m2p0_a2p1_c2p0_h1p0_zicsr2p0_zifencei2p0_zmmul1p0");
    assert.equal(attributeArch("rv64i"), "rv64i2p1");
    assert.equal(attributeArch("rv64gc"), "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0_zifencei2p0_zmmul1p0");
    assert.equal(attributeArch("rv64imadc"), "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0_zmmul1p0", "D implies F, F implies Zicsr");
    assert.ok(attributeArch("x86") instanceof ElfWriteError);
    assert.ok(writeElf({ entry: 0n, sections: [], symbols: [], march: "rv32" }) instanceof ElfWriteError);
  });

  it("matches GNU's attribute strings for other architectures", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hs-elfw-"));
    writeFileSync(path.join(dir, "a.s"), "nop\n");
    for (const march of ["rv64i", "rv64ima_zicsr", "rv64imac_zicsr_zifencei_h"]) {
      tool("riscv64-unknown-elf-as", [`-march=${march}`, "a.s", "-o", "a.o"], dir);
      const text = tool("riscv64-unknown-elf-readelf", ["-A", "a.o"], dir);
      assert.equal(`"${attributeArch(march)}"`, /Tag_RISCV_arch: ("[^"]+")/.exec(text)?.[1], march);
    }
  });

  it("gives no ELF for a failed assembly", () => {
    const result = assemble("bad.S", () => "  addi a0, a0\n");
    assert.equal(elfFromAssembly(result), undefined);
  });
});

async function hyperstepRun(file: string): Promise<{ stdout: string; status: number | null }> {
  const program = await loadProgram(file);
  if (program instanceof ProgramError) assert.fail(program.message);
  const out: number[] = [];
  const io: RunIo = {
    out: { write: (b) => out.push(b) }, input: { read: () => -1 }, log: () => {}, flush: () => {},
    inputOpen: () => false, waitForInput: async () => {}, breathe: async () => {}, interrupted: () => false, now: () => performance.now(),
  };
  const r = await runProgram(program, { memoryBytes: 128 << 20, traceTraps: false, maxInstructions: 10_000_000 }, io);
  return { stdout: Buffer.from(out).toString("latin1"), status: r.exitCode };
}

function qemu(elf: string): Promise<{ stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn("qemu-system-riscv64", ["-machine", "virt", "-nographic", "-bios", "none", "-kernel", elf], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("latin1").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("latin1").on("data", (d: string) => (stderr += d));
    const kill = setTimeout(() => child.kill(), 20_000);
    child.on("error", (e) => reject(new Error(`qemu-system-riscv64 could not run (${e.message}): install qemu-system-misc`)));
    child.on("close", (status) => {
      clearTimeout(kill);
      if (stderr) stdout += `\n[qemu stderr] ${stderr}`;
      resolve({ stdout, status });
    });
  });
}
