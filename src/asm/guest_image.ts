/**
 * The one entry point the debugger and the CLI use to turn a guest file into a loadable program:
 * an ELF executable (by its magic bytes) through the ELF reader, anything else named `.S`/`.s`
 * through the assembler.
 */
import { assemble, type LineEntry } from "./assemble";
import type { AsmDiagnostic } from "./diagnostics";
import { DwarfError, dwarfSectionsOf, lineEntriesOf, readDebugLine, type DwarfSections } from "./dwarf_line";
import { parseElf, type ElfImage } from "./elf";
import { nothingToRun, nothingToRunInSections } from "./runnable";

export interface GuestSymbol {
  name: string;
  address: bigint;
  size: bigint;
  isFunction: boolean;
}

/** A LoadableProgram plus what the debugger needs; structurally the hypervisor's GuestProgram. */
export interface GuestProgram {
  entry: bigint;
  segments: { paddr: number; data: Uint8Array; memsz: number }[];
  symbols: GuestSymbol[];
  /** Address ↔ file:line: the assembler's for sources, DWARF .debug_line's for ELFs built with -g. */
  lineTable?: LineEntry[];
  /** Why an ELF's line table could not be read (the program still loads, without source lines). */
  lineTableError?: string;
  /** An ELF's DWARF sections, for the debugger to read C variables from when it needs them. */
  dwarf?: DwarfSections;
}

export type GuestImageResult =
  | { ok: true; program: GuestProgram }
  | { ok: false; error: string; diagnostics?: AsmDiagnostic[] };

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const PF_X = 1;

export function readGuestImage(
  fileName: string,
  bytes: Uint8Array,
  readFile?: (path: string) => string | undefined,
  opts: { march?: string } = {},
): GuestImageResult {
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    const image = parseElf(bytes);
    if (image instanceof Error) return { ok: false, error: image.message };
    const empty = nothingToRun(image.entry, image.segments.map((s) => ({ addr: s.vaddr, bytes: s.data.length, exec: (s.flags & PF_X) !== 0 })));
    if (empty) return { ok: false, error: empty };
    return {
      ok: true,
      program: {
        entry: image.entry,
        segments: image.segments.map((s) => ({ paddr: s.paddr, data: s.data, memsz: s.memsz })),
        symbols: image.symbols
          .filter((s) => s.name !== "" && !s.name.startsWith("$") && (s.type === "func" || s.type === "object" || s.type === "notype") && s.section !== 0 && s.section !== 0xfff1)
          .map((s) => ({ name: s.name, address: s.value, size: s.size, isFunction: s.type === "func" })),
        ...elfLineTable(image),
        dwarf: dwarfSectionsOf(image),
      },
    };
  }
  if (!/\.[sS]$/.test(fileName)) {
    return { ok: false, error: "is neither an ELF executable nor an assembly source (.S or .s)" };
  }
  const text = new TextDecoder().decode(bytes);
  const read = (p: string) => (p === fileName ? text : readFile?.(p));
  const r = assemble(fileName, read, { march: opts.march });
  if (!r.program) {
    const first = r.errors[0];
    const where = first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : "assembly failed";
    const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more error${r.errors.length > 2 ? "s" : ""})` : "";
    return { ok: false, error: where + more, diagnostics: r.errors };
  }
  const empty = nothingToRunInSections(r.program.entry, r.sections);
  if (empty) return { ok: false, error: `${fileName}:1:1: ${empty}`, diagnostics: [{ file: fileName, line: 1, column: 1, message: empty }] };
  return { ok: true, program: { ...r.program, symbols: r.symbols, lineTable: r.lineTable } };
}

/** The ELF's DWARF line table; a broken one costs only the source lines, never the load. */
function elfLineTable(image: ElfImage): Pick<GuestProgram, "lineTable" | "lineTableError"> {
  const sections = dwarfSectionsOf(image);
  if (!sections) return {};
  const rows = readDebugLine(sections);
  if (rows instanceof DwarfError) return { lineTableError: rows.message };
  return { lineTable: lineEntriesOf(rows) };
}
