/**
 * The objdump oracle for the disassembler tests: assembles a source with Debian's
 * riscv64-unknown-elf-as, links .text at 0x80000000, runs `riscv64-unknown-elf-objdump -d`, and
 * compares every line (address, raw parcels, text, labels) with Hyperstep's disassembly of the same
 * bytes and symbols. Throws when the tools are missing, so tests fail rather than skip.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  addressSkip,
  createSymbolizer,
  formatRange,
  renderObjdumpLine,
  type DisasmSymbol,
} from "../../../src/asm/disasm";

export const ORACLE_MARCH = "rv64imafdc_zicsr_zifencei_h";
const TEXT_BASE = 0x80000000n;

export interface ObjdumpRun {
  /** objdump's lines from the first label on (blank lines dropped). */
  objdump: string[];
  /** Hyperstep's rendering of the same bytes, in the same shape. */
  ours: string[];
}

function tool(name: string, args: string[], cwd: string): string {
  try {
    return execFileSync(name, args, { cwd, stdio: "pipe", maxBuffer: 1 << 28 }).toString();
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error(`${name} is missing: install binutils-riscv64-unknown-elf`);
    throw new Error(`${name} ${args.join(" ")} failed: ${err.stderr?.toString() ?? String(e)}`);
  }
}

/** Symbols from `objdump -t`, minus section and file symbols (objdump ignores those too). */
function readSymbols(elf: string, dir: string): DisasmSymbol[] {
  const out: DisasmSymbol[] = [];
  for (const line of tool("riscv64-unknown-elf-objdump", ["-t", elf], dir).split("\n")) {
    const m = /^([0-9a-f]{16}) (.{7}) (\S+)\t[0-9a-f]+ (.*)$/.exec(line);
    if (!m) continue;
    const [, value, flags, section, name] = m;
    if (flags[5] === "d" || flags[6] === "f" || section === "*UND*") continue;
    out.push({
      name,
      address: BigInt("0x" + value),
      global: flags[0] === "g",
      typed: flags[6] === "F" || flags[6] === "O",
      ...(section === "*ABS*" ? {} : { section }),
    });
  }
  return out;
}

/** The ISA string and privileged-spec version the ELF records, which objdump disassembles by. */
function readAttributes(elf: string, dir: string): { march?: string; privSpec: "1.11" | "1.12" } {
  const text = tool("riscv64-unknown-elf-readelf", ["-A", elf], dir);
  const march = /Tag_RISCV_arch: "([^"]+)"/.exec(text)?.[1];
  const major = /Tag_RISCV_priv_spec: (\d+)/.exec(text)?.[1];
  const minor = /Tag_RISCV_priv_spec_minor: (\d+)/.exec(text)?.[1];
  const privSpec = major === "1" && minor === "11" ? "1.11" : "1.12";
  return march ? { march, privSpec } : { privSpec };
}

/** Assembles `source` with GNU and returns objdump's and Hyperstep's disassembly of .text. */
export function objdumpAndOurs(source: string): ObjdumpRun {
  const dir = mkdtempSync(path.join(tmpdir(), "hs-disasm-"));
  try {
    writeFileSync(path.join(dir, "in.S"), source);
    writeFileSync(path.join(dir, "link.ld"), "SECTIONS { . = 0x80000000; .text : { *(.text) } }\n");
    tool("riscv64-unknown-elf-as", [`-march=${ORACLE_MARCH}`, "in.S", "-o", "in.o"], dir);
    tool("riscv64-unknown-elf-ld", ["-T", "link.ld", "in.o", "-o", "out.elf"], dir);
    const dump = tool("riscv64-unknown-elf-objdump", ["-d", "out.elf"], dir);
    tool("riscv64-unknown-elf-objcopy", ["-O", "binary", "-j", ".text", "out.elf", "text.bin"], dir);
    const text = new Uint8Array(readFileSync(path.join(dir, "text.bin")));
    const symbols = readSymbols("out.elf", dir);

    const lines = dump.split("\n");
    const first = lines.findIndex((l) => /^[0-9a-f]{16} <.*>:$/.test(l));
    const objdump = lines.slice(first).filter((l) => l !== "");

    const sym = createSymbolizer(symbols, ".text");
    const end = TEXT_BASE + BigInt(text.length);
    const gp = symbols.find((s) => s.name === "__global_pointer$")?.address;
    const attributes = readAttributes("out.elf", dir);
    const ours: string[] = [];
    const read = (a: bigint): number | undefined => (a >= TEXT_BASE && a < end ? text[Number(a - TEXT_BASE)] : undefined);
    for (const line of formatRange(read, TEXT_BASE, end, { ...attributes, symbolize: sym.symbolize, labelAt: sym.labelAt, gp })) {
      if (line.label) ours.push(`${line.address.toString(16).padStart(16, "0")} <${line.label}>:`);
      ours.push(...renderObjdumpLine(line, addressSkip(end)).split("\n"));
    }
    return { objdump, ours };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first lines where the two disassemblies differ (at most `max`), for assertion messages. */
export function differences(run: ObjdumpRun, max = 20): string[] {
  const diffs: string[] = [];
  const n = Math.max(run.objdump.length, run.ours.length);
  for (let k = 0; k < n && diffs.length < max; k++) {
    if (run.objdump[k] !== run.ours[k]) diffs.push(`objdump: ${JSON.stringify(run.objdump[k])}\n   ours: ${JSON.stringify(run.ours[k])}`);
  }
  return diffs;
}
