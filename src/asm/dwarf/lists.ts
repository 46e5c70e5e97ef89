/**
 * Location lists and range lists: DWARF 5's `.debug_loclists`/`.debug_rnglists` (§2.6.2, §2.17.3)
 * and DWARF 2–4's `.debug_loc`/`.debug_ranges`, which say where a variable lives over each pc range
 * of its function, and which pcs a lexical block covers.
 */
import type { DwarfSections } from "../dwarf_line";
import { Cursor, Malformed } from "./form";

export interface PcRange {
  low: bigint;
  high: bigint;
}

/** One entry of a location list: over [low, high) the variable is where `expr` says. */
export interface LocationEntry extends PcRange {
  expr: Uint8Array;
}

/** A location list; `fallback` is DW_LLE_default_location's expression, for pcs no entry covers. */
export interface LocationList {
  entries: LocationEntry[];
  fallback?: Uint8Array;
}

/** What reading a unit's lists needs: its DWARF version, address size and base address (DW_AT_low_pc). */
export interface ListUnit {
  version: number;
  addressSize: number;
  base: bigint;
  sections: DwarfSections;
}

// DW_LLE_* and DW_RLE_* (DWARF 5 §7.7.3, §7.25): the same kinds of entry, numbered differently.
const LLE = { end: 0, baseX: 1, startXEndX: 2, startXLength: 3, offsetPair: 4, defaultLocation: 5, base: 6, startEnd: 7, startLength: 8 };
const RLE = { end: 0, baseX: 1, startXEndX: 2, startXLength: 3, offsetPair: 4, base: 5, startEnd: 6, startLength: 7 };

/** The location list at `offset` (the DW_AT_location of class loclist). */
export function readLocationList(unit: ListUnit, offset: bigint): LocationList {
  const list: LocationList = { entries: [] };
  if (unit.version >= 5) {
    const c = at(unit.sections.debugLoclists, ".debug_loclists", offset);
    readV5(c, unit, LLE, () => c.take(c.uleb("location length"), "location"), list);
  } else {
    const c = at(unit.sections.debugLoc, ".debug_loc", offset);
    readV4(c, unit, () => c.take(c.u16("location length"), "location"), list);
  }
  return list;
}

/** The pc ranges at `offset` (a DW_AT_ranges). */
export function readRangeList(unit: ListUnit, offset: bigint): PcRange[] {
  const list: LocationList = { entries: [] };
  const none = () => new Uint8Array();
  if (unit.version >= 5) readV5(at(unit.sections.debugRnglists, ".debug_rnglists", offset), unit, RLE, none, list);
  else readV4(at(unit.sections.debugRanges, ".debug_ranges", offset), unit, none, list);
  return list.entries.map(({ low, high }) => ({ low, high }));
}

function at(section: Uint8Array | undefined, name: string, offset: bigint): Cursor {
  if (!section) throw new Malformed(`a list refers to ${name}, which the file does not have`);
  if (offset >= BigInt(section.length)) throw new Malformed(`list offset 0x${offset.toString(16)} lies outside ${name}`);
  return new Cursor(section, name, Number(offset));
}

/** DWARF 5 entries; `payload` reads what follows a bounded entry (an expression, or nothing). */
function readV5(c: Cursor, unit: ListUnit, codes: Partial<typeof LLE>, payload: () => Uint8Array, out: LocationList): void {
  let base = unit.base;
  const address = () => c.sized(unit.addressSize, "address");
  for (;;) {
    const kind = c.u8("list entry kind");
    const entry = (low: bigint, high: bigint) => out.entries.push({ low, high, expr: payload() });
    switch (kind) {
      case codes.end: return;
      case codes.base: base = address(); break;
      case codes.startEnd: { const low = address(); entry(low, address()); break; }
      case codes.startLength: { const low = address(); entry(low, low + c.uleb("length")); break; }
      case codes.offsetPair: { const low = base + c.uleb("start offset"); entry(low, base + c.uleb("end offset")); break; }
      case codes.defaultLocation: out.fallback = payload(); break;
      // The *x forms index .debug_addr, which only split DWARF (-gsplit-dwarf) makes gcc use.
      default: throw new Malformed(`${c.section}+0x${(c.pos - 1).toString(16)}: list entry kind ${kind} is not supported (split DWARF)`);
    }
  }
}

/** DWARF 2–4 entries: address pairs relative to the base, (0, 0) ends, (all ones, a) sets the base to a. */
function readV4(c: Cursor, unit: ListUnit, payload: () => Uint8Array, out: LocationList): void {
  let base = unit.base;
  const ones = (1n << BigInt(unit.addressSize * 8)) - 1n;
  for (;;) {
    const low = c.sized(unit.addressSize, "start address");
    const high = c.sized(unit.addressSize, "end address");
    if (low === 0n && high === 0n) return;
    if (low === ones) base = high;
    else out.entries.push({ low: base + low, high: base + high, expr: payload() });
  }
}

/** The expression a list gives for `pc`, or undefined where the variable has no location (optimized out). */
export function locationAt(list: LocationList, pc: bigint): Uint8Array | undefined {
  return list.entries.find((e) => pc >= e.low && pc < e.high)?.expr ?? list.fallback;
}
