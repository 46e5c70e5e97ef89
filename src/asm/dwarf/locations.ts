import { evaluateLocation, NoValue, OPTIMIZED_OUT, type BaseTypes, type ExprFrame, type Piece } from "./expression";
import { Cursor, Malformed } from "./form";
import { locationAt, type LocationList } from "./lists";

/**
 * Where a variable lives, from its DW_AT_location (or DW_AT_const_value). The two forms gcc -O0 uses
 * get their own kinds, so the common case needs no evaluation: a frame offset and a static address.
 * Anything else is a DWARF expression, valid everywhere or per pc range (a location list).
 */
export type Location =
  | { kind: "frame"; offset: bigint }
  | { kind: "address"; address: bigint }
  | { kind: "expr"; expr: Uint8Array; addressSize: number; baseTypes?: BaseTypes }
  | { kind: "list"; list: LocationList; addressSize: number; baseTypes?: BaseTypes }
  /** DW_AT_const_value: the value itself, in the target's byte order. */
  | { kind: "constant"; bytes: Uint8Array }
  /** No DW_AT_location: the compiler kept the variable nowhere. */
  | { kind: "optimized" }
  | { kind: "unsupported"; why: string };

/** A subprogram's DW_AT_frame_base: the CFA is the only one gcc emits for RISC-V. */
/**
 * A function's frame base (DW_AT_frame_base): the CFA (gcc's DWARF 3 and later), or an expression or
 * location list over the registers, as gcc gives it for DWARF 2 (`DW_OP_breg8 (s0): 0` once the
 * prologue has set s0; xv6 builds with -gdwarf-2).
 */
export type FrameBase =
  | { kind: "cfa" }
  | { kind: "expr"; expr: Uint8Array }
  | { kind: "list"; list: LocationList }
  | { kind: "unsupported"; why: string };

const DW_OP_addr = 0x03;
const DW_OP_fbreg = 0x91;
const DW_OP_call_frame_cfa = 0x9c;

export function decodeLocation(expr: Uint8Array | undefined, addressSize: number, how: string, baseTypes?: BaseTypes): Location {
  if (!expr) return { kind: "unsupported", why: `location not supported yet (${how})` };
  try {
    const c = new Cursor(expr, "location expression");
    const op = c.u8("opcode");
    let loc: Location | undefined;
    if (op === DW_OP_fbreg) loc = { kind: "frame", offset: c.sleb("DW_OP_fbreg offset") };
    else if (op === DW_OP_addr) loc = { kind: "address", address: c.sized(addressSize, "DW_OP_addr operand") };
    return loc && c.left === 0 ? loc : { kind: "expr", expr, addressSize, baseTypes };
  } catch (e) {
    if (e instanceof Malformed) return { kind: "expr", expr, addressSize, baseTypes };
    throw e;
  }
}

export function decodeFrameBase(expr: Uint8Array | undefined): FrameBase {
  if (expr?.length === 1 && expr[0] === DW_OP_call_frame_cfa) return { kind: "cfa" };
  return expr ? { kind: "expr", expr } : { kind: "unsupported", why: "the function has no frame base" };
}

/**
 * Where the variable's bytes are at `pc` in `frame`: pieces in memory, registers or computed, or
 * why there is no value (NoValue's message, "optimized out" as gdb says it).
 */
export function locate(location: Location, pc: bigint, frame: ExprFrame): Piece[] | string {
  try {
    switch (location.kind) {
      case "address": return [{ where: { kind: "memory", address: location.address } }];
      case "frame": {
        const base = frame.frameBase?.() ?? "the frame base is not known";
        return typeof base === "string" ? base : [{ where: { kind: "memory", address: BigInt.asUintN(64, base + location.offset) } }];
      }
      case "constant": return [{ where: { kind: "implicit", bytes: location.bytes } }];
      case "optimized": return OPTIMIZED_OUT;
      case "unsupported": return location.why;
      case "expr": return evaluateLocation(location.expr, frame, location.addressSize, location.baseTypes);
      case "list": {
        const expr = locationAt(location.list, pc);
        return expr ? evaluateLocation(expr, frame, location.addressSize, location.baseTypes) : OPTIMIZED_OUT;
      }
    }
  } catch (e) {
    if (e instanceof NoValue) return e.message;
    if (e instanceof Malformed) return `malformed location: ${e.message}`;
    throw e;
  }
}
