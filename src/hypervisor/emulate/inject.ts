import { causeName, INTERRUPT_BIT } from "../../isa/causes";
import { PRIV_NAMES } from "../../isa/privilege";
import { enterTrap } from "../../machine/hart/trap";
import { insn, type DecodedInstruction } from "../decode";
import { pcAt, pcValue, type ExitDetails, type ExitReason, type NarrativeStep } from "../exits";
import type { Vm } from "../vm";

/**
 * Trap and interrupt injection (KVM's vcpu_exit.c): how the VMM hands the guest a trap its own
 * hardware would have taken. The virtual CPU applies the machine's own trap-entry rules (trap.ts):
 * mtvec, or stvec when the guest's medeleg/mideleg delegate it, with the CSR updates a real hart makes.
 */

/**
 * Delivers a trap to the guest's own handler, as its hardware would, and records the exit with
 * `details` (which it completes: callers pass a fresh object). `why` and `steps` narrate it (lazily).
 * Returns the guest steps it used: one, the trap entry.
 */
export function reflect(
  vm: Vm, reason: ExitReason, cause: bigint, tval: bigint, d: DecodedInstruction | undefined, details: ExitDetails, why: () => string,
  steps?: () => NarrativeStep[],
): number {
  const v = vm.vcpu.state;
  const pc = pcAt(v), priv = v.prv;
  const mstatusBefore = v.mstatus, medeleg = v.medeleg;
  enterTrap(v, cause, tval);
  v.sliceTraps = 0;
  const to = v.prv, toPc = v.pc, mstatusAfter = v.mstatus;
  const name = causeName(cause);
  details.cause = cause;
  details.causeName = name;
  details.tval = tval;
  details.toPriv = to;
  details.toPc = toPc;
  vm.record(reason, d && insn(d), details, () => ({
    action: `${why()}: reflected ${name} to the guest's ${to === 3 ? "mtvec" : "stvec"} handler (${PRIV_NAMES[priv]} → ${PRIV_NAMES[to]})`,
    steps: [
      ...(steps?.() ?? []),
      { phase: "check", text: `${name} from ${PRIV_NAMES[priv]}-mode goes to ${PRIV_NAMES[to]}-mode (virtual medeleg 0x${medeleg.toString(16)})` },
      { phase: "inject", text: `${to === 3 ? "mepc" : "sepc"} ← pc, ${to === 3 ? "mcause" : "scause"} ← ${cause}, ${to === 3 ? "mtval" : "stval"} ← 0x${tval.toString(16)}`, after: pcValue(pc) },
      { phase: "vcpu", text: "mstatus: xPIE ← xIE, xIE ← 0, xPP ← old mode", before: BigInt(mstatusBefore), after: BigInt(mstatusAfter) },
      { phase: "resume", text: `resume at the handler in ${PRIV_NAMES[to]}-mode`, after: toPc },
    ],
  }), pc, priv);
  return 1;
}

/** Injects pending, enabled interrupt `irq` into the guest: a `virtual-interrupt` exit. */
export function injectInterrupt(vm: Vm, irq: number): void {
  const v = vm.vcpu.state;
  const pc = v.pc, priv = v.prv;
  const cause = INTERRUPT_BIT | BigInt(irq);
  const mstatusBefore = v.mstatus, mip = v.mipSw | v.mipHw, mie = v.mie;
  enterTrap(v, cause, 0n);
  v.sliceTraps = 0;
  const to = v.prv, toPc = v.pc, mstatusAfter = v.mstatus;
  vm.record("virtual-interrupt", undefined, { cause, causeName: causeName(cause), toPriv: to, toPc }, () => ({
    action: `injected ${causeName(cause)} into the guest: ${PRIV_NAMES[priv]} → ${PRIV_NAMES[to]}, handler 0x${toPc.toString(16)}`,
    steps: [
      { phase: "check", text: `pending & enabled: mip 0x${mip.toString(16)}, mie 0x${mie.toString(16)}` },
      { phase: "inject", text: `${to === 3 ? "mepc" : "sepc"} ← interrupted pc`, after: pc },
      { phase: "vcpu", text: "mstatus (xPIE ← xIE, xIE ← 0, xPP ← old mode)", before: BigInt(mstatusBefore), after: BigInt(mstatusAfter) },
      { phase: "resume", text: `resume the guest at its handler in ${PRIV_NAMES[to]}-mode`, after: toPc },
    ],
  }), pc, priv);
}
