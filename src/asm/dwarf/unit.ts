import { Cursor, Malformed } from "./form";

/** A .debug_info unit header (DWARF 2 to 5, §7.5.1); `dies` is where its first DIE starts. */
export interface UnitHeader {
  offset: number;
  end: number;
  offsetSize: 4 | 8;
  version: number;
  addressSize: number;
  abbrevOffset: bigint;
  dies: number;
}

/** Reads the header of the unit at the cursor and leaves the cursor at the unit's end. */
export function readUnitHeader(c: Cursor): UnitHeader {
  const offset = c.pos;
  const { end, offsetSize } = c.unitLength("unit length");
  const version = c.u16("unit version");
  let addressSize: number;
  let abbrevOffset: bigint;
  if (version >= 5) {
    const unitType = c.u8("unit type");
    addressSize = c.u8("address size");
    abbrevOffset = c.sized(offsetSize, "abbreviation offset");
    // Skeleton/split units carry an 8-byte id; type units a signature and a type offset.
    if (unitType === 4 || unitType === 5) c.skip(8, "unit id");
    else if (unitType === 2 || unitType === 6) c.skip(8 + offsetSize, "type unit header");
  } else if (version >= 2) {
    abbrevOffset = c.sized(offsetSize, "abbreviation offset");
    addressSize = c.u8("address size");
  } else {
    throw new Malformed(`.debug_info+0x${c.pos.toString(16)}: unsupported unit version ${version}`);
  }
  const dies = c.pos;
  c.pos = end;
  return { offset, end, offsetSize, version, addressSize, abbrevOffset, dies };
}
