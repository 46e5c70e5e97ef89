import type { DebugProtocol } from "@vscode/debugprotocol";
import { inScope, type CProgram, type CVariable } from "../asm/dwarf/c_program";
import type { Target } from "../target/target";
import { cFrame, placeIn } from "./c_frame";
import { cVariable, type CValueContext } from "./c_values";
import type { Frame } from "./stack";

/**
 * The C scopes of a frame whose pc lies in a function with DWARF: "Locals" (its arguments, then its
 * locals in scope at the pc) and "Globals" (those of its compilation unit). None otherwise.
 * `callers` are the frames above `frame`, nearest first: an argument's value on entry comes from
 * its caller's call site.
 */
export function cScopes(target: Target, c: CProgram, frame: Frame, ref: CValueContext["ref"], callers: readonly Frame[] = []): DebugProtocol.Scope[] {
  const here = cFrame(target, c, [frame, ...callers], 0);
  if (!here) return [];
  const { fn, pc } = here;
  const ctx: CValueContext = { read: (a, n) => target.readMemory("va", a, n), ref };
  const list = (vars: readonly CVariable[]) => () => vars.map((v) => cVariable(v.name, v.type, placeIn(here, v), ctx));
  const locals = [...fn.params, ...fn.locals.filter((l) => inScope(l, pc))];
  return [
    { name: "Locals", presentationHint: "locals", variablesReference: ref(list(locals)), namedVariables: locals.length, expensive: false },
    { name: "Globals", variablesReference: ref(list(fn.unit.globals)), namedVariables: fn.unit.globals.length, expensive: false },
  ];
}
