/**
 * Decoding one instruction into objdump's text. Which instruction a word is comes from the ISA table
 * (`src/isa`); how objdump spells it comes from `disasm_rules.ts`. Lookup tables are built once per
 * architecture string, at first use. Only RV64 is supported (the `march` string's extensions are
 * honoured, its XLEN is not).
 */
import { COMPRESSED, findCompressed, findInstruction, INSTRUCTIONS, type Extension } from "../isa/instructions";
import { csrNameUnder, type PrivSpecVersion } from "../isa/csrs";
import { AddressTracker, printOperands, type OperandContext } from "./disasm_operands";
import { PRINT_RULES, type PrintRule } from "./disasm_rules";

/** The architecture Hyperstep's hart implements, and the default for disassembly. */
export const DEFAULT_MARCH = "rv64imafdc_zicsr_zifencei_h";

export interface DisasmOptions {
  /** Text for `<…>` after an address (e.g. `main+0x10`); see `createSymbolizer`. */
  readonly symbolize?: (addr: bigint) => string | undefined;
  /** ISA string as for `as -march` or the ELF attribute; default `DEFAULT_MARCH`. */
  readonly march?: string;
  /**
   * Privileged-spec version whose CSR names to use, as an ELF's Tag_RISCV_priv_spec says; objdump
   * uses 1.12 when the file records none (and gas 2.40 records 1.11 once a source names a CSR).
   */
  readonly privSpec?: PrivSpecVersion;
  /** State carried between consecutive instructions for objdump's `# address` notes. */
  readonly tracker?: AddressTracker;
}

/** Instruction lengths in bytes that binutils derives from the first parcel. */
export type EncodedLength = 2 | 4 | 6 | 8 | 10 | 12 | 14 | 16 | 18 | 20 | 22;

export interface Disassembled {
  /**
   * Bytes consumed, by the RISC-V length encoding. Hyperstep's ISA has only 2 and 4; the longer
   * ones are reserved encodings that objdump recognises only to print them as data.
   */
  readonly length: EncodedLength;
  /** Mnemonic, a tab, operands, exactly as objdump prints them. */
  readonly text: string;
  /** Absolute target of a branch or jump. */
  readonly target?: bigint;
}

/** Instruction length from the first 16 bits, as binutils 2.40 computes it (beyond 176 bits: 2). */
export function encodedLength(low16: number): EncodedLength {
  if ((low16 & 3) !== 3) return 2;
  if ((low16 & 0x1f) !== 0x1f) return 4;
  if ((low16 & 0x3f) === 0x1f) return 6;
  if ((low16 & 0x7f) === 0x3f) return 8;
  if ((low16 & 0x7f) === 0x7f && (low16 & 0x7000) !== 0x7000) return (10 + ((low16 >>> 11) & 0xe)) as EncodedLength;
  return 2;
}

/**
 * The `march` extension each table extension needs for objdump to decode it. binutils files dret
 * under base I, and pause's word is a fence in base I (its rule needs Zihintpause for the name).
 */
const EXT_OF: Record<Extension, string> = {
  I: "i", M: "m", A: "a", F: "f", D: "d", C: "c", Zicsr: "zicsr", Zifencei: "zifencei", Zihintpause: "i", Priv: "i", H: "h", Sdext: "i",
};

/** The extensions an ISA string names, e.g. `rv64i2p1_m2p0_zicsr2p0` or `rv64gc_h`. */
export function parseMarch(march: string): Set<string> {
  const exts = new Set<string>();
  const [first, ...rest] = march.toLowerCase().replace(/^rv(32|64|128)/, "").split("_");
  for (const letter of first.replace(/\d+(p\d+)?/g, "")) {
    if (letter === "g") for (const e of ["i", "m", "a", "f", "d", "zicsr", "zifencei"]) exts.add(e);
    else exts.add(letter);
  }
  for (const ext of rest) if (ext) exts.add(ext.replace(/\d+(p\d+)?$/, ""));
  return exts;
}

type RuleIndex = ReadonlyMap<string, readonly PrintRule[]>;
const indexes = new Map<string, RuleIndex>();

function rulesFor(march: string): RuleIndex {
  let index = indexes.get(march);
  if (index) return index;
  const exts = parseMarch(march);
  const extOf = new Map<string, string>();
  for (const s of INSTRUCTIONS) extOf.set(s.name, EXT_OF[s.ext]);
  for (const s of COMPRESSED) extOf.set(s.name, EXT_OF[s.ext]);
  const needsD = new Set(COMPRESSED.filter((s) => s.needs === "D").map((s) => s.name));
  const built = new Map<string, PrintRule[]>();
  for (const rule of PRINT_RULES) {
    const ext = extOf.get(rule.base);
    if (ext === undefined || !exts.has(ext) || (rule.needs !== undefined && !exts.has(rule.needs))) continue;
    if (needsD.has(rule.base) && !exts.has("d")) continue;
    const list = built.get(rule.base) ?? [];
    list.push(rule);
    built.set(rule.base, list);
  }
  index = built;
  indexes.set(march, index);
  return index;
}

/** How objdump prints an address operand: bare hex, then `<symbol+offset>` when one is known. */
export function formatAddress(addr: bigint, symbolize?: (addr: bigint) => string | undefined): string {
  const sym = symbolize?.(addr);
  return sym === undefined ? addr.toString(16) : `${addr.toString(16)} <${sym}>`;
}

const AQRL = ["", ".rl", ".aq", ".aqrl"];

/**
 * Disassembles the instruction whose encoding is `bits` (the low 16 or 32 bits; a bigint holding all
 * the bytes for the longer reserved forms) at address `pc`. Never throws.
 */
export function disassemble(bits: number | bigint, pc: bigint, opts: DisasmOptions = {}): Disassembled {
  return createDisassembler(opts)(bits, pc);
}

/**
 * A disassembler bound to one set of options, for streams of instructions: lookups are resolved
 * once, and without an explicit tracker it carries its own from one call to the next, so an
 * `auipc` is remembered for the `addi` after it, as objdump does.
 */
export function createDisassembler(opts: DisasmOptions = {}): (bits: number | bigint, pc: bigint) => Disassembled {
  const index = rulesFor(opts.march ?? DEFAULT_MARCH);
  const privSpec = opts.privSpec ?? "1.12";
  const symbolize = opts.symbolize;
  const ctx: OperandContext = {
    pc: 0n,
    csrName: (num) => csrNameUnder(num, privSpec),
    printAddress: (a) => formatAddress(a, symbolize),
    tracker: opts.tracker ?? new AddressTracker(),
  };
  return (bits, pc) => {
    const low = typeof bits === "number" ? bits >>> 0 : Number(BigInt.asUintN(32, bits));
    const length = encodedLength(low & 0xffff);
    if (length > 4) return { length, text: unknownText(BigInt(bits), length) };
    const word = length === 2 ? low & 0xffff : low;
    const spec = length === 2 ? findCompressed(word) : findInstruction(word);
    const rules = spec ? index.get(spec.name) : undefined;
    let rule: PrintRule | undefined;
    if (rules) for (const r of rules) if (!r.when || r.when(word)) { rule = r; break; }
    if (!rule) return { length, text: unknownText(BigInt(word), length) };
    ctx.pc = pc;
    const ops = printOperands(rule.args, word, ctx);
    const name = rule.aqrl ? rule.name + AQRL[(word >>> 25) & 3] : rule.name;
    let text = ops.text === "" ? name : `${name}\t${ops.text}`;
    if (ops.comment !== undefined) text += ` # ${formatAddress(ops.comment, symbolize)}`;
    return ops.target !== undefined ? { length, text, target: ops.target } : { length, text };
  };
}

function unknownText(bits: bigint, length: EncodedLength): string {
  const value = BigInt.asUintN(length * 8, bits);
  if (length === 2 || length === 4 || length === 8) return `.${length}byte\t0x${value.toString(16)}`;
  const bytes = Array.from({ length }, (_, k) => "0x" + Number((value >> BigInt(8 * k)) & 0xffn).toString(16).padStart(2, "0"));
  return `.byte\t${bytes.join(", ")}`;
}
