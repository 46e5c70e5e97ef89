import { Exc } from "../../isa/causes";
import { MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW } from "../../isa/csr_bits";
import { PRIV_NAMES } from "../../isa/privilege";
import { mret, pendingInterrupt, sret, wakeable } from "../../machine/hart/trap";
import { decodeBits, insn, type DecodedInstruction } from "../decode";
import { pcAt, pcValue, type ExitReason } from "../exits";
import { sbiCall } from "../sbi";
import type { Vm } from "../vm";
import { emulateCsr, emulateNonTrapping } from "./csr";
import { reflect } from "./inject";

/**
 * Privileged-instruction emulation (KVM's vcpu_insn.c): what the VMM does with an instruction the
 * deprivileged guest may not execute itself — CSR accesses (csr.ts), mret/sret, wfi, sfence.vma and
 * ecall — applied to the virtual CPU with the machine's own rules, so that the guest sees exactly
 * what its hardware would do. Each returns the guest steps it used (one: it retired the instruction
 * or delivered a trap).
 */

/**
 * An instruction the hart refused to run for the guest (`raw`, its bits). `via` names the exit a CSR
 * emulation records when it came some other way than an illegal instruction.
 */
export function emulateInstruction(vm: Vm, raw: number, via?: ExitReason): number {
  const d = decodeBits(raw);
  if (raw === 0) return reflect(vm, "guest-exception", BigInt(Exc.illegalInstruction), 0n, d, {}, () => "an illegal instruction");
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
  return reflect(vm, "guest-exception", BigInt(Exc.illegalInstruction), BigInt(d.bits), d, {}, () => "an instruction that is illegal for the guest too");
}

const ECALL = decodeBits(0x73);

/** `ecall`: an SBI call when the VMM is the guest's firmware and it calls from S-mode, else the guest's own trap. */
export function emulateEcall(vm: Vm): number {
  const priv = vm.vcpu.state.prv;
  if (priv === 1 && vm.boot === "supervisor") return sbi(vm);
  return reflect(vm, "ecall", BigInt([8, 9, 9, 11][priv]), 0n, ECALL, {}, () => `ecall from virtual ${PRIV_NAMES[priv]}-mode`);
}

function illegal(vm: Vm, d: DecodedInstruction): number {
  const priv = vm.vcpu.state.prv;
  return reflect(vm, "guest-exception", BigInt(Exc.illegalInstruction), BigInt(d.bits), d, {}, () => `${d.mnemonic} in virtual ${PRIV_NAMES[priv]}-mode is illegal`);
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
    action: `emulated ${d.mnemonic}: virtual ${PRIV_NAMES[priv]} → ${PRIV_NAMES[to]} at 0x${toPc.toString(16)}${deliverable ? "; a pending interrupt is now enabled and is injected next" : ""}`,
    steps: [
      { phase: "decode", text: `${d.mnemonic} (0x${d.bits.toString(16)}): ${how}` },
      { phase: "check", text: isM ? "virtual privilege is M" : "virtual privilege is S and mstatus.TSR = 0" },
      { phase: "vcpu", text: "mstatus: xIE ← xPIE, xPIE ← 1, xPP ← least mode", before: BigInt(before), after: BigInt(after) },
      { phase: "vcpu", text: `virtual privilege ${PRIV_NAMES[priv]} → ${PRIV_NAMES[to]}` },
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
  const timer = vm.timer;
  const mip = v.mipSw | v.mipHw, mie = v.mie, toPc = v.pc, mtimecmp = timer.mtimecmp;
  const pending = wakeable(v);
  const others = vm.vcpus.length > 1;
  const warpFrom = !pending && !others && timer.canWake() ? timer.clint.mtime() : undefined;
  const how = vm.trappedHow;
  vm.record("wfi", insn(d), { device: "clint", value: mtimecmp }, () => {
    const what = pending
      ? "an enabled interrupt is already pending: the vCPU goes on at once"
      : warpFrom !== undefined
        ? `nothing else can wake it: virtual time warps from mtime 0x${warpFrom.toString(16)} to mtimecmp 0x${mtimecmp.toString(16)}`
        : others
          ? "the vCPU waits for an interrupt: the VMM runs its other vCPUs meanwhile, and warps virtual time to the first timer only when all of them wait"
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
  const pc = pcAt(v), priv = v.prv;
  const vaddr = d.rs1 === 0 ? undefined : hart.getReg(d.rs1);
  const asid = d.rs2 === 0 ? undefined : x[2 * d.rs2] & 0xffff;
  // Bits 38:12 of the address, from its halves.
  const vpn = d.rs1 === 0 ? -1 : ((x[2 * d.rs1] >>> 12) | ((x[2 * d.rs1 + 1] & 0x7f) << 20)) >>> 0;
  const staleBefore = vm.shadow.staleCount;
  const { invalidated: n, hardware } = vm.fenceGuest(vpn, asid ?? -1);
  const staleAfter = vm.shadow.staleCount;
  vm.retire(d.length);
  vm.record("sfence", insn(d), { vaddr, asid, invalidated: n }, () => {
    const scope = `${vaddr === undefined ? "every address" : `address 0x${vaddr.toString(16)}`}, ${asid === undefined ? "every ASID" : `ASID ${asid}`}`;
    return {
      action: `emulated sfence.vma (${scope}): dropped ${n} stale shadow entr${n === 1 ? "y" : "ies"}${hardware ? `; ${hardware}` : ""}`,
      steps: [
        { phase: "decode", text: `sfence.vma ${d.rs1 === 0 ? "zero" : `x${d.rs1}`}, ${d.rs2 === 0 ? "zero" : `x${d.rs2}`}: ${scope}` },
        { phase: "check", text: "virtual privilege is M, or S with mstatus.TVM = 0" },
        { phase: "shadow", text: "drop the shadow entries the guest's page-table writes made stale, as selected", before: BigInt(staleBefore), after: BigInt(staleAfter) },
        ...(hardware ? [{ phase: "shadow" as const, text: hardware }] : []),
        { phase: "resume", text: "pc ← pc + 4", before: pcValue(pc), after: BigInt.asUintN(64, pcValue(pc) + BigInt(d.length)) },
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
      { phase: "decode", text: `ecall from virtual ${PRIV_NAMES[priv]}-mode: a7 (extension) 0x${reg(17).toString(16)}, a6 (function) ${reg(16)}` },
      { phase: "device", text: r.call },
      { phase: "vcpu", text: "a0 ← error, a1 ← value", after: r.a0 },
      { phase: "resume", text: "pc ← pc + 4", before: pc, after: v.pc },
    ],
  }), pc, priv);
  return 1;
}
