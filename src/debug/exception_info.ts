import type { DebugProtocol } from "@vscode/debugprotocol";
import { disassemble } from "../asm/disasm";
import { EXCEPTIONS, INTERRUPTS, INTERRUPT_BIT, causeName } from "../isa/causes";
import { filterIdOf } from "./exception_filters";
import type { Program, TrapInfo } from "./program";

const ILLEGAL_INSTRUCTION = 2n;

/** The `exceptionInfo` body for a trap: the cause decoded, tval, and the instruction that trapped. */
export function exceptionInfo(program: Program, trap: TrapInfo): DebugProtocol.ExceptionInfoResponse["body"] {
  const interrupt = (trap.cause & INTERRUPT_BIT) !== 0n;
  const code = trap.cause & ~INTERRUPT_BIT;
  const spec = (interrupt ? INTERRUPTS : EXCEPTIONS).find((s) => BigInt(s.code) === code);
  const title = spec?.description ?? `cause ${code}`;
  const t = program.target;
  const handlerPriv = t.priv;
  const mstatus = t.readCsr(0x300) ?? 0n;
  const from = handlerPriv === 3 ? Number((mstatus >> 11n) & 3n) : Number((mstatus >> 8n) & 1n);
  const modes = ["U", "S", "?", "M"];
  const insn = interrupt ? undefined : faultingInstruction(program, trap, from);
  const where = program.symbols.describe(trap.pc);
  const lines = [
    `${title} (${causeName(trap.cause)}, cause ${interrupt ? `interrupt ${code}` : code})`,
    `taken at pc 0x${trap.pc.toString(16)}${where ? ` <${where}>` : ""} in ${modes[from]}-mode, handled in ${modes[handlerPriv]}-mode at 0x${t.pc.toString(16)}`,
    `tval = 0x${trap.tval.toString(16)}`,
  ];
  if (insn) lines.push(`instruction: ${insn}`);
  return {
    exceptionId: filterIdOf(trap.cause) ?? causeName(trap.cause),
    description: lines.join("\n"),
    breakMode: "always",
    details: { message: lines.join("\n"), typeName: causeName(trap.cause), fullTypeName: `${interrupt ? "interrupt" : "exception"} ${code}: ${title}` },
  };
}

/**
 * The trapping instruction's text. For an illegal instruction it is tval (QEMU and Hyperstep put
 * the bits there); otherwise it is read at the trap pc, translated as a fetch in the mode the trap
 * came from.
 */
function faultingInstruction(program: Program, trap: TrapInfo, fromPriv: number): string | undefined {
  if (trap.cause === ILLEGAL_INSTRUCTION && trap.tval !== 0n) {
    return `${disassemble(Number(trap.tval & 0xffffffffn) >>> 0, trap.pc).text.replace(/\t/g, " ")} (0x${trap.tval.toString(16)})`;
  }
  const t = program.target.translate(trap.pc, "x", fromPriv);
  if (!t.ok) return undefined;
  return program.disasm.textAt(t.pa, "pa");
}
