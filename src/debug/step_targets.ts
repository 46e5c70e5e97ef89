import { insnAt } from "./insn_kind";
import type { Program } from "./program";
import type { StepTarget } from "./run_control";

/** How far along its line a Step Into Target looks (a line of assembly is one or a few instructions). */
const MAX_LINE_INSTRUCTIONS = 16;

/**
 * What Step Into Target offers on the current line: each call (into the function it calls) and,
 * under a VMM, each SYSTEM instruction (CSR access, xRET, wfi, sfence.vma, ecall), which traps
 * into the VMM under trap-and-emulate (into its emulation of that instruction). Without line
 * information, the instruction at the pc alone.
 */
export function stepTargets(program: Program): StepTarget[] {
  const target = program.target;
  const lines = program.lines;
  const first = lines.lineOf(target.pc);
  const out: StepTarget[] = [];
  let pc = target.pc;
  for (let i = 0; i < MAX_LINE_INSTRUCTIONS; i++) {
    if (i > 0) {
      const here = lines.lineOf(pc);
      if (!first || !here || here.line !== first.line || here.file !== first.file || lines.isLineStart(pc)) break;
    }
    const insn = insnAt(target, pc);
    if (!insn) break;
    const text = program.disasm.textAt(pc)?.replace(/\t/g, " ") ?? `the instruction at 0x${pc.toString(16)}`;
    if (insn.call) out.push({ pc, kind: "call", text });
    else if (insn.system && target.vmm) out.push({ pc, kind: "vmm", text });
    pc += BigInt(insn.length);
  }
  return out;
}

/** The label VS Code's Step Into Target picker shows. */
export function stepTargetLabel(t: StepTarget): string {
  return t.kind === "call" ? `Into the call: ${t.text}` : `VMM: emulate ${t.text}`;
}
