import type { DebugProtocol } from "@vscode/debugprotocol";
import type { CProgram, CVariable } from "../asm/dwarf/c_program";
import type { Target } from "../target/target";
import { frameCfa } from "./c_frame";
import { cVariable, type CValueContext, type Place } from "./c_values";
import type { Frame } from "./stack";

/**
 * The C scopes of a frame whose pc lies in a function with DWARF: "Locals" (its arguments, then its
 * locals in scope at the pc) and "Globals" (those of its compilation unit). None otherwise.
 */
export function cScopes(target: Target, c: CProgram, frame: Frame, ref: CValueContext["ref"]): DebugProtocol.Scope[] {
  // A caller's pc is a return address: what is in scope is what was at the call, just before it.
  const pc = frame.kind === "return" ? frame.pc - 1n : frame.pc;
  const fn = c.functionAt(pc);
  if (!fn) return [];
  const cfa = frameCfa(target, frame, fn);
  const ctx: CValueContext = { read: (a, n) => target.readMemory("va", a, n), ref };
  const place = (v: CVariable): Place => {
    switch (v.location.kind) {
      case "address": return v.location.address;
      case "frame": return typeof cfa === "string" ? cfa : BigInt.asUintN(64, cfa + v.location.offset);
      case "unsupported": return v.location.why;
    }
  };
  const list = (vars: readonly CVariable[]) => () => vars.map((v) => cVariable(v.name, v.type, place(v), ctx));
  const locals = [...fn.params, ...fn.locals.filter((l) => !l.range || (pc >= l.range.low && pc < l.range.high))];
  return [
    { name: "Locals", presentationHint: "locals", variablesReference: ref(list(locals)), namedVariables: locals.length, expensive: false },
    { name: "Globals", variablesReference: ref(list(fn.unit.globals)), namedVariables: fn.unit.globals.length, expensive: false },
  ];
}
