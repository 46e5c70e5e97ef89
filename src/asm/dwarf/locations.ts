import { Cursor, Malformed } from "./form";

/**
 * Where a variable lives, from its DW_AT_location expression. Only the two forms gcc -O0 uses are
 * understood; anything else says so rather than guess (a location list, or a register, at -Og).
 */
export type Location =
  | { kind: "frame"; offset: bigint }
  | { kind: "address"; address: bigint }
  | { kind: "unsupported"; why: string };

/** A subprogram's DW_AT_frame_base: the CFA is the only one gcc emits for RISC-V. */
export type FrameBase = { kind: "cfa" } | { kind: "unsupported"; why: string };

const DW_OP_addr = 0x03;
const DW_OP_fbreg = 0x91;
const DW_OP_call_frame_cfa = 0x9c;

export function decodeLocation(expr: Uint8Array | undefined, addressSize: number, how: string): Location {
  if (!expr) return { kind: "unsupported", why: `location not supported yet (${how})` };
  try {
    const c = new Cursor(expr, "location expression");
    const op = c.u8("opcode");
    let loc: Location;
    if (op === DW_OP_fbreg) loc = { kind: "frame", offset: c.sleb("DW_OP_fbreg offset") };
    else if (op === DW_OP_addr) loc = { kind: "address", address: c.sized(addressSize, "DW_OP_addr operand") };
    else return { kind: "unsupported", why: `location not supported yet (DW_OP 0x${op.toString(16)})` };
    return c.left === 0 ? loc : { kind: "unsupported", why: "location not supported yet (a composite expression)" };
  } catch (e) {
    if (e instanceof Malformed) return { kind: "unsupported", why: `malformed location: ${e.message}` };
    throw e;
  }
}

export function decodeFrameBase(expr: Uint8Array | undefined): FrameBase {
  if (expr?.length === 1 && expr[0] === DW_OP_call_frame_cfa) return { kind: "cfa" };
  return { kind: "unsupported", why: "frame base not supported yet (only DW_OP_call_frame_cfa)" };
}
