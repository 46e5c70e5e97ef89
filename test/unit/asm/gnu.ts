/**
 * The GNU oracle for the assembler tests: assembles and links a file with Debian's
 * riscv64-unknown-elf-as and -ld (same layout as Hyperstep: -Ttext=0x80000000) and returns its
 * allocated sections. Throws when the tools are missing, so the tests that need them fail, not skip.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseElf } from "../../../src/asm/elf";

export interface GnuSection {
  name: string;
  addr: bigint;
  data: Uint8Array;
  size: number;
  nobits: boolean;
}

export interface GnuResult {
  ok: boolean;
  stderr: string;
  sections: GnuSection[];
  symbols: Map<string, bigint>;
  entry: bigint;
}

const SHF_ALLOC = 2n;

/** Assembles `source` (as file `name`, `.S` goes through cpp) with GNU; extra files are written beside it. */
export function gnuAssemble(name: string, source: string, march = "rv64imafdc_zicsr_zifencei", extra: Record<string, string> = {}): GnuResult {
  const dir = mkdtempSync(path.join(tmpdir(), "hs-gnu-"));
  try {
    const src = path.join(dir, name);
    writeFileSync(src, source);
    for (const [n, t] of Object.entries(extra)) {
      mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
      writeFileSync(path.join(dir, n), t);
    }
    const obj = path.join(dir, "out.o");
    const elf = path.join(dir, "out.elf");
    let stderr = "";
    try {
      if (name.endsWith(".S")) {
        const pre = path.join(dir, "pre.s");
        execFileSync("riscv64-unknown-elf-cpp", ["-P", "-x", "assembler-with-cpp", src, "-o", pre], { cwd: dir, stdio: "pipe" });
        execFileSync("riscv64-unknown-elf-as", [`-march=${march}`, pre, "-o", obj], { cwd: dir, stdio: "pipe" });
      } else {
        execFileSync("riscv64-unknown-elf-as", [`-march=${march}`, src, "-o", obj], { cwd: dir, stdio: "pipe" });
      }
      execFileSync("riscv64-unknown-elf-ld", ["-Ttext=0x80000000", obj, "-o", elf], { cwd: dir, stdio: "pipe" });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === "ENOENT") throw new Error("riscv64-unknown-elf-as/ld are missing: install binutils-riscv64-unknown-elf");
      stderr = err.stderr?.toString() ?? String(e);
      return { ok: false, stderr, sections: [], symbols: new Map(), entry: 0n };
    }
    const image = parseElf(new Uint8Array(readFileSync(elf)));
    if (image instanceof Error) throw image;
    const sections = image.sections
      .filter((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0n)
      .map((s) => ({ name: s.name, addr: s.addr, data: s.data, size: Number(s.size), nobits: s.type === 8 }));
    const symbols = new Map<string, bigint>();
    for (const s of image.symbols) if (s.name && s.section !== 0 && s.type !== "file" && !symbols.has(s.name)) symbols.set(s.name, s.value);
    return { ok: true, stderr, sections, symbols, entry: image.entry };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
