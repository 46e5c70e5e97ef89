import { CSR } from "../../isa/csrs";
import { rdOf, rs1Of } from "../../isa/fields";
import { csrAccessible, csrRead, csrWrite } from "../../machine/hart/csr";
import { pendingInterrupt } from "../../machine/hart/trap";
import type { Vm } from "../vm";

/**
 * Adaptive translation of CSR accesses (Adams and Agesen, ASPLOS 2006: VMware's translator turned
 * x86 `cli`, `pushf` and reads of privileged state into a few inline instructions on the vCPU's
 * state in memory, no callout). These guest CSR accesses are "inline" in the translation cache: the
 * VMM answers them with no exit, as the load or store of the vCPU's virtual CSR file they stand for.
 *
 * Why the TC word is still an `ecall` the VMM answers, and not a real load: a RISC-V TC has no way to
 * hold one exactly. The TC runs in the same privilege and address space as the guest code it copies,
 * with every register the guest's, so the only loads it could use are `ld rd, imm(x0)`, whose window
 * (the lowest and highest 2 KiB of the address space) a copied guest load could reach too: a
 * guest kernel dereferencing such an address would read the VMM's CSR file where natively it faults.
 * VMware hid the VMM from the guest with x86 segment limits; RISC-V has no such guard. And each guest
 * instruction must stay one TC instruction, so that the hart's retired count, which is the guest's
 * minstret and drives its timer, stays the guest's: a two-instruction `auipc`+`ld` would break that.
 * So the inline access costs what a load costs (nothing beyond the instruction, no exit), is
 * counted in the TC's statistics (`inline`), and runs the machine's own CSR rules (csr.ts) on the
 * vCPU, so the guest reads and writes exactly what its hart would give it.
 *
 * Which accesses: those whose effect is only the value moved, so that a real TC could inline them.
 *  - Reads and writes of the trap-handling CSRs, stvec, sscratch, sepc, scause, stval and their
 *    M-mode twins: nothing reads them but the guest's own CSR instructions, trap entry and xRET
 *    (both callouts or VMM work), so a write changes nothing before one of those (WARL masks such as
 *    sepc's bit 0 are applied as the hart applies them).
 *  - Reads of sstatus, sie, satp, mstatus, mie, medeleg and mideleg: their value changes only through
 *    the VMM or the guest's own writes, never behind their back.
 *  - Writes to sstatus and sie that change only interrupt enables (sstatus SIE, SPIE, SPP; any sie
 *    bit) and leave no interrupt deliverable: a kernel's interrupts off/on around a critical section,
 *    x86's cli/sti, which VMware's translator also inlined with a check for a pending virtual
 *    interrupt. The check is made here after the write: if the write changed anything else (SUM or
 *    MXR change the translation context) or unmasked a pending interrupt, it is undone and the
 *    access becomes the callout, whose emulation does the rest and after which the interrupt is
 *    delivered before the next guest instruction.
 * Not inline: sip/mip (devices and the timer set their bits), the counters (the guest's time), the
 * floating-point CSRs (on the host hart), PMP (flushes the TC), and the other writes with a side
 * effect (satp, mstatus, mie, delegation, counter enables). An inline access the guest's privilege
 * forbids at run time (an S-mode read of mscratch, satp under TVM) becomes the callout it would
 * otherwise be, which delivers the guest's illegal-instruction trap.
 */
const READ_WRITE: ReadonlySet<number> = new Set([
  CSR.stvec, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.mtvec, CSR.mscratch, CSR.mepc, CSR.mcause, CSR.mtval,
]);
const READ_ONLY: ReadonlySet<number> = new Set([CSR.sstatus, CSR.sie, CSR.satp, CSR.mstatus, CSR.mie, CSR.medeleg, CSR.mideleg]);
/** Interrupt-enable CSRs, by the bits an inline write may change (sstatus: SIE, SPIE, SPP). */
const ENABLES = new Map<number, bigint>([[CSR.sstatus, 0x122n], [CSR.sie, ~0n]]);

const OP_SYSTEM = 0x73;

/** The fields of a CSR instruction `e` (32 bits), or undefined if it is no CSR instruction. */
function csrFields(e: number): { num: number; rd: number; rs1: number; kind: number; imm: boolean; writes: boolean } | undefined {
  const f3 = (e >>> 12) & 7;
  if ((e & 0x7f) !== OP_SYSTEM || (f3 & 3) === 0) return undefined;
  const rs1 = rs1Of(e);
  // csrrw/csrrwi always write; csrrs/csrrc (and their immediate forms) only with a nonzero source.
  return { num: e >>> 20, rd: rdOf(e), rs1, kind: f3 & 3, imm: (f3 & 4) !== 0, writes: (f3 & 3) === 1 || rs1 !== 0 };
}

/** Whether the translator makes guest instruction `e` (32 bits) an inline CSR access. */
export function isInlineCsr(e: number): boolean {
  const f = csrFields(e);
  return f !== undefined && (READ_WRITE.has(f.num) || ENABLES.has(f.num) || (!f.writes && READ_ONLY.has(f.num)));
}

/**
 * Runs inline CSR access `e` on the vCPU: the old value to rd, the new one (with the CSR's WARL
 * rules) to the virtual CSR; the caller retires the instruction (the VMM after an exit, the hart at
 * the callout gate). False, with nothing done, when the guest's
 * current privilege may not make this access, or when a write to an interrupt enable does more than
 * enable or disable without unmasking a pending interrupt: the caller then emulates it as a callout.
 */
export function runInlineCsr(vm: Vm, e: number): boolean {
  const f = csrFields(e)!;
  const v = vm.vcpu.state;
  const hart = vm.board.hart;
  if (!csrAccessible(v, f.num, f.writes)) return false;
  const old = csrRead(v, f.num)!;
  if (f.writes) {
    const src = f.imm ? BigInt(f.rs1) : hart.getReg(f.rs1);
    const { mstatus, mie } = v;
    csrWrite(v, f.num, BigInt.asUintN(64, f.kind === 1 ? src : f.kind === 2 ? old | src : old & ~src));
    const enables = ENABLES.get(f.num);
    if (enables !== undefined && (((csrRead(v, f.num)! ^ old) & ~enables) !== 0n || pendingInterrupt(v) >= 0)) {
      v.mstatus = mstatus;
      v.mie = mie;
      return false;
    }
  }
  hart.setReg(f.rd, old);
  return true;
}
