import { Cursor, FORM, Malformed } from "./form";

export interface AttrSpec {
  name: number;
  form: number;
  implicit?: bigint;
}

/** One abbreviation declaration (DWARF 5 §7.5.3): the shape every DIE with its code has. */
export interface Abbrev {
  tag: number;
  hasChildren: boolean;
  attrs: AttrSpec[];
}

/** The abbreviation table at `offset` of .debug_abbrev, by code. */
export function readAbbrevTable(debugAbbrev: Uint8Array, offset: bigint): Map<bigint, Abbrev> {
  if (offset >= BigInt(debugAbbrev.length)) throw new Malformed(`abbreviation table offset 0x${offset.toString(16)} lies outside .debug_abbrev`);
  const c = new Cursor(debugAbbrev, ".debug_abbrev", Number(offset));
  const table = new Map<bigint, Abbrev>();
  for (;;) {
    const code = c.uleb("abbreviation code");
    if (code === 0n) return table;
    const tag = c.count("tag");
    const hasChildren = c.u8("children flag") !== 0;
    const attrs: AttrSpec[] = [];
    for (;;) {
      const name = c.count("attribute name");
      const form = c.count("attribute form");
      if (name === 0 && form === 0) break;
      attrs.push(form === FORM.implicit_const ? { name, form, implicit: c.sleb("implicit constant") } : { name, form });
    }
    table.set(code, { tag, hasChildren, attrs });
  }
}
