/**
 * What the assembler hands to the linker: sections of bytes with fixups, and symbols. It is the
 * in-memory equivalent of the `.o` file that `riscv64-unknown-elf-as` writes, with GNU's relocation
 * kinds, so that the linker can relax exactly as `ld` does.
 */
import type { SourceLoc } from "./diagnostics";
import type { CppDefine } from "./preprocess";
import type { Expr } from "./expr";

/**
 * Relocation kinds, named after their R_RISCV_* counterparts. `data1..data8` are plain absolute values
 * of that many bytes (R_RISCV_8/16/32/64, or ADD/SUB pairs for label differences); GNU computes both
 * from final addresses, and so does the linker here.
 */
export type FixKind =
  | "branch"
  | "jal"
  | "rvc_branch"
  | "rvc_jump"
  | "call"
  | "hi20"
  | "lo12_i"
  | "lo12_s"
  | "pcrel_hi20"
  | "pcrel_lo12_i"
  | "pcrel_lo12_s"
  | "data1"
  | "data2"
  | "data4"
  | "data8"
  | "align";

export interface Fixup {
  /** Byte offset in the section. */
  offset: number;
  kind: FixKind;
  /** The target. For pcrel_lo12 it names the label of the matching pcrel_hi20 instruction. */
  expr: Expr;
  /** GNU pairs the relocation with R_RISCV_RELAX: the linker may rewrite the instruction. */
  relax: boolean;
  /** For `align`: the bytes of NOP padding the assembler put down (the worst case). */
  alignBytes?: number;
  loc: SourceLoc;
}

export interface ObjSection {
  name: string;
  /** SHF_ALLOC / SHF_WRITE / SHF_EXECINSTR. */
  alloc: boolean;
  write: boolean;
  exec: boolean;
  /** SHT_NOBITS: occupies memory but no file bytes (.bss). */
  nobits: boolean;
  /** Alignment in bytes (a power of two). */
  align: number;
  bytes: Uint8Array;
  /** For nobits sections `bytes` is empty and this is the size. */
  size: number;
  /** Sorted by offset. */
  fixups: Fixup[];
  /** Address ↔ source: offsets of instructions and data, in ascending offset order. */
  lines: { offset: number; file: string; line: number }[];
}

export type SymbolType = "notype" | "func" | "object";

export interface ObjSymbol {
  name: string;
  /** Index into the object's sections, or -1 for an absolute value (`.equ`). */
  section: number;
  /** Offset in the section, or the value for an absolute symbol. */
  value: bigint;
  global: boolean;
  type: SymbolType;
  /** For an absolute symbol (`.equ`): its defining expression, evaluated when addresses are final. */
  expr?: Expr;
  /** From `.size`, evaluated when the layout is final. */
  sizeExpr?: Expr;
  /** Internal labels (`.L…`, numeric locals, the assembler's own) stay out of symbol tables. */
  local: boolean;
  loc: SourceLoc;
}

export interface ObjectFile {
  sections: ObjSection[];
  symbols: ObjSymbol[];
  /** Any symbol the fixups mention that nothing defines. */
  undefined: Map<string, SourceLoc>;
  /** The C extension was on at the start (e_flags EF_RISCV_RVC): the linker may relax to compressed forms. */
  rvc: boolean;
  /** The preprocessor's `#define`s (for the editor; they leave nothing in the object). */
  defines: CppDefine[];
}
