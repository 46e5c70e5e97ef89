import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CallFrameInfo, readCallFrameInfo, type CfiRow } from "../../../src/asm/dwarf/cfi";
import { readCProgram } from "../../../src/asm/dwarf/c_program";
import { DwarfError, dwarfSectionsOf, type DwarfSections } from "../../../src/asm/dwarf_line";
import { parseElf } from "../../../src/asm/elf";
import { buildWithGcc, ROOT } from "../../support/guests";

const SOURCE = path.join(ROOT, "test/dap/guests/c_optimized.c");
const NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

function build(name: string, flags: string[]): { elf: string; sections: DwarfSections } {
  // Debian's default target, rv64gc: the guest computes with doubles.
  const elf = buildWithGcc(SOURCE, `c_optimized_${name}`, ["-mcmodel=medany", "-march=rv64gc", "-mabi=lp64d", ...flags]);
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  if (image instanceof Error) throw image;
  const sections = dwarfSectionsOf(image);
  assert.ok(sections);
  return { elf, sections };
}

/** A row as readelf's frames-interp prints it: `sp+48`, and `c-8` for a register saved at CFA-8. */
function rowText(row: CfiRow, columns: string[]): string[] {
  assert.equal(row.cfa.kind, "register");
  const cfa = row.cfa.kind === "register" ? `${NAMES[row.cfa.reg]}+${row.cfa.offset}` : "exp";
  return [cfa, ...columns.map((name) => {
    const rule = row.rules.get(NAMES.indexOf(name));
    return rule?.kind === "offset" ? `c${rule.offset}` : "u";
  })];
}

/** Every row of every FDE in `readelf --debug-dump=frames-interp`, checked against ours at its pc. */
function checkAgainstReadelf(elf: string, cfi: CallFrameInfo): number {
  const text = execFileSync("riscv64-unknown-elf-readelf", ["--debug-dump=frames-interp", elf], { encoding: "utf8" });
  let columns: string[] = [];
  let inFde = false;
  let rows = 0;
  for (const line of text.split("\n")) {
    if (/ FDE cie=/.test(line)) inFde = true;
    else if (/ CIE /.test(line)) inFde = false;
    const header = /^\s+LOC\s+CFA\s*(.*)$/.exec(line);
    if (header) columns = header[1].trim().split(/\s+/).filter(Boolean);
    const row = /^([0-9a-f]{16}) (\S+)\s*(.*)$/.exec(line);
    if (!row || !inFde) continue;
    const ours = cfi.rowAt(BigInt(`0x${row[1]}`));
    assert.ok(ours, `a row at 0x${row[1]}`);
    assert.deepEqual(rowText(ours, columns), [row[2], ...row[3].trim().split(/\s+/).filter(Boolean)], `row at 0x${row[1]}`);
    rows++;
  }
  return rows;
}

describe("call frame information of gcc -g -Og guests matches readelf", () => {
  for (const [name, flags, section] of [
    ["cfi_debug_frame", ["-Og"], ".debug_frame"],
    ["cfi_eh_frame", ["-Og", "-fasynchronous-unwind-tables"], ".eh_frame"],
    ["cfi_O0", ["-O0"], ".debug_frame"],
  ] as const) {
    it(`${section} (${flags.join(" ")}): the CFA and saved-register rules at every row`, () => {
      const { elf, sections } = build(name, [...flags]);
      assert.ok(section === ".eh_frame" ? sections.ehFrame && !sections.debugFrame : sections.debugFrame);
      const cfi = readCallFrameInfo(sections);
      if (cfi instanceof DwarfError) assert.fail(cfi.message);
      assert.ok(checkAgainstReadelf(elf, cfi) >= 10);
      assert.equal(cfi.rowAt(0x7000_0000n), undefined, "no FDE covers an address outside the code");
    });
  }

  it("every single-byte corruption of .debug_frame gives rows or a DwarfError, never an exception", () => {
    const { sections } = build("cfi_debug_frame", ["-Og"]);
    const frame = sections.debugFrame!;
    for (let i = 0; i < frame.length; i++) {
      for (const b of [0x00, 0xff, 0x2f]) {
        const bad = frame.slice();
        bad[i] = b;
        const cfi = readCallFrameInfo({ debugFrame: bad });
        if (cfi instanceof DwarfError) continue;
        for (let pc = 0x8000_0000n; pc < 0x8000_0100n; pc += 2n) {
          try {
            cfi.rowAt(pc);
          } catch (e) {
            assert.ok(e instanceof Error && e.constructor.name === "Malformed", `byte ${i} = ${b}: ${String(e)}`);
          }
        }
      }
    }
  });
});

describe("location lists of gcc -g -Og guests match readelf", () => {
  for (const [name, flags, section] of [["loc5", ["-Og"], "loclists"], ["loc4", ["-Og", "-gdwarf-4"], "loc"]] as const) {
    it(`.debug_${section}: every entry's pc range`, () => {
      const { elf, sections } = build(name, [...flags]);
      const program = readCProgram(sections);
      if (program instanceof DwarfError) assert.fail(program.message);
      const ours: string[] = [];
      for (const f of program.units[0].functions) {
        for (const v of [...f.params, ...f.locals]) {
          if (v.location.kind === "list") for (const e of v.location.list.entries) ours.push(`${e.low.toString(16)} ${e.high.toString(16)}`);
        }
      }
      const text = execFileSync("riscv64-unknown-elf-readelf", ["--debug-dump=loc", elf], { encoding: "utf8" });
      const theirs = [...text.matchAll(/^\s+[0-9a-f]{8} ([0-9a-f]{16}) ([0-9a-f]{16}) \(/gm)].map((m) => `${BigInt(`0x${m[1]}`).toString(16)} ${BigInt(`0x${m[2]}`).toString(16)}`);
      assert.ok(theirs.length >= 20, `readelf lists ${theirs.length} entries`);
      assert.deepEqual(ours.sort(), theirs.sort());
    });
  }

  it("a lexical block with DW_AT_ranges scopes its locals by those ranges", () => {
    const { elf, sections } = build("loc5", ["-Og"]);
    const program = readCProgram(sections);
    if (program instanceof DwarfError) assert.fail(program.message);
    const i = program.units[0].functions.find((f) => f.name === "mid")!.locals.find((l) => l.name === "i")!;
    const text = execFileSync("riscv64-unknown-elf-readelf", ["--debug-dump=Ranges", elf], { encoding: "utf8" });
    const theirs = [...text.matchAll(/^\s+[0-9a-f]{8} ([0-9a-f]{16}) ([0-9a-f]{16})\s*$/gm)].map((m) => ({ low: BigInt(`0x${m[1]}`), high: BigInt(`0x${m[2]}`) }));
    assert.ok(theirs.length >= 2);
    assert.deepEqual(i.ranges, theirs);
  });
});
