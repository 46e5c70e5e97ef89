import type { CInlined } from "../asm/dwarf/c_program";
import type { CallFrameInfo, CfiRow } from "../asm/dwarf/cfi";
import { evaluateValue, NoValue, type ExprFrame } from "../asm/dwarf/expression";
import { Malformed } from "../asm/dwarf/form";
import { CSR } from "../isa/csrs";
import type { Target } from "../target/target";
import { isReturnSite } from "./insn_kind";
import type { SymbolTable } from "./symbols";

const RA = 1;
const SP = 2;
const FP = 8;
const MAX_FRAMES = 64;

/** A frame's pc: the current pc, a return address (its line is the call's), or where a trap was taken. */
export interface Frame {
  pc: bigint;
  kind: "current" | "return" | "trapped";
  /**
   * A caller's frame pointer as its callee saved it, when the chain gives it: for a function built
   * with a frame pointer (gcc -O0), that is its canonical frame address, the base of its C locals.
   */
  fp?: bigint;
  /**
   * A caller's registers (DWARF numbers: x1–x31, f0–f31 as 32–63) as CFI recovered them; registers
   * CFI says nothing about keep the callee's value, as gdb assumes. Absent: only `fp` is known.
   */
  regs?: ReadonlyMap<number, bigint>;
  /** The frame's canonical frame address (its caller's sp at the call), when CFI covers its pc. */
  cfa?: bigint;
  /**
   * A frame of a call the compiler inlined (inline_frames.ts): it shares the pc and registers of the
   * frame below it, the function whose code holds the inlined body.
   */
  inlined?: CInlined;
  /** The line a frame shows when an inlined call's body is at its pc: the line that makes the call. */
  callLine?: { file: string; line: number };
}

/**
 * The call stack. Frame 0 is the pc. Each frame whose pc has call frame information (`.debug_frame`
 * or `.eh_frame`) gives its caller from the CFI rules: the CFA, and the caller's registers, ra
 * among them, from where the frame saved them. A frame without CFI (assembly) continues with the
 * frame-pointer chain (s0 = the caller's sp, with ra at s0-8 and the caller's s0 at s0-16, as gcc
 * lays frames out). Every return address must follow a call instruction, so garbage on the stack
 * does not become frames.
 *
 * In the current mode's trap handler, the caller is the trapped pc (mepc or sepc), and the stack
 * stops there: the interrupted registers are not recovered.
 */
export function unwind(target: Target, symbols: SymbolTable, cfi?: CallFrameInfo): Frame[] {
  const top: Frame = { pc: target.pc, kind: "current" };
  const frames: Frame[] = [top];
  const topRegs = currentRegisters(target);
  const row = rowOf(cfi, top);
  if (row) top.cfa = cfaOf(row, topRegs, target);
  const epc = trapReturn(target, symbols);
  if (epc !== undefined) {
    // In a trap handler ra belongs to the interrupted code, not to a call: the caller is the trapped pc.
    frames.push({ pc: epc, kind: "trapped" });
    return frames;
  }
  if (!row) return [top, ...fromRa(target, symbols)];
  let regs: ReadonlyMap<number, bigint> = topRegs;
  let current = top;
  let currentRow: CfiRow | undefined = row;
  while (frames.length < MAX_FRAMES) {
    if (!currentRow) {
      // A frame without CFI (assembly that called C): the frame-pointer chain from its s0.
      const fp = current.regs?.get(FP);
      if (fp !== undefined) frames.push(...chain(target, fp, MAX_FRAMES - frames.length));
      break;
    }
    const caller = callerOf(currentRow, current.cfa, regs, target);
    if (!caller || !isReturnSite(target, caller.pc)) break;
    const frame: Frame = { pc: caller.pc, kind: "return", fp: caller.regs.get(FP), regs: caller.regs };
    frames.push(frame);
    currentRow = rowOf(cfi, frame);
    if (currentRow) {
      frame.cfa = cfaOf(currentRow, caller.regs, target);
      // Each caller's frame lies above its callee's; anything else is not a stack.
      if (frame.cfa === undefined || frame.cfa <= current.cfa!) break;
    }
    regs = caller.regs;
    current = frame;
  }
  return frames;
}

/** The hart's registers by DWARF number, as frame 0 sees them. */
function currentRegisters(target: Target): Map<number, bigint> {
  const regs = new Map<number, bigint>();
  for (let i = 1; i < 32; i++) regs.set(i, target.getReg(i));
  for (let i = 0; i < 32; i++) {
    const f = target.getFpReg(i);
    if (f !== undefined) regs.set(32 + i, f);
  }
  return regs;
}

/** The CFI row for a frame: a caller's pc is a return address, so its row is the call's (pc - 1). */
function rowOf(cfi: CallFrameInfo | undefined, frame: Frame): CfiRow | undefined {
  try {
    return cfi?.rowAt(frame.kind === "return" ? frame.pc - 1n : frame.pc);
  } catch (e) {
    if (e instanceof Malformed) return undefined;
    throw e;
  }
}

function exprFrame(regs: ReadonlyMap<number, bigint>, target: Target): ExprFrame {
  return { reg: (n) => (n === 0 ? 0n : regs.get(n)), read: (a, n) => target.readMemory("va", a, n) };
}

function cfaOf(row: CfiRow, regs: ReadonlyMap<number, bigint>, target: Target): bigint | undefined {
  try {
    if (row.cfa.kind === "expression") return evaluateValue(row.cfa.expr, exprFrame(regs, target));
    const base = row.cfa.reg === 0 ? 0n : regs.get(row.cfa.reg);
    return base === undefined ? undefined : BigInt.asUintN(64, base + row.cfa.offset);
  } catch (e) {
    if (e instanceof NoValue || e instanceof Malformed) return undefined;
    throw e;
  }
}

/** The caller's pc and registers by the row's rules, or undefined when they cannot be read. */
function callerOf(row: CfiRow, cfa: bigint | undefined, regs: ReadonlyMap<number, bigint>, target: Target): { pc: bigint; regs: Map<number, bigint> } | undefined {
  if (cfa === undefined) return undefined;
  const caller = new Map(regs);
  const word = (a: bigint) => {
    const b = target.readMemory("va", a, 8);
    return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : undefined;
  };
  try {
    for (const [reg, rule] of row.rules) {
      let v: bigint | undefined;
      switch (rule.kind) {
        case "same": continue;
        case "undefined": caller.delete(reg); continue;
        case "offset": v = word(BigInt.asUintN(64, cfa + rule.offset)); break;
        case "valOffset": v = BigInt.asUintN(64, cfa + rule.offset); break;
        case "register": v = regs.get(rule.reg); break;
        case "expression": v = word(evaluateValue(rule.expr, exprFrame(regs, target), 8, [cfa])); break;
        case "valExpression": v = evaluateValue(rule.expr, exprFrame(regs, target), 8, [cfa]); break;
      }
      if (v === undefined) caller.delete(reg);
      else caller.set(reg, v);
    }
  } catch (e) {
    if (e instanceof NoValue || e instanceof Malformed) return undefined;
    throw e;
  }
  const pc = caller.get(row.returnAddress);
  if (pc === undefined || pc === 0n) return undefined;
  caller.set(SP, cfa);
  return { pc, regs: caller };
}

/**
 * Without CFI for the pc: frame 1 from `ra` when it points just after a call in another function (a
 * leaf, or a function that has not saved ra yet); further frames from the frame-pointer chain.
 */
function fromRa(target: Target, symbols: SymbolTable): Frame[] {
  const pc = target.pc;
  const ra = target.getReg(RA);
  let fp = target.getReg(FP);
  const frames: Frame[] = [];
  const inOtherFunction = (a: bigint) => symbols.at(a) === undefined || symbols.at(a) !== symbols.at(pc);
  if (isReturnSite(target, ra) && inOtherFunction(ra)) {
    const link = readLink(target, fp);
    // The function may have saved ra already: then the chain's first link is this same frame.
    const saved = link && link.ra === ra;
    frames.push(saved ? { pc: ra, kind: "return", fp: link.fp } : { pc: ra, kind: "return" });
    if (saved) fp = link.fp;
  }
  return [...frames, ...chain(target, fp, MAX_FRAMES - 1 - frames.length)];
}

/** The frames the frame-pointer chain gives from `fp`, the frame pointer of the last frame found. */
function chain(target: Target, fp: bigint, max: number): Frame[] {
  const frames: Frame[] = [];
  const seen = new Set<bigint>();
  while (frames.length < max) {
    const link = readLink(target, fp);
    if (!link || seen.has(fp) || !isReturnSite(target, link.ra)) break;
    seen.add(fp);
    frames.push({ pc: link.ra, kind: "return", fp: link.fp });
    if (link.fp <= fp) break; // frames lie at increasing addresses; anything else is not a chain
    fp = link.fp;
  }
  return frames;
}

/**
 * When pc lies in the current mode's trap handler (the function holding xtvec's base), the pc the
 * trap was taken at (mepc or sepc); otherwise undefined.
 */
export function trapReturn(target: Target, symbols: SymbolTable): bigint | undefined {
  const [tvec, epc] = target.priv === 3 ? [CSR.mtvec, CSR.mepc] : target.priv === 1 ? [CSR.stvec, CSR.sepc] : [];
  if (tvec === undefined) return undefined;
  const base = (target.readCsr(tvec) ?? 0n) & ~3n;
  const handler = symbols.at(base);
  const here = symbols.at(target.pc);
  const inHandler = handler && here ? handler === here : target.pc >= base && target.pc < base + 64n;
  return base !== 0n && inHandler ? target.readCsr(epc!) : undefined;
}

function readLink(target: Target, fp: bigint): { ra: bigint; fp: bigint } | undefined {
  if (fp < 16n || fp % 8n !== 0n) return undefined;
  const bytes = target.readMemory("va", fp - 16n, 16);
  if (!bytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return { fp: view.getBigUint64(0, true), ra: view.getBigUint64(8, true) };
}

/** The stack pointer now, for step-out's "returned to the caller" test. */
export function stackPointer(target: Target): bigint {
  return target.getReg(SP);
}
