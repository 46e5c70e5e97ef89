import type { DwarfSections } from "../dwarf_line";
import { readAbbrevTable, type AttrSpec } from "./abbrev";
import { Cursor, FORM, Malformed, readForm, type FormContext, type FormValue } from "./form";
import { readUnitHeader, type UnitHeader } from "./unit";

/** One debugging information entry with its attributes (by DW_AT code) and children. */
export interface Die {
  /** Offset in .debug_info: what DW_FORM_ref* attributes point at (made section-relative here). */
  offset: number;
  tag: number;
  attrs: Map<number, FormValue>;
  children: Die[];
}

export interface InfoUnit {
  header: UnitHeader;
  root: Die;
}

const DW_AT_low_pc = 0x11;
const DW_AT_high_pc = 0x12;

/** DWARF 4 and later give DW_AT_high_pc of a constant class as an offset from DW_AT_low_pc. */
function absoluteHighPc(die: Die, specs: readonly AttrSpec[]): void {
  const high = die.attrs.get(DW_AT_high_pc);
  const low = die.attrs.get(DW_AT_low_pc);
  const form = specs.find((s) => s.name === DW_AT_high_pc)?.form;
  if (high?.kind === "number" && low?.kind === "number" && form !== FORM.addr) die.attrs.set(DW_AT_high_pc, { kind: "number", value: low.value + high.value });
}

// Reference forms whose value is relative to the unit (DWARF 5 §7.5.5).
const UNIT_REFS = new Set([0x11, 0x12, 0x13, 0x14, 0x15]);

/**
 * Every unit of .debug_info as a tree of DIEs. References to other DIEs are turned into .debug_info
 * offsets, so one map by offset resolves them all.
 */
export function readDebugInfo(sections: DwarfSections): InfoUnit[] {
  const { debugInfo, debugAbbrev } = sections;
  if (!debugInfo || !debugAbbrev) return [];
  const units: InfoUnit[] = [];
  const c = new Cursor(debugInfo, ".debug_info");
  while (c.left > 0) {
    const header = readUnitHeader(c);
    const abbrevs = readAbbrevTable(debugAbbrev, header.abbrevOffset);
    const ctx: FormContext = { ...header, sections };
    const d = new Cursor(debugInfo, ".debug_info", header.dies, header.end);
    // The DIEs form a tree in pre-order; a null entry closes the innermost open parent.
    const top: Die = { offset: header.dies, tag: 0, attrs: new Map(), children: [] };
    const open: Die[] = [top];
    while (d.left > 0 && open.length > 0) {
      const offset = d.pos;
      const code = d.uleb("abbreviation code");
      if (code === 0n) {
        open.pop();
        continue;
      }
      const abbrev = abbrevs.get(code);
      if (!abbrev) throw new Malformed(`.debug_info+0x${offset.toString(16)}: abbreviation ${code} is not in the unit's table`);
      const die: Die = { offset, tag: abbrev.tag, attrs: new Map(), children: [] };
      for (const a of abbrev.attrs) {
        let v = readForm(d, a.form, ctx, a.implicit);
        if (UNIT_REFS.has(a.form) && v.kind === "number") v = { kind: "number", value: v.value + BigInt(header.offset) };
        die.attrs.set(a.name, v);
      }
      absoluteHighPc(die, abbrev.attrs);
      open[open.length - 1].children.push(die);
      if (abbrev.hasChildren) open.push(die);
    }
    const root = top.children[0];
    if (root) units.push({ header, root });
  }
  return units;
}
