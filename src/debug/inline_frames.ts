import { inBody, inlinedChain, type CFunction, type CInlined, type CProgram } from "../asm/dwarf/c_program";
import type { LineMap, SourceLine } from "./line_table";
import type { Frame } from "./stack";

/**
 * Calls the compiler inlined, seen as gdb sees them. In the call stack, each inlined call whose code
 * holds a frame's pc is a frame of its own, at the same pc and registers, above the frame of the
 * function whose code it is; that frame shows the call's line. At the first instruction of an
 * inlined body the debugger still shows the call (the body's frame is "hidden"): Step Over goes
 * over the call from there, Step Into enters it without running an instruction.
 */

/** The inlined calls whose code holds `pc` (a caller's return address counts as the call before it), outermost first. */
export function inlinedAt(c: CProgram, pc: bigint): { fn?: CFunction; chain: CInlined[] } {
  const fn = c.functionAt(pc);
  return { fn, chain: fn ? inlinedChain(fn, pc) : [] };
}

/**
 * How many of the innermost inlined calls at `pc` begin there, at their entry or at the start of one
 * of their pieces (the instruction before is not theirs): those gdb hides until Step Into enters them.
 */
export function callsStartingAt(c: CProgram | undefined, pc: bigint): number {
  const chain = c ? inlinedAt(c, pc).chain : [];
  let n = 0;
  while (n < chain.length && startsAt(chain[chain.length - 1 - n], pc)) n++;
  return n;
}

function startsAt(inl: CInlined, pc: bigint): boolean {
  return inl.entryPc === pc || !inBody(inl, pc - 1n);
}

/**
 * The call stack with a frame for each inlined call, innermost first. `hidden` inlined calls at the
 * top (those beginning at the pc, callsStartingAt) are not shown: the frame below them shows the
 * line that makes the outermost of them.
 */
export function withInlinedFrames(frames: readonly Frame[], c: CProgram | undefined, hidden: number): Frame[] {
  if (!c) return [...frames];
  return frames.flatMap((frame, i) => {
    const { chain } = inlinedAt(c, frame.kind === "return" ? frame.pc - 1n : frame.pc);
    const shown = i === 0 ? chain.length - Math.min(hidden, chain.length) : chain.length;
    const out: Frame[] = [];
    // Innermost first: each shown call, then the body it is inlined into, which shows the call's line.
    for (let d = shown - 1; d >= -1; d--) {
      const below = chain[d + 1];
      const callLine = d + 1 < chain.length ? below.call : undefined;
      out.push({ ...frame, inlined: d >= 0 ? chain[d] : undefined, callLine });
    }
    return out;
  });
}

/** The top frame line stepping sees at a pc: its function, the inlined calls it is in, and the line it shows. */
export interface StepFrame {
  fn?: CFunction;
  /** The inlined calls shown at the pc, outermost first: the top frame is the last one's (or the function's). */
  shown: CInlined[];
  line?: SourceLine;
  /** The outermost of the inlined calls that begin at the pc, which the frame shows as its line; how many begin there. */
  entering?: CInlined;
  hidden: number;
}

/** The top frame at `pc` with `hidden` inlined calls hidden (by default, all that begin there). */
export function stepFrame(c: CProgram | undefined, lines: LineMap, pc: bigint, hidden = callsStartingAt(c, pc)): StepFrame {
  const { fn, chain } = c ? inlinedAt(c, pc) : { fn: undefined, chain: [] };
  const shown = chain.slice(0, chain.length - hidden);
  const entering = hidden > 0 ? chain[shown.length] : undefined;
  return { fn, shown, line: entering ? entering.call : lines.lineOf(pc), entering, hidden };
}

/**
 * How the top frame at a pc relates to the frame a step started in, for the same function: the
 * same frame, an inlined call made from it ("inner"), or another ("other": its caller, or a sibling call).
 */
export function relation(from: StepFrame, here: StepFrame): "same" | "inner" | "other" | "function" {
  if (here.fn !== from.fn) return "function";
  const prefix = from.shown.every((inl, i) => here.shown[i] === inl);
  if (!prefix) return "other";
  return here.shown.length === from.shown.length ? "same" : here.shown.length > from.shown.length ? "inner" : "other";
}
