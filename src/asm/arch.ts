/**
 * Architecture strings (`-march`, `.option arch`): which extensions the assembler accepts.
 * The default, rv64imafdc_zicsr_zifencei, is what Hyperstep's hart implements.
 */
import type { Extension } from "../isa/instructions";

export type Ext = Extension | "C";
export const DEFAULT_MARCH = "rv64imafdc_zicsr_zifencei";

/** Parses `rv64imafdc_zicsr_zifencei` (also `rv64gc`, `rv64i_h`); returns the extensions or an error. */
export function parseMarch(march: string): Set<Ext> | string {
  const m = /^rv64([a-z]*)((?:_[a-z0-9]+)*)$/.exec(march.toLowerCase());
  if (!m) return `architecture '${march}' is not understood; expected rv64 followed by extensions, e.g. ${DEFAULT_MARCH}`;
  const exts = new Set<Ext>(["I", "Priv"]);
  const single = m[1]!;
  if (!single.startsWith("i") && !single.startsWith("g") && !single.startsWith("e"))
    return `architecture '${march}' must start with rv64i or rv64g`;
  for (let k = 0; k < single.length; k++) {
    const c = single[k]!;
    // Version numbers such as 2p0 are not used by guests; single letters are.
    if (c === "g") ["M", "A", "F", "D", "Zicsr", "Zifencei"].forEach((e) => exts.add(e as Ext));
    else if (c === "m") exts.add("M");
    else if (c === "a") exts.add("A");
    else if (c === "f") exts.add("F");
    else if (c === "d") exts.add("D");
    else if (c === "c") exts.add("C");
    else if (c === "h") exts.add("H");
    else if (c === "z" || c === "s" || c === "x") return `put multi-letter extensions after an underscore in '${march}'`;
    // i, e, q, v and friends are accepted; the instructions Hyperstep has do not depend on them.
  }
  for (const part of m[2]!.split("_").filter((p) => p)) {
    const ext = multiLetter(part);
    if (ext === undefined) continue;
    exts.add(ext);
  }
  return withImplied(exts);
}

/** What GNU as adds on its own: D needs F, and F needs Zicsr. */
function withImplied(exts: Set<Ext>): Set<Ext> {
  if (exts.has("D")) exts.add("F");
  if (exts.has("F")) exts.add("Zicsr");
  return exts;
}

function multiLetter(name: string): Ext | undefined {
  switch (name) {
    case "zicsr": return "Zicsr";
    case "zifencei": return "Zifencei";
    case "zihintpause": return "Zihintpause";
    case "h": return "H";
    case "m": return "M";
    case "a": return "A";
    case "c": return "C";
    case "f": return "F";
    case "d": return "D";
    default: return undefined;
  }
}

/** Applies `.option arch, +c, -h` (or a full `rv64…` string) to a set of extensions. */
export function applyArchOption(current: ReadonlySet<Ext>, args: string[]): Set<Ext> | string {
  let exts = new Set(current);
  for (const raw of args) {
    const a = raw.trim().toLowerCase();
    if (a.startsWith("rv")) {
      const r = parseMarch(a);
      if (typeof r === "string") return r;
      exts = r;
      continue;
    }
    const m = /^([+-])([a-z][a-z0-9]*)$/.exec(a);
    const ext = m ? (m[2]!.length === 1 ? multiLetter(m[2]!) : multiLetter(m[2]!)) : undefined;
    if (!m) return `'.option arch' expects +ext, -ext or an rv64… string, found '${raw.trim()}'`;
    if (ext === undefined) {
      if (/^[iqegv]$|^z/.test(m[2]!)) continue;
      return `unknown extension '${m[2]}' in '.option arch'`;
    }
    if (m[1] === "+") exts.add(ext);
    else exts.delete(ext);
  }
  return withImplied(exts);
}
