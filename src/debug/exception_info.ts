import type { DebugProtocol } from "@vscode/debugprotocol";
import { disassemble } from "../asm/disasm";
import { EXCEPTIONS, INTERRUPTS, INTERRUPT_BIT, causeName } from "../isa/causes";
import { CSR } from "../isa/csrs";
import { TRAP_LOOP_STEPS } from "../target/target";
import { EXIT_REASONS, exitName, type VmExit } from "../target/vmm_vocabulary";
import { filterIdOf } from "./exception_filters";
import { EXIT_FILTER_PREFIX } from "./exit_filters";
import type { Program, TrapInfo } from "./program";

const ILLEGAL_INSTRUCTION = 2n;

/**
 * The `exceptionInfo` body for a trap: the cause decoded, tval, and the instruction that trapped.
 * `loop`: the run stopped because the guest takes trap after trap without retiring an instruction.
 */
export function exceptionInfo(program: Program, trap: TrapInfo, loop = false): DebugProtocol.ExceptionInfoResponse["body"] {
  const interrupt = (trap.cause & INTERRUPT_BIT) !== 0n;
  const code = trap.cause & ~INTERRUPT_BIT;
  const spec = (interrupt ? INTERRUPTS : EXCEPTIONS).find((s) => BigInt(s.code) === code);
  const title = spec?.description ?? `cause ${code}`;
  const t = program.target;
  const handlerPriv = t.priv;
  const mstatus = t.readCsr(CSR.mstatus) ?? 0n;
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
  if (loop) {
    lines.unshift(
      `Trap loop: the guest took ${TRAP_LOOP_STEPS} traps in a row without retiring an instruction, so its trap handler itself traps ` +
        "(no trap vector set, a handler that faults, or an instruction this machine does not have). The last one:",
    );
  }
  return {
    exceptionId: loop ? "Trap loop" : filterIdOf(trap.cause) ?? causeName(trap.cause),
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

const PRIV = ["U", "S", "?", "M"];

/** The exit's instruction, disassembled at its pc (falls back to the VMM's mnemonic). */
function exitInstruction(exit: VmExit): string | undefined {
  const i = exit.instruction;
  if (!i) return undefined;
  return `${disassemble(i.bits, exit.pc).text.replace(/\t/g, " ")} (0x${i.bits.toString(16).padStart(i.length * 2, "0")})`;
}

/** One line for the stopped event: "CSR write at 0x80000010 <main>: csrw satp, t0". */
export function exitTitle(program: Program, exit: VmExit): string {
  const label = EXIT_REASONS.find((r) => r.id === exit.reason)?.label ?? exit.reason;
  const where = program.symbols.describe(exit.pc);
  const insn = exitInstruction(exit);
  return `${label} at 0x${exit.pc.toString(16)}${where ? ` <${where}>` : ""}${insn ? `: ${insn}` : ""}`;
}

/** A detail value for people: bigints in hex, the rest as they are. */
function showDetail(v: unknown): string {
  return typeof v === "bigint" ? `0x${BigInt.asUintN(64, v).toString(16)}` : String(v);
}

/** The `exceptionInfo` body for a stop on a VM exit: reason, where, instruction, details, what the VMM did, cost. */
export function exitInfo(program: Program, exit: VmExit): DebugProtocol.ExceptionInfoResponse["body"] {
  const reason = EXIT_REASONS.find((r) => r.id === exit.reason);
  const details = Object.entries(exit.details).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} = ${showDetail(v)}`);
  const lines = [
    `${exit.reason}: ${reason?.description ?? "an exit into the VMM"}`,
    `guest pc 0x${exit.pc.toString(16)}${program.symbols.describe(exit.pc) ? ` <${program.symbols.describe(exit.pc)}>` : ""} in virtual ${PRIV[exit.priv]}-mode, vCPU ${exit.vcpu}`,
    `instruction: ${exitInstruction(exit) ?? "—"}`,
    `details: ${details.length ? details.join(", ") : "—"}`,
    `VMM: ${exit.action}`,
    `cost: ${exit.cycles} modelled cycles`,
  ];
  return {
    // The exception widget's title: what a first-timer can read (the filter id is in typeName).
    exceptionId: `${exitName(exit.seq)}: ${reason?.label ?? exit.reason}`,
    description: lines.join("\n"),
    breakMode: "always",
    details: { message: lines.join("\n"), typeName: EXIT_FILTER_PREFIX + exit.reason, fullTypeName: reason ? `VM exit ${exit.reason}: ${reason.description}` : `VM exit ${exit.reason}` },
  };
}
