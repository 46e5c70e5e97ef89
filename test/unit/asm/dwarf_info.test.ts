import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { readCProgram, type CProgram, type CVariable } from "../../../src/asm/dwarf/c_program";
import { resolved, typeName, type CType } from "../../../src/asm/dwarf/types";
import { dwarfSectionsOf, DwarfError } from "../../../src/asm/dwarf_line";
import { parseElf } from "../../../src/asm/elf";
import { buildWithGcc, ROOT } from "../../support/guests";

const SOURCE = path.join(ROOT, "test/dap/guests/c_locals.c");

interface ReadelfDie {
  tag: string;
  depth: number;
  attrs: Map<string, string>;
}

/** `readelf --debug-dump=info` as a flat list of DIEs (tag, depth, attribute texts). */
function readelfDies(elf: string): ReadelfDie[] {
  const text = execFileSync("riscv64-unknown-elf-readelf", ["--debug-dump=info", "-w", elf], { encoding: "utf8" });
  const dies: ReadelfDie[] = [];
  for (const line of text.split("\n")) {
    const die = /^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((DW_TAG_\w+)\)/.exec(line);
    if (die) dies.push({ depth: Number(die[1]), tag: die[2], attrs: new Map() });
    const attr = /^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*: (.*)$/.exec(line);
    if (attr && dies.length) dies[dies.length - 1].attrs.set(attr[1], attr[2].trim());
  }
  return dies;
}

/** readelf shows a name either inline or as "(indirect string, offset: 0x..): name". */
const nameOf = (d: ReadelfDie) => d.attrs.get("DW_AT_name")?.replace(/^\(indirect (line )?string, offset: (0x)?[0-9a-f]+\): /, "");

/** The DIEs directly under the DIE at `i` (the next `depth + 1` entries until the depth falls back). */
function childrenOf(dies: ReadelfDie[], i: number): ReadelfDie[] {
  const out: ReadelfDie[] = [];
  for (let j = i + 1; j < dies.length && dies[j].depth > dies[i].depth; j++) if (dies[j].depth === dies[i].depth + 1) out.push(dies[j]);
  return out;
}

function build(dwarf: 4 | 5): { elf: string; program: CProgram } {
  const elf = buildWithGcc(SOURCE, `c_locals_dwarf${dwarf}`, ["-O0", "-mcmodel=medany", "-march=rv64imac_zicsr", "-mabi=lp64", `-gdwarf-${dwarf}`]);
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  if (image instanceof Error) throw image;
  const sections = dwarfSectionsOf(image);
  assert.ok(sections);
  const program = readCProgram(sections);
  if (program instanceof DwarfError) assert.fail(program.message);
  return { elf, program };
}

const fbreg = (v: CVariable) => (v.location.kind === "frame" ? `DW_OP_fbreg: ${v.location.offset}` : v.location.kind);

for (const dwarf of [5, 4] as const) {
  describe(`.debug_info of a gcc -g -O0 guest (DWARF ${dwarf}) matches readelf`, () => {
    const { elf, program } = build(dwarf);
    const dies = readelfDies(elf);

    it("reads every function with its pc range and parameters and locals at their frame offsets", () => {
      const subprograms = dies.map((d, i) => ({ d, i })).filter(({ d }) => d.tag === "DW_TAG_subprogram");
      assert.deepEqual(program.units[0].functions.map((f) => f.name).sort(), subprograms.map(({ d }) => nameOf(d)).sort());
      for (const { d, i } of subprograms) {
        const f = program.units[0].functions.find((x) => x.name === nameOf(d))!;
        assert.equal(f.lowPc, BigInt(d.attrs.get("DW_AT_low_pc")!));
        assert.equal(f.highPc - f.lowPc, BigInt(d.attrs.get("DW_AT_high_pc")!));
        assert.equal(f.frameBase.kind, "cfa");
        const theirs = (tag: string) => {
          // Locals of nested blocks (the for loop's `i`) count too: walk the whole subtree.
          const out: string[] = [];
          for (let j = i + 1; j < dies.length && dies[j].depth > d.depth; j++) {
            if (dies[j].tag === tag) out.push(`${nameOf(dies[j])} ${/DW_OP_fbreg: -?\d+/.exec(dies[j].attrs.get("DW_AT_location") ?? "")?.[0]}`);
          }
          return out;
        };
        assert.deepEqual(f.params.map((p) => `${p.name} ${fbreg(p)}`), theirs("DW_TAG_formal_parameter"));
        assert.deepEqual(f.locals.map((p) => `${p.name} ${fbreg(p)}`), theirs("DW_TAG_variable"));
      }
      const walk = program.functionAt(program.units[0].functions.find((f) => f.name === "walk")!.lowPc + 4n);
      assert.equal(walk?.name, "walk");
      assert.ok(walk.locals.find((l) => l.name === "i")?.range, "the loop variable carries its block's range");
    });

    it("reads struct members at readelf's offsets, with their types", () => {
      const structs = dies.map((d, i) => ({ d, i })).filter(({ d }) => d.tag === "DW_TAG_structure_type");
      assert.equal(structs.length, 2);
      const head = program.units[0].globals.find((g) => g.name === "head")!;
      const node = resolved(head.type);
      assert.equal(node.kind, "struct");
      const pos = node.members[0].type;
      for (const { d, i } of structs) {
        const ours: CType = nameOf(d) === "node" ? node : resolved(pos);
        assert.ok(ours.kind === "struct");
        assert.equal(typeName(ours), `struct ${nameOf(d)}`);
        assert.equal(ours.size, Number(d.attrs.get("DW_AT_byte_size")));
        const members = childrenOf(dies, i).filter((m) => m.tag === "DW_TAG_member");
        assert.deepEqual(ours.members.map((m) => `${m.name}@${m.offset}`), members.map((m) => `${nameOf(m)}@${m.attrs.get("DW_AT_data_member_location")}`));
      }
      // The C types of the source, spelled as gdb's whatis spells them.
      assert.deepEqual(node.members.map((m) => typeName(m.type)), ["struct point", "struct node *", "const char *", "short int [3]", "enum color"]);
      const next = resolved(node.members[1].type);
      assert.ok(next.kind === "pointer" && next.target === node, "a self-referential struct is one object");
      const color = resolved(node.members[4].type);
      assert.ok(color.kind === "enum");
      assert.deepEqual([...color.values], [[0n, "RED"], [5n, "GREEN"], [6n, "BLUE"]]);
    });

    it("reads globals at their DW_OP_addr, which is the symbol's address", () => {
      const nm = execFileSync("riscv64-unknown-elf-nm", [elf], { encoding: "utf8" });
      const symbol = (name: string) => BigInt(`0x${new RegExp(`^([0-9a-f]+) \\w ${name}$`, "m").exec(nm)![1]}`);
      const globals = program.units[0].globals;
      assert.deepEqual(globals.map((g) => `${g.name}: ${typeName(g.type)}`), ["ticks: volatile int", "head: struct node", "stack: char [4096]"]);
      for (const g of globals) assert.deepEqual(g.location, { kind: "address", address: symbol(g.name) });
      const walk = program.units[0].functions.find((f) => f.name === "walk")!;
      assert.deepEqual(walk.params.map((p) => `${p.name}: ${typeName(p.type)}`), ["n: struct node *", "limit: int"]);
      assert.deepEqual(walk.locals.map((p) => `${p.name}: ${typeName(p.type)}`), ["local: struct node", "sum: int", "letter: char", "count: size_t", "i: size_t"]);
    });
  });
}

describe(".debug_info that is malformed", () => {
  it("every single-byte corruption of a real .debug_info reads or gives a DwarfError, never an exception", () => {
    const { elf } = build(5);
    const image = parseElf(new Uint8Array(readFileSync(elf)));
    if (image instanceof Error) throw image;
    const sections = dwarfSectionsOf(image)!;
    const info = sections.debugInfo!;
    let errors = 0;
    for (let i = 0; i < info.length; i++) {
      for (const b of [0x00, 0xff]) {
        const bad = info.slice();
        bad[i] = b;
        const r = readCProgram({ ...sections, debugInfo: bad });
        if (r instanceof DwarfError) errors++;
        else for (const u of r.units) for (const g of u.globals) typeName(g.type);
      }
    }
    assert.ok(errors > 0, "some corruptions are detected");
  });

  it("gives a DwarfError, not an exception", () => {
    const bad = readCProgram({ debugLine: new Uint8Array(), debugInfo: new Uint8Array([0x20, 0, 0, 0, 5, 0]), debugAbbrev: new Uint8Array([0]) });
    assert.ok(bad instanceof DwarfError, String(bad));
  });
});
