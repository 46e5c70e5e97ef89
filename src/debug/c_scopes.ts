import type { DebugProtocol } from "@vscode/debugprotocol";
import { inScope, type CProgram, type CVariable } from "../asm/dwarf/c_program";
import type { Target } from "../target/target";
import { cFrame, placeIn } from "./c_frame";
import { cVariable, symbolText, type CValueContext, type Place } from "./c_values";
import type { SymbolTable } from "./symbols";
import type { Frame } from "./stack";

/** What a C frame can see: its arguments and the locals in scope at its pc, its unit's globals, and where each lives. */
export interface CFrameView {
  locals: CVariable[];
  globals: readonly CVariable[];
  place(v: CVariable): Place;
}

/**
 * The C view of a frame whose pc lies in a function with DWARF; undefined for any other frame.
 * `callers` are the frames above `frame`, nearest first: an argument's value on entry comes from
 * its caller's call site.
 */
export function cFrameView(target: Target, c: CProgram, frame: Frame, callers: readonly Frame[] = []): CFrameView | undefined {
  const here = cFrame(target, c, [frame, ...callers], 0);
  if (!here) return undefined;
  const { fn, scope, pc } = here;
  return {
    locals: [...scope.params, ...scope.locals.filter((l) => inScope(l, pc))],
    globals: fn.unit.globals,
    place: (v) => placeIn(here, v),
  };
}

/** Guest memory through the current translation, and the program's symbols for pointers. */
export function cValueContext(target: Target, symbols: SymbolTable, ref: CValueContext["ref"]): CValueContext {
  return { read: (a, n) => target.readMemory("va", a, n), ref, symbol: (a) => symbolText(symbols, a) };
}

/**
 * The C scopes of a frame whose pc lies in a function with DWARF: "Locals" (its arguments, then its
 * locals in scope at the pc) and "Globals" (those of its compilation unit). None otherwise.
 */
export function cScopes(target: Target, c: CProgram, frame: Frame, symbols: SymbolTable, ref: CValueContext["ref"], callers: readonly Frame[] = []): DebugProtocol.Scope[] {
  const view = cFrameView(target, c, frame, callers);
  if (!view) return [];
  const ctx = cValueContext(target, symbols, ref);
  const list = (vars: readonly CVariable[]) => () => vars.map((v) => cVariable(v.name, v.type, view.place(v), ctx, v.name));
  return [
    { name: "Locals", presentationHint: "locals", variablesReference: ref(list(view.locals)), namedVariables: view.locals.length, expensive: false },
    { name: "Globals", variablesReference: ref(list(view.globals)), namedVariables: view.globals.length, expensive: false },
  ];
}
