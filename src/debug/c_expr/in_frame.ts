import type { DebugProtocol } from "@vscode/debugprotocol";
import type { CProgram } from "../../asm/dwarf/c_program";
import { resolved, sizeOf } from "../../asm/dwarf/types";
import type { Target } from "../../target/target";
import { cFrameView, cValueContext } from "../c_scopes";
import { cRvalue, cVariable, type CValueContext } from "../c_values";
import { ExprError, parseExpression } from "../expressions";
import type { Frame } from "../stack";
import type { SymbolTable } from "../symbols";
import { integerOf } from "./c_types";
import { bitsOf, evaluateC, type CScope } from "./evaluate";
import { valueText } from "./format";
import { parseC, type CExpr } from "./parse";

/** A C expression read in a frame, ready to evaluate: `evaluate` gives its value as a DAP variable. */
export interface ParsedC {
  evaluate(): DebugProtocol.Variable;
  /** The value's bits and size when it is an integer, enum or pointer (for `p/x`), or undefined. */
  scalar(): { bits: bigint; size: number } | undefined;
  /** The value as an address (for `x`, `walk`, `disas`): a pointer's, an integer's, or where an array is. */
  address(): bigint;
  /** The memory the value is, for a data breakpoint: undefined for a computed value. */
  object(): { addr: bigint; bytes: number } | undefined;
}

/**
 * C expressions in a C frame (one whose pc lies in a function with DWARF); undefined for any other
 * frame. Names are looked up as C does: the frame's locals (an inner block's first) and arguments,
 * then the globals of its file, then those of the program's other files. `callers` are the frames
 * above `frame`, nearest first, for arguments' entry values.
 */
export function cExpressions(target: Target, c: CProgram, frame: Frame, symbols: SymbolTable, ref: CValueContext["ref"], callers: readonly Frame[] = []): ((text: string) => ParsedC) | undefined {
  const view = cFrameView(target, c, frame, callers);
  if (!view) return undefined;
  const ctx = cValueContext(target, symbols, ref);
  const scope: CScope = {
    variable(name) {
      const v = [...view.locals].reverse().find((l) => l.name === name) ?? view.globals.find((g) => g.name === name)
        ?? c.units.flatMap((u) => u.globals).find((g) => g.name === name);
      return v && { type: v.type, place: view.place(v) };
    },
    typeNamed: (spelling) => c.typeNamed(spelling),
    read: ctx.read,
  };
  const isTypedef = (name: string) => c.typeNamed(name)?.kind === "typedef";
  return (text) => {
    const e: CExpr = parseC(text, isTypedef);
    return {
      evaluate: () => variableOf(text.trim(), evaluateC(e, scope), ctx),
      scalar: () => {
        const v = evaluateC(e, scope);
        const t = resolved(v.type);
        const size = sizeOf(v.type);
        if (t.kind !== "pointer" && !integerOf(v.type)) return undefined;
        return { bits: BigInt.asUintN(size! * 8, bitsOf(v, scope)), size: size! };
      },
      address: () => {
        const v = evaluateC(e, scope);
        const kind = resolved(v.type).kind;
        if (kind !== "pointer" && kind !== "array" && !integerOf(v.type)) throw new ExprError("Value can't be converted to integer.");
        return bitsOf(v, scope);
      },
      object: () => {
        const v = evaluateC(e, scope);
        const bytes = sizeOf(v.type);
        return "addr" in v && bytes ? { addr: v.addr, bytes } : undefined;
      },
    };
  };
}

function variableOf(text: string, v: ReturnType<typeof evaluateC>, ctx: CValueContext): DebugProtocol.Variable {
  if ("raw" in v) return cRvalue(text, v.type, v.raw, ctx);
  // As gdb, an address with no memory at all is an error, not a value.
  if ("addr" in v && !ctx.read(v.addr, 1)) throw new ExprError(`Cannot access memory at address 0x${v.addr.toString(16)}`);
  const place = "addr" in v ? v.addr : v.bytes;
  const variable = cVariable(text, v.type, place, ctx, text);
  const kind = resolved(v.type).kind;
  // A struct or an array reads at a glance as gdb prints it; its children stay expandable.
  if (kind === "struct" || kind === "array") variable.value = valueText(v.type, place, ctx);
  return variable;
}

/**
 * The rule for an expression in a C frame: it is C first. The debugger's own expression language
 * (registers, CSRs, `*(u32*)addr`, `$priv`, assignments) answers what C does not: an expression
 * that is not C but is the machine's (`a0 = 5`), or whose C evaluation fails where the machine's
 * succeeds (`sp + 8`, `mstatus.MPP`). When both fail, the C error is the one reported, unless the
 * text is the machine language's and not C.
 */
export function cFirst<T>(parse: ((text: string) => ParsedC) | undefined, text: string, c: (parsed: ParsedC) => T, machine: () => T): T {
  if (!parse) return machine();
  let parsed: ParsedC;
  try {
    parsed = parse(text);
  } catch (e) {
    if (e instanceof ExprError && machineParses(text)) return machine();
    throw e;
  }
  try {
    return c(parsed);
  } catch (cError) {
    if (!(cError instanceof ExprError)) throw cError;
    try {
      return machine();
    } catch (machineError) {
      throw machineError instanceof ExprError ? cError : machineError;
    }
  }
}

function machineParses(text: string): boolean {
  try {
    parseExpression(text);
    return true;
  } catch (e) {
    if (e instanceof ExprError) return false;
    throw e;
  }
}
