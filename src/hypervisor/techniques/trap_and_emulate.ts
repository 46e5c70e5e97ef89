import { causeName } from "../../isa/causes";
import { low32 } from "../../isa/u64";
import { mret, sret, enterTrap, pendingInterrupt, wakeable } from "../../machine/hart/trap";
import { emulateCsr, emulateNonTrapping } from "../csr_emulation";
import { decodeBits, insn, type DecodedInstruction } from "../decode";
import type { ExitDetails, ExitReason, NarrativeStep } from "../exits";
import { memoryFault } from "../memory_exits";
import { sbiCall } from "../sbi";
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

export function handleExit(vm: Vm, cause: bigint, tval: bigint, via?: ExitReason): number {
  switch (Number(cause)) {
    case 2:
      return illegalInstruction(vm, low32(tval), via);
    case 8:
      return ecall(vm);
    case 12: case 13: case 15:
      return memoryFault(vm, Number(cause), tval);
    default:
      // ebreak, access faults, misaligned atomics: the guest's own doing.
      return reflect(vm, "guest-exception", cause, tval, undefined, {}, () => "the guest's own exception");
  }
}

/** `via` names the exit a CSR emulation records when it came some other way than an illegal instruction. */
function illegalInstruction(vm: Vm, raw: number, via?: ExitReason): number {
  const d = decodeBits(raw);
  if (raw === 0) return reflect(vm, "guest-exception", 2n, 0n, d, {}, () => "an illegal instruction");
  if (emulateNonTrapping(vm, d)) return 1;
  switch (d.mnemonic) {
    case "csrrw": case "csrrs": case "csrrc": case "csrrwi": case "csrrsi": case "csrrci":
      return emulateCsr(vm, d, via);
    case "mret": case "sret":
      return xret(vm, d);
    case "wfi":
      return wfi(vm, d);
    case "sfence.vma":
      return sfence(vm, d);
  }
  return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, () => "an instruction that is illegal for the guest too");
}

/**
 * Delivers a trap to the guest's own handler, as its hardware would (mtvec, or stvec when the
 * virtual medeleg/mideleg delegate it), and records the exit with `details` (which it completes:
 * callers pass a fresh object). `why` and `steps` narrate it (lazily).
 */
export function reflect(
  vm: Vm, reason: ExitReason, cause: bigint, tval: bigint, d: DecodedInstruction | undefined, details: ExitDetails, why: () => string,
  steps?: () => NarrativeStep[],
): number {
  const v = vm.vcpu.state;
  const pc = v.pc, priv = v.prv;
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
    action: `${why()}: reflected ${name} to the guest's ${to === 3 ? "mtvec" : "stvec"} handler (${PRIV[priv]} → ${PRIV[to]})`,
    steps: [
      ...(steps?.() ?? []),
      { phase: "check", text: `${name} from ${PRIV[priv]}-mode goes to ${PRIV[to]}-mode (virtual medeleg 0x${medeleg.toString(16)})` },
      { phase: "inject", text: `${to === 3 ? "mepc" : "sepc"} ← pc, ${to === 3 ? "mcause" : "scause"} ← ${cause}, ${to === 3 ? "mtval" : "stval"} ← 0x${tval.toString(16)}`, after: pc },
      { phase: "vcpu", text: "mstatus: xPIE ← xIE, xIE ← 0, xPP ← old mode", before: BigInt(mstatusBefore), after: BigInt(mstatusAfter) },
      { phase: "resume", text: `resume at the handler in ${PRIV[to]}-mode`, after: toPc },
    ],
  }), pc, priv);
  return 1;
}

const ECALL = decodeBits(0x73);

function ecall(vm: Vm): number {
  const v = vm.vcpu.state;
  const priv = v.prv;
  if (priv === 1 && vm.boot === "supervisor") return sbi(vm);
  return reflect(vm, "ecall", BigInt([8, 9, 9, 11][priv]), 0n, ECALL, {}, () => `ecall from virtual ${PRIV[priv]}-mode`);
}

function illegal(vm: Vm, d: DecodedInstruction): number {
  const priv = vm.vcpu.state.prv;
  return reflect(vm, "guest-exception", 2n, BigInt(d.bits), d, {}, () => `${d.mnemonic} in virtual ${PRIV[priv]}-mode is illegal`);
}

function xret(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  const isM = d.mnemonic === "mret";
  if (isM ? v.prv !== 3 : v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TSR) !== 0)) return illegal(vm, d);
  const pc = v.pc, priv = v.prv, how = vm.trappedHow;
  const before = v.mstatus;
  vm.retire(0);
  if (isM) mret(v);
  else sret(v);
  const deliverable = pendingInterrupt(v) >= 0;
  const to = v.prv, toPc = v.pc, after = v.mstatus;
  vm.record("xret", insn(d), { toPriv: to, toPc }, () => ({
    action: `emulated ${d.mnemonic}: virtual ${PRIV[priv]} → ${PRIV[to]} at 0x${toPc.toString(16)}${deliverable ? "; a pending interrupt is now enabled and is injected next" : ""}`,
    steps: [
      { phase: "decode", text: `${d.mnemonic} (0x${d.bits.toString(16)}): ${how}` },
      { phase: "check", text: isM ? "virtual privilege is M" : "virtual privilege is S and mstatus.TSR = 0" },
      { phase: "vcpu", text: "mstatus: xIE ← xPIE, xPIE ← 1, xPP ← least mode", before: BigInt(before), after: BigInt(after) },
      { phase: "vcpu", text: `virtual privilege ${PRIV[priv]} → ${PRIV[to]}` },
      { phase: "resume", text: `pc ← ${isM ? "mepc" : "sepc"}`, before: pc, after: toPc },
    ],
  }), pc, priv);
  return 1;
}

function wfi(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  if (v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TW) !== 0)) return illegal(vm, d);
  const pc = v.pc, priv = v.prv;
  vm.retire(d.length);
  v.waiting = true;
  const clint = vm.devices.clint;
  const mip = v.mipSw | v.mipHw, mie = v.mie, toPc = v.pc, mtimecmp = clint.mtimecmp;
  const pending = wakeable(v);
  const warpFrom = !pending && (v.mie & vm.timerBit) !== 0 && clint.canFire() ? clint.mtime() : undefined;
  const how = vm.trappedHow;
  vm.record("wfi", insn(d), { device: "clint", value: mtimecmp }, () => {
    const what = pending
      ? "an enabled interrupt is already pending: the vCPU goes on at once"
      : warpFrom !== undefined
        ? `nothing else can wake it: virtual time warps from mtime 0x${warpFrom.toString(16)} to mtimecmp 0x${mtimecmp.toString(16)}`
        : "nothing can wake it but device input: the vCPU idles";
    return {
    action: `emulated wfi: ${what}`,
    steps: [
      { phase: "decode", text: `wfi: ${how}` },
      { phase: "check", text: `virtual mip 0x${mip.toString(16)} & mie 0x${mie.toString(16)}` },
      { phase: "vcpu", text: what },
        { phase: "resume", text: "pc ← pc + 4", before: pc, after: toPc },
      ],
    };
  }, pc, priv);
  return 1;
}

function sfence(vm: Vm, d: DecodedInstruction): number {
  const v = vm.vcpu.state;
  if (v.prv === 0 || (v.prv === 1 && (v.mstatus & MSTATUS_TVM) !== 0)) return illegal(vm, d);
  const hart = vm.board.hart, x = hart.x;
  const pc = v.pc, priv = v.prv;
  const vaddr = d.rs1 === 0 ? undefined : hart.getReg(d.rs1);
  const asid = d.rs2 === 0 ? undefined : x[2 * d.rs2] & 0xffff;
  // Bits 38:12 of the address, from its halves.
  const vpn = d.rs1 === 0 ? -1 : ((x[2 * d.rs1] >>> 12) | ((x[2 * d.rs1 + 1] & 0x7f) << 20)) >>> 0;
  const staleBefore = vm.shadow.staleCount;
  const n = vm.shadow.sfence(vpn, asid ?? -1);
  const staleAfter = vm.shadow.staleCount;
  vm.retire(d.length);
  vm.record("sfence", insn(d), { vaddr, asid, invalidated: n }, () => {
    const scope = `${vaddr === undefined ? "every address" : `address 0x${vaddr.toString(16)}`}, ${asid === undefined ? "every ASID" : `ASID ${asid}`}`;
    return {
      action: `emulated sfence.vma (${scope}): dropped ${n} stale shadow entr${n === 1 ? "y" : "ies"}`,
      steps: [
        { phase: "decode", text: `sfence.vma ${d.rs1 === 0 ? "zero" : `x${d.rs1}`}, ${d.rs2 === 0 ? "zero" : `x${d.rs2}`}: ${scope}` },
        { phase: "check", text: "virtual privilege is M, or S with mstatus.TVM = 0" },
        { phase: "shadow", text: "drop the shadow entries the guest's page-table writes made stale, as selected", before: BigInt(staleBefore), after: BigInt(staleAfter) },
        { phase: "resume", text: "pc ← pc + 4", before: pc, after: BigInt.asUintN(64, pc + BigInt(d.length)) },
      ],
    };
  }, pc, priv);
  return 1;
}

/** An SBI call from a guest that booted in S-mode: the VMM is its firmware. */
function sbi(vm: Vm): number {
  const hart = vm.board.hart;
  const v = vm.vcpu.state;
  const pc = v.pc, priv = v.prv;
  const reg = (i: number) => hart.getReg(i);
  const r = sbiCall({ eid: reg(17), fid: reg(16), args: [10, 11, 12, 13, 14, 15].map(reg) }, vm.sbiPlatform);
  hart.setReg(10, r.a0);
  if (r.a1 !== undefined) hart.setReg(11, r.a1);
  vm.retire(4);
  vm.record("sbi-call", insn(ECALL), { sbi: r.call }, () => ({
    action: `SBI ${r.call}${r.halted ? ": the guest is shut down" : ` → a0 = 0x${r.a0.toString(16)}${r.a1 === undefined ? "" : `, a1 = 0x${r.a1.toString(16)}`}`}`,
    steps: [
      { phase: "decode", text: `ecall from virtual ${PRIV[priv]}-mode: a7 (extension) 0x${reg(17).toString(16)}, a6 (function) ${reg(16)}` },
      { phase: "device", text: r.call },
      { phase: "vcpu", text: "a0 ← error, a1 ← value", after: r.a0 },
      { phase: "resume", text: "pc ← pc + 4", before: pc, after: v.pc },
    ],
  }), pc, priv);
  return 1;
}
