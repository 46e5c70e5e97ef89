import { causeName } from "../../isa/causes";
import { mret, sret, enterTrap, pendingInterrupt, wakeable } from "../../machine/hart/trap";
import { emulateCsr, emulateNonTrapping } from "../csr_emulation";
import { decodeBits, insn, type DecodedInstruction } from "../decode";
import type { ExitDetails, ExitReason, NarrativeStep } from "../exits";
import { memoryFault } from "../memory_exits";
import { PRIV, type Vm } from "../vm";

/**
 * Trap-and-emulate: what the VMM does with each trap the deprivileged guest takes into host M-mode.
 * `handleExit` returns how many guest-visible steps the exit used (1 when the VMM retired an
 * instruction or delivered a trap, 0 for a hidden fault), which keeps `Vm.run`'s budget exact.
 *
 * RISC-V is classically virtualizable: every sensitive instruction traps in U-mode (CSR accesses
 * beyond the user counters, which the host's mcounteren = 0 also traps, mret/sret/wfi/sfence.vma),
 * so nothing escapes the VMM — unless the non-standard `nonTrappingSensitive` option says so.
 */
const MSTATUS_TVM = 1 << 20;
const MSTATUS_TW = 1 << 21;
const MSTATUS_TSR = 1 << 22;
const MTIE = 1 << 7;

export function handleExit(vm: Vm, cause: bigint, tval: bigint): number {
  switch (Number(cause)) {
    case 2:
      return illegalInstruction(vm, Number(tval & 0xffffffffn));
    case 8:
      return ecall(vm);
    case 12: case 13: case 15:
      return memoryFault(vm, Number(cause), tval);
    default:
      // ebreak, access faults, misaligned atomics: the guest's own doing.
      return reflect(vm, "guest-exception", cause, tval, undefined, {}, "the guest's own exception");
  }
}

function illegalInstruction(vm: Vm, raw: number): number {
  const d = decodeBits(raw);
  if (raw === 0) return reflect(vm, "guest-exception", 2n, 0n, d, {}, "an illegal instruction");
  if (emulateNonTrapping(vm, d)) return 1;
  switch (d.mnemonic) {
    case "csrrw": case "csrrs": case "csrrc": case "csrrwi": case "csrrsi": case "csrrci":
      return emulateCsr(vm, d);
    case "mret": case "sret":
      return xret(vm, d);
    case "wfi":
      return wfi(vm, d);
    case "sfence.vma":
      return sfence(vm, d);
  }
  return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, "an instruction that is illegal for the guest too");
}

/**
 * Delivers a trap to the guest's own handler, as its hardware would (mtvec, or stvec when the
 * virtual medeleg/mideleg delegate it), and records the exit.
 */
export function reflect(
  vm: Vm, reason: ExitReason, cause: bigint, tval: bigint, d: DecodedInstruction | undefined, details: ExitDetails, why: string,
  steps: NarrativeStep[] = [],
): number {
  const v = vm.vcpu.state;
  const pc = v.pc, priv = v.prv;
  const mstatusBefore = BigInt(v.mstatus);
  enterTrap(v, cause, tval);
  v.sliceTraps = 0;
  const to = v.prv;
  vm.record(reason, {
    instruction: d && insn(d),
    details: { ...details, cause, causeName: causeName(cause), tval, toPriv: to, toPc: v.pc },
    action: `${why}: reflected ${causeName(cause)} to the guest's ${to === 3 ? "mtvec" : "stvec"} handler (${PRIV[priv]} → ${PRIV[to]})`,
    steps: [
      ...steps,
      { phase: "check", text: `${causeName(cause)} from ${PRIV[priv]}-mode goes to ${PRIV[to]}-mode (virtual medeleg 0x${v.medeleg.toString(16)})` },
      { phase: "inject", text: `${to === 3 ? "mepc" : "sepc"} ← pc, ${to === 3 ? "mcause" : "scause"} ← ${cause}, ${to === 3 ? "mtval" : "stval"} ← 0x${tval.toString(16)}`, after: pc },
      { phase: "vcpu", text: "mstatus: xPIE ← xIE, xIE ← 0, xPP ← old mode", before: mstatusBefore, after: BigInt(v.mstatus) },
      { phase: "resume", text: `resume at the handler in ${PRIV[to]}-mode`, after: v.pc },
    ],
  }, { pc, priv });
  return 1;
}

function ecall(vm: Vm): number {
  const v = vm.vcpu.state;
  const cause = BigInt([8, 9, 9, 11][v.prv]);
  const d = decodeBits(0x73);
  return reflect(vm, "ecall", cause, 0n, d, {}, `ecall from virtual ${PRIV[v.prv]}-mode`);
}

function xret(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  const isM = d.mnemonic === "mret";
  if (isM ? v.prv !== 3 : v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TSR) !== 0)) {
    return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, `${d.mnemonic} in virtual ${PRIV[v.prv]}-mode is illegal`);
  }
  const pc = v.pc, priv = v.prv;
  const before = BigInt(v.mstatus);
  vm.retire(0);
  if (isM) mret(v);
  else sret(v);
  const deliverable = pendingInterrupt(v) >= 0;
  vm.record("xret", {
    instruction: insn(d),
    details: { toPriv: v.prv, toPc: v.pc },
    action: `emulated ${d.mnemonic}: virtual ${PRIV[priv]} → ${PRIV[v.prv]} at 0x${v.pc.toString(16)}${deliverable ? "; a pending interrupt is now enabled and is injected next" : ""}`,
    steps: [
      { phase: "decode", text: `${d.mnemonic} (0x${d.bits.toString(16)}) trapped: illegal in host U-mode` },
      { phase: "check", text: isM ? "virtual privilege is M" : "virtual privilege is S and mstatus.TSR = 0" },
      { phase: "vcpu", text: "mstatus: xIE ← xPIE, xPIE ← 1, xPP ← least mode", before, after: BigInt(v.mstatus) },
      { phase: "vcpu", text: `virtual privilege ${PRIV[priv]} → ${PRIV[v.prv]}` },
      { phase: "resume", text: `pc ← ${isM ? "mepc" : "sepc"}`, before: pc, after: v.pc },
    ],
  }, { pc, priv });
  return 1;
}

function wfi(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  if (v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TW) !== 0)) {
    return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, `wfi in virtual ${PRIV[v.prv]}-mode is illegal`);
  }
  const pc = v.pc, priv = v.prv;
  vm.retire(d.length);
  v.waiting = true;
  const clint = vm.devices.clint;
  const what = wakeable(v)
    ? "an enabled interrupt is already pending: the vCPU goes on at once"
    : (v.mie & MTIE) !== 0 && clint.canFire()
      ? `nothing else can wake it: virtual time warps from mtime 0x${clint.mtime().toString(16)} to mtimecmp 0x${clint.mtimecmp.toString(16)}`
      : "nothing can wake it but device input: the vCPU idles";
  vm.record("wfi", {
    instruction: insn(d),
    details: { device: "clint", value: clint.mtimecmp },
    action: `emulated wfi: ${what}`,
    steps: [
      { phase: "decode", text: "wfi trapped: illegal in host U-mode" },
      { phase: "check", text: `virtual mip 0x${(v.mipSw | v.mipHw).toString(16)} & mie 0x${v.mie.toString(16)}` },
      { phase: "vcpu", text: what },
      { phase: "resume", text: "pc ← pc + 4", before: pc, after: v.pc },
    ],
  }, { pc, priv });
  return 1;
}

function sfence(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  if (v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TVM) !== 0)) {
    return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, `sfence.vma in virtual ${PRIV[v.prv]}-mode is illegal`);
  }
  const hart = vm.board.hart;
  const pc = v.pc, priv = v.prv;
  const vaddr = d.rs1 === 0 ? undefined : hart.getReg(d.rs1);
  const asid = d.rs2 === 0 ? undefined : Number(hart.getReg(d.rs2) & 0xffffn);
  const vpn = vaddr === undefined ? -1 : Number((vaddr >> 12n) & 0x7ffffffn);
  const staleBefore = vm.shadow.stats().stale;
  const n = vm.shadow.sfence(vpn, asid ?? -1);
  vm.retire(d.length);
  const scope = `${vaddr === undefined ? "every address" : `address 0x${vaddr.toString(16)}`}, ${asid === undefined ? "every ASID" : `ASID ${asid}`}`;
  vm.record("sfence", {
    instruction: insn(d),
    details: { vaddr, asid, invalidated: n },
    action: `emulated sfence.vma (${scope}): dropped ${n} stale shadow entr${n === 1 ? "y" : "ies"}`,
    steps: [
      { phase: "decode", text: `sfence.vma ${d.rs1 === 0 ? "zero" : `x${d.rs1}`}, ${d.rs2 === 0 ? "zero" : `x${d.rs2}`}: ${scope}` },
      { phase: "check", text: "virtual privilege is M, or S with mstatus.TVM = 0" },
      { phase: "shadow", text: "drop the shadow entries the guest's page-table writes made stale, as selected", before: BigInt(staleBefore), after: BigInt(vm.shadow.stats().stale) },
      { phase: "resume", text: "pc ← pc + 4", before: pc, after: v.pc },
    ],
  }, { pc, priv });
  return 1;
}
