/**
 * The assembler's public entry point: GNU `as` syntax in, a loadable image out, byte-identical to
 * `riscv64-unknown-elf-as` followed by `riscv64-unknown-elf-ld -Ttext=0x80000000` (Debian's binutils 2.40).
 *
 * No file system access: files are read through `readFile`, so this runs in a browser too. The default
 * architecture is rv64imafdc_zicsr_zifencei (what Hyperstep's hart implements); `opts.march` changes it,
 * and a source file can change it with `.option arch`.
 *
 * The work is bounded (limits.ts): however hostile the source, assembly ends, within `timeLimitMs`
 * when one is given, with the errors found so far.
 */
import { DEFAULT_MARCH } from "./arch";
import { assembleObject } from "./assembler";
import { Diagnostics, type AsmDiagnostic } from "./diagnostics";
import { LimitError, WorkBudget } from "./limits";
import { link, type LinkedSection, type LinkedSymbol, type LinkResult, type SourceName } from "./link";
import type { CppDefine } from "./preprocess";

export interface AssembleOptions {
  /** Architecture string, as gcc's -march; default rv64imafdc_zicsr_zifencei. */
  march?: string;
  /** Stop with an error at the line reached after this long (the editor's limit, for every keystroke). */
  timeLimitMs?: number;
}

export interface AssembledProgram {
  entry: bigint;
  /** One segment per allocated output section, at its address (LoadableProgram-compatible). */
  segments: { paddr: number; data: Uint8Array; memsz: number }[];
}

export interface LineEntry {
  address: bigint;
  file: string;
  line: number;
}

export interface AssembleResult {
  /** Every problem found, in source order per file. Empty when assembly succeeded. */
  errors: AsmDiagnostic[];
  /** Present when there are no errors. */
  program?: AssembledProgram;
  symbols: { name: string; address: bigint; size: bigint; isFunction: boolean }[];
  /** Address ↔ source line, sorted by address; macro-expanded code maps to the invocation line. */
  lineTable: LineEntry[];
  sections: LinkedSection[];
  /** Full symbol information (binding, section) for the ELF writer. */
  linkedSymbols: LinkedSymbol[];
  /** Symbols the default linker script defines (`__global_pointer$`, `__DATA_BEGIN__`, …). */
  scriptSymbols: ReadonlyMap<string, bigint>;
  /** Every label and `.equ` of the source, `.L` ones included, with its value and definition: for the editor. */
  names: SourceName[];
  /** The `#define`s the preprocessor obeyed, even when assembly failed later: for the editor. */
  defines: CppDefine[];
}

export function assemble(
  mainFile: string,
  readFile: (path: string) => string | undefined,
  opts: AssembleOptions = {},
): AssembleResult {
  const empty: AssembleResult = { errors: [], symbols: [], lineTable: [], sections: [], linkedSymbols: [], scriptSymbols: new Map(), names: [], defines: [] };
  const diags = new Diagnostics();
  const text = readFile(mainFile);
  if (text === undefined) {
    diags.error({ file: mainFile, line: 1, column: 1 }, `cannot read '${mainFile}'`);
    return { ...empty, errors: diags.errors };
  }
  const budget = new WorkBudget(opts.timeLimitMs);
  const obj = assembleObject(mainFile, text, readFile, opts.march ?? DEFAULT_MARCH, diags, budget);
  if (diags.errors.length > 0) return { ...empty, errors: sortErrors(diags.errors), defines: obj.defines };
  const origin = { file: mainFile, line: 1, column: 1 };
  let linked: LinkResult;
  try {
    linked = link(obj, { origin, step: () => {
      if (budget.expired(1)) throw budget.timeUp(origin);
    } });
  } catch (e) {
    if (!(e instanceof LimitError)) throw e;
    return { ...empty, errors: [{ ...e.loc, message: e.message }], defines: obj.defines };
  }
  if (linked.errors.length > 0) return { ...empty, errors: sortErrors(linked.errors), defines: obj.defines };
  return {
    errors: [],
    program: {
      entry: linked.entry,
      segments: linked.sections.map((s) => ({ paddr: Number(s.addr), data: s.data, memsz: s.size })),
    },
    symbols: linked.symbols.map(({ name, address, size, isFunction }) => ({ name, address, size, isFunction })),
    lineTable: linked.lineTable,
    sections: linked.sections,
    linkedSymbols: linked.symbols,
    scriptSymbols: linked.scriptSymbols,
    names: linked.names,
    defines: obj.defines,
  };
}

function sortErrors(errors: AsmDiagnostic[]): AsmDiagnostic[] {
  return [...errors].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0));
}
