/**
 * Hover text for the names a guest defines: a label's address, an `.equ`'s value, a `#define`'s
 * body and value, each with where it is defined. Pure (no `vscode` import): language.ts keeps the
 * table of the last assembly and hover.ts decides which word is a name.
 */
import type { SourceLoc } from "../asm/diagnostics";
import type { SourceName } from "../asm/link";
import type { CppDefine } from "../asm/preprocess";

export interface NameTable {
  /** From the last assembly without errors: a file with errors has no addresses. */
  names: readonly SourceName[];
  /** From the last assembly, errors or not (the preprocessor runs first). */
  defines: readonly CppDefine[];
  /** The file has changed into one that does not assemble since `names` was taken. */
  stale: boolean;
}

/** Where the hovered word is. */
export interface HoverPlace {
  file: string;
  /** 1-based, as the assembler counts. */
  line: number;
}

const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;

function where(loc: SourceLoc, from: HoverPlace): string {
  return loc.file === from.file ? `line ${loc.line}` : `${baseName(loc.file)}, line ${loc.line}`;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** A value in hex and, when they differ, in decimal. */
function number(v: bigint): string {
  return v >= 0n && v < 10n ? `\`${v}\`` : `\`${hex(v)}\` (${v})`;
}

/**
 * The definition in force at the hovered line: the last one above it in the same file; else, for a
 * name defined only below or in an included file, the last one of all.
 */
function defineAt(defines: readonly CppDefine[], word: string, at: HoverPlace): CppDefine | undefined {
  const all = defines.filter((d) => d.name === word);
  return all.filter((d) => d.loc.file === at.file && d.loc.line <= at.line).at(-1) ?? all.at(-1);
}

/** Markdown for `word` if the guest defines it (a `#define` first: the preprocessor replaces it before the assembler sees it). */
export function nameMarkdown(table: NameTable, word: string, at: HoverPlace): string | undefined {
  const d = defineAt(table.defines, word, at);
  if (d) {
    const head = `#define ${d.name}${d.params ? `(${d.params.join(", ")})` : ""} ${d.body}`.trimEnd();
    const literal = d.value !== undefined && (d.body === String(d.value) || d.body.toLowerCase() === hex(d.value));
    const value = d.value !== undefined && !literal ? `= ${number(d.value)}, ` : "";
    return "```\n" + head + "\n```\n\n" + `${value}defined on ${where(d.loc, at)}`;
  }
  const n = table.names.find((s) => s.name === word);
  if (!n) return undefined;
  const what = n.absolute ? `\`${n.name}\` = ${number(n.value)} (\`.equ\`)` : `\`${n.name}\`: label at \`${hex(n.value)}\``;
  const stale = table.stale ? "\n\n_From the last assembly without errors._" : "";
  return `${what}, defined on ${where(n.loc, at)}${stale}`;
}
