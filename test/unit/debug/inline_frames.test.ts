/**
 * Inlined calls read from gcc -O2's DWARF (DW_TAG_inlined_subroutine), checked against the
 * guest's source and objdump's disassembly: names, call lines, nesting, pieces, and the frames and
 * hiding rules the call stack builds from them (gdb's).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { readCProgram, type CFunction, type CProgram } from "../../../src/asm/dwarf/c_program";
import { dwarfSectionsOf, lineEntriesOf, readDebugLine } from "../../../src/asm/dwarf_line";
import { parseElf } from "../../../src/asm/elf";
import { callsStartingAt, stepFrame, withInlinedFrames } from "../../../src/debug/inline_frames";
import { LineMap } from "../../../src/debug/line_table";
import { guest } from "../../support/dap";
import { buildWithGcc } from "../../support/guests";

const SOURCE = guest("c_inline.c");
const lineWith = (text: string) => readFileSync(SOURCE, "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;

function load(flags: string[]): { c: CProgram; work: CFunction; lines: LineMap } {
  const elf = buildWithGcc(SOURCE, `c_inline_unit${flags.join("")}`, ["-mcmodel=medany", "-O2", ...flags]);
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  assert.ok(!("message" in image), "the ELF parses");
  const sections = dwarfSectionsOf(image)!;
  const c = readCProgram(sections);
  const rows = readDebugLine(sections);
  assert.ok(!("message" in c) && Array.isArray(rows));
  const work = c.units.flatMap((u) => u.functions).find((f) => f.name === "work")!;
  return { c, work, lines: new LineMap(lineEntriesOf(rows).map((r) => ({ ...r }))) };
}

for (const flags of [[], ["-gdwarf-4"]]) {
  describe(`inlined calls at -O2 ${flags.join(" ") || "(DWARF 5)"}`, () => {
    const { c, work, lines } = load(flags);

    it("reads each call with its callee's name, the calling line and the nested calls", () => {
      const calls = work.inlined.map((i) => [i.name, i.call.line, i.call.file.endsWith("c_inline.c")]);
      assert.deepEqual(calls, [["w_mscratch", lineWith("w_mscratch(n);"), true], ["twice", lineWith("int t = twice(n);"), true], ["r_mscratch", lineWith("r_mscratch() & 1"), true]]);
      const twice = work.inlined[1];
      assert.deepEqual(twice.inlined.map((i) => [i.name, i.call.line]), [["scale", lineWith("scale(v, 2)")], ["scale", lineWith("scale(v, 3)")]]);
      // The callee's parameters and locals, through DW_AT_abstract_origin.
      assert.deepEqual(twice.params.map((p) => p.name), ["v"]);
      assert.deepEqual(twice.locals.map((l) => l.name), ["a", "b"]);
      // In the order of the inlined body's DIEs, as gdb lists them (`scale (k=2, v=5)`).
      assert.deepEqual(twice.inlined[0].params.map((p) => p.name), ["k", "v"]);
      assert.deepEqual(twice.inlined[0].locals.map((l) => l.name), ["s"]);
      // The function's own variables do not take the inlined bodies'.
      assert.deepEqual([...work.params, ...work.locals].map((v) => v.name), ["n", "t"]);
    });

    it("hides the calls that begin at a pc, at their entry or at the start of one of their pieces", () => {
      const [w, twice] = work.inlined;
      const [first, second] = twice.inlined;
      assert.equal(callsStartingAt(c, w.entryPc), 1);
      assert.equal(callsStartingAt(c, twice.entryPc), 2, "twice and its first scale begin together");
      assert.equal(callsStartingAt(c, second.entryPc), 1);
      // A later piece of the first scale, after the second's first piece: gdb hides it there too.
      const piece = first.ranges.find((r) => r.low > second.entryPc)!;
      assert.equal(callsStartingAt(c, piece.low), 1);
      assert.equal(callsStartingAt(c, piece.low + 2n), 0);
    });

    it("gives the call stack a frame per shown call, the caller showing the calling line", () => {
      const [, twice] = work.inlined;
      const at = twice.inlined[0].entryPc;
      const frames = withInlinedFrames([{ pc: at, kind: "current" }], c, 0);
      assert.deepEqual(frames.map((f) => [f.inlined?.name ?? "work", f.callLine?.line]), [["scale", undefined], ["twice", lineWith("scale(v, 2)")], ["work", lineWith("int t = twice(n);")]]);
      const hidden = withInlinedFrames([{ pc: at, kind: "current" }], c, 2);
      assert.deepEqual(hidden.map((f) => [f.inlined?.name ?? "work", f.callLine?.line]), [["work", lineWith("int t = twice(n);")]]);
      const view = stepFrame(c, lines, at);
      assert.deepEqual([view.shown.length, view.line?.line, view.entering?.name], [0, lineWith("int t = twice(n);"), "twice"]);
    });
  });
}
