import { CSR } from "../isa/csrs";
import type { Target } from "../target/target";
import { isReturnSite } from "./insn_kind";
import type { SymbolTable } from "./symbols";

const RA = 1;
const SP = 2;
const FP = 8;
const MAX_FRAMES = 64;

/**
 * The call stack from the return-address register and the frame-pointer chain (s0 = the caller's
 * sp, with ra at s0-8 and the caller's s0 at s0-16, as gcc lays frames out). Every return address
 * must follow a call instruction, so garbage on the stack does not become frames.
 *
 * Frame 0 is the pc. Frame 1 comes from `ra` when it points just after a call in another function
 * (a leaf, or a function that has not saved ra yet); further frames come from the chain.
 */
/** A frame's pc: the current pc, a return address (its line is the call's), or where a trap was taken. */
export interface Frame {
  pc: bigint;
  kind: "current" | "return" | "trapped";
  /**
   * A caller's frame pointer as its callee saved it, when the chain gives it: for a function built
   * with a frame pointer (gcc -O0), that is its canonical frame address, the base of its C locals.
   */
  fp?: bigint;
}

export function unwind(target: Target, symbols: SymbolTable): Frame[] {
  const frames = unwindPcs(target, symbols);
  const trapped = trapReturn(target, symbols) !== undefined;
  return frames.map((f, i) => ({ ...f, kind: i === 0 ? "current" : i === 1 && trapped ? "trapped" : "return" }));
}

function unwindPcs(target: Target, symbols: SymbolTable): { pc: bigint; fp?: bigint }[] {
  const pc = target.pc;
  const frames: { pc: bigint; fp?: bigint }[] = [{ pc }];
  const ra = target.getReg(RA);
  let fp = target.getReg(FP);
  const epc = trapReturn(target, symbols);
  if (epc !== undefined) {
    // In a trap handler ra belongs to the interrupted code, not to a call: the caller is the trapped pc.
    frames.push({ pc: epc });
    return frames;
  }
  const inOtherFunction = (a: bigint) => symbols.at(a) === undefined || symbols.at(a) !== symbols.at(pc);
  if (isReturnSite(target, ra) && inOtherFunction(ra)) {
    const link = readLink(target, fp);
    // The function may have saved ra already: then the chain's first link is this same frame.
    const saved = link && link.ra === ra;
    frames.push(saved ? { pc: ra, fp: link.fp } : { pc: ra });
    if (saved) fp = link.fp;
  }
  const seen = new Set<bigint>();
  while (frames.length < MAX_FRAMES) {
    const link = readLink(target, fp);
    if (!link || seen.has(fp) || !isReturnSite(target, link.ra)) break;
    seen.add(fp);
    frames.push({ pc: link.ra, fp: link.fp });
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
