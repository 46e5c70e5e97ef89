import { existsSync } from "node:fs";
import * as path from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { CallFrameInfo, readCallFrameInfo } from "../asm/dwarf/cfi";
import { CProgram, readCProgram } from "../asm/dwarf/c_program";
import { DwarfError, type DwarfSections } from "../asm/dwarf_line";
import type { Target } from "../target/target";
import type { CodeMap } from "./breakpoints";
import { Disassembler } from "./disassembly";
import { stateValues, type ExprEnv } from "./expressions";
import { cExpressions } from "./c_expr/in_frame";
import { LineMap } from "./line_table";
import type { LoadedTarget } from "./load_target";
import { SymbolTable } from "./symbols";

/**
 * The assembler's line table also covers data directives (`.dword`, `.asciz`); breakpoints and
 * line steps must only land on instructions, so lines whose statement is a directive are dropped.
 * (gas emits .debug_line for code only; once the assembler does the same this filter can go.)
 */
function isCode(sourceLine: string | undefined): boolean {
  if (sourceLine === undefined) return true;
  const statement = sourceLine
    .replace(/(#|\/\/).*$/, "")
    .replace(/^\s*([A-Za-z_.$][\w.$]*|\d+)\s*:/, "")
    .trim();
  return !statement.startsWith(".");
}

const GENERATED_REF = 1_000_000;

/** The last trap the guest took, for `$cause`, `$tval` and `$epc`. */
export interface TrapInfo {
  cause: bigint;
  tval: bigint;
  pc: bigint;
}

/**
 * One loaded guest and everything derived from it: symbols, line map, disassembler and the source
 * texts. A restart builds a new one.
 */
export class Program {
  readonly target: Target;
  readonly file: string;
  readonly symbols: SymbolTable;
  readonly lines: LineMap;
  readonly disasm: Disassembler;
  /** sourceReference → path and text, for sources whose file cannot be read any more. */
  private readonly refs = new Map<number, { path: string; text: string }>();
  private readonly texts: Map<string, string>;
  private readonly generatedRefs = new Map<string, number>();
  private readonly generated = new Map<number, string>();
  lastTrap: TrapInfo | undefined;
  readonly warnings: readonly string[];
  private readonly dwarf: DwarfSections | undefined;
  private c: CProgram | DwarfError | undefined;
  private cfi: CallFrameInfo | DwarfError | undefined;

  constructor(loaded: LoadedTarget) {
    this.target = loaded.target;
    this.file = loaded.file;
    this.texts = loaded.sources;
    this.warnings = loaded.warnings;
    this.dwarf = loaded.dwarf;
    this.symbols = new SymbolTable(loaded.target.symbols);
    const split = new Map<string, string[]>();
    const linesOf = (f: string) => split.get(f) ?? split.set(f, this.texts.get(f)?.split("\n") ?? []).get(f)!;
    this.lines = new LineMap(loaded.target.lineTable.filter((e) => isCode(linesOf(e.file)[e.line - 1])));
    this.disasm = new Disassembler(this.target, this.symbols, this.lines);
  }

  env(trap?: TrapInfo): ExprEnv {
    const t = this.target;
    const convenience = stateValues(t);
    const last = trap ?? this.lastTrap;
    if (last) {
      convenience.set("cause", last.cause);
      convenience.set("tval", last.tval);
      convenience.set("epc", last.pc);
    }
    // The current frame's C view is made when an expression asks for it: the pc moves between stops.
    const c = () => {
      const program = this.cProgram(() => {});
      return program && cExpressions(t, program, { pc: t.pc, kind: "current" }, this.symbols, () => 0);
    };
    return { target: t, symbols: this.symbols, convenience, c };
  }

  /**
   * The program's C functions and variables from DWARF, read on first use (an assembly guest has
   * none). Malformed sections cost only the C variables: `warn` hears why, once.
   */
  cProgram(warn: (message: string) => void): CProgram | undefined {
    if (this.dwarf?.debugInfo && !this.c) {
      this.c = readCProgram(this.dwarf);
      if (this.c instanceof DwarfError) warn(`${this.file}: no C variables: ${this.c.message}`);
    }
    return this.c instanceof CProgram ? this.c : undefined;
  }

  /**
   * The program's call frame information (`.debug_frame`, `.eh_frame`), read on first use; without
   * it (or when it is malformed) the call stack follows the frame-pointer chain.
   */
  callFrames(): CallFrameInfo | undefined {
    if (this.dwarf && !this.cfi) this.cfi = readCallFrameInfo(this.dwarf);
    return this.cfi instanceof CallFrameInfo ? this.cfi : undefined;
  }

  codeMap(): CodeMap {
    return { lines: this.lines, symbols: this.symbols, env: this.env(), readable: (a) => this.target.readMemory("va", a, 2) !== null };
  }

  /**
   * The DAP source for a file. A file that is gone (deleted or moved since the guest was assembled)
   * gets a reference, so the client fetches the text the program was built from.
   */
  source(file: string): DebugProtocol.Source {
    let ref = [...this.refs].find(([, v]) => v.path === file)?.[0];
    const text = this.texts.get(file);
    if (ref === undefined && text !== undefined && !existsSync(file)) {
      ref = this.refs.size + 1;
      this.refs.set(ref, { path: file, text });
    }
    return ref ? { name: path.basename(file), path: file, sourceReference: ref, origin: "the text this guest was assembled from" } : { name: path.basename(file), path: file };
  }

  /**
   * A read-only document the debugger generates (the VMM's narrative of an exit), by name: the
   * same name keeps its reference. Generated references start at GENERATED_REF.
   */
  generatedSource(name: string, text: string): number {
    let ref = this.generatedRefs.get(name);
    if (ref === undefined) this.generatedRefs.set(name, (ref = GENERATED_REF + this.generatedRefs.size));
    this.generated.set(ref, text);
    return ref;
  }

  isGenerated(ref: number): boolean {
    return this.generated.has(ref);
  }

  /** The text of a source by reference or path, when the program was built from it (or generated it). */
  sourceText(ref: number, file: string | undefined): string | undefined {
    if (ref > 0) return this.generated.get(ref) ?? this.refs.get(ref)?.text;
    return file === undefined ? undefined : this.texts.get(file);
  }

  loadedSources(): DebugProtocol.Source[] {
    const files = new Set(this.lines.files);
    if (/\.[sS]$/.test(this.file)) files.add(this.file);
    return [...files].map((f) => this.source(f));
  }

  /** Maps a client's source (path or reference) to the path the line table uses. */
  pathOf(source: DebugProtocol.Source): string | undefined {
    if (source.sourceReference && this.refs.has(source.sourceReference)) return this.refs.get(source.sourceReference)!.path;
    return source.path;
  }
}
