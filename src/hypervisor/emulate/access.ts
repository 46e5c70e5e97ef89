import { Exc } from "../../isa/causes";
import { joinHalves, signedNumber } from "../../isa/u64";
import type { MmioDevice } from "../../machine/device";
import { NAN_BOX } from "../../machine/hart/fpu/execute";
import { markFpDirty } from "../../machine/hart/fpu/status";
import type { Hart } from "../../machine/hart/hart";
import { PmpAccess } from "../../machine/hart/pmp";
import { PRIV_NAMES } from "../../isa/privilege";
import { decodeBits, insn, type DecodedInstruction } from "../decode";
import { pcAt, pcValue, type ExitDetails, type ExitNarrative, type ExitReason, type NarrativeStep } from "../exits";
import { Acc, guestDataPriv, type GuestTranslated } from "../mm/guest_walk";
import type { Vm } from "../vm";
import { accessParts, effectiveVa, loadParts, storeParts, type AccessPart } from "./access_parts";
import { reflect } from "./inject";

/**
 * Load, store and AMO emulation: the VMM performs, on the guest's behalf, an access the hardware
 * could not let through (a device register, a write-protected guest page table or page of translated
 * code, a page the guest's PMP decides only in part, an MPRV access), against the guest-physical bus, with the checks the
 * guest's own hardware makes (A/D in its leaf, its PMP) in the same order.
 */
const ACCESS_FAULT = [5, 7, 1];
const PMP_OF = [PmpAccess.R, PmpAccess.W, PmpAccess.X];

/**
 * A device's own account of an access the VMM performed on it (the split model's notification: what
 * the backend did with the batch). Called after the access, before the exit is recorded, so that it
 * can fill the details filters test; its narrative replaces the register access's.
 */
export type DeviceAccount = (out: ExitDetails) => () => ExitNarrative;

/**
 * Emulates the load/store/AMO at the guest's pc against the guest-physical bus (RAM or a device).
 * `t` is the guest's translation of `tval` when the VMM walked its table (it sets A/D there).
 */
export function emulateAccess(vm: Vm, reason: ExitReason, tval: bigint, gpaIn: number, details: ExitDetails, t?: GuestTranslated, account?: DeviceAccount): number {
  const v = vm.vcpu.state;
  const hart = vm.board.hart;
  const raw = vm.trappedInstruction();
  const d: DecodedInstruction | undefined = raw === undefined ? undefined : decodeBits(raw);
  const a = d?.access;
  const acc = details.access === "write" ? Acc.W : Acc.R;
  if (!d || !a) return reflect(vm, "guest-exception", BigInt(ACCESS_FAULT[acc]), tval, d, details, () => "an access the VMM cannot decode");
  const name = d.mnemonic;
  const pmpAccess = a.kind === "amo" ? PmpAccess.R | PmpAccess.W : PMP_OF[acc];
  const dataPriv = guestDataPriv(v, acc);
  // tval is where the hardware stopped, perhaps the second page's part: the access starts at rs1 + imm.
  const va = a.kind === "load" || a.kind === "store" ? effectiveVa(hart.getReg(d.rs1), d.imm) : signedNumber(tval);
  const split = accessParts(vm, va, a.size, acc, { va: signedNumber(tval), gpa: gpaIn, t }, (gpa, size) => v.pmp.check(gpa, size, pmpAccess, dataPriv));
  if (!split.ok) return reflect(vm, "guest-exception", BigInt(split.cause), BigInt.asUintN(64, BigInt(split.va)), d, details, () => split.why);
  const parts = split.parts;
  const gpa = parts[0].gpa;
  const bus = vm.devices.bus;
  const devPart = parts.find((p) => deviceOf(vm, p));
  const dev = devPart && deviceOf(vm, devPart);
  const pc = pcAt(v);
  const pteGpa = gpa - (gpa % 8);
  const before = reason === "guest-pt-write" ? pteNow(vm, pteGpa) : undefined;
  let loaded: bigint | undefined;
  let stored: bigint | undefined;
  if (acc === Acc.R || a.kind === "amo") {
    const r = loadParts(bus, parts);
    if ("failedVa" in r) return reflect(vm, "guest-exception", BigInt(Exc.loadAccess), BigInt.asUintN(64, BigInt(r.failedVa)), d, details, () => "nothing decodes that address");
    loaded = r.value;
  }
  // An SC succeeds, as on the hart (atomics.ts), only if it held its reservation and the reserved
  // bytes still hold the value LR read.
  const scFails = a.kind === "sc" && !(hart.scHeldReservation && bus.load(gpa, a.size) === reservedValue(hart, a.size));
  if (a.kind === "amo") stored = amo(name, loaded!, hart.getReg(d.rs2), a.size);
  else if (acc === Acc.W && !scFails) stored = a.fp ? BigInt.asUintN(a.size * 8, hart.f[d.rs2]) : hart.getReg(d.rs2);
  if (stored !== undefined) {
    const failedVa = storeParts(vm, parts, stored);
    if (failedVa !== undefined) return reflect(vm, "guest-exception", BigInt(Exc.storeAccess), BigInt.asUintN(64, BigInt(failedVa)), d, details, () => "nothing decodes that address");
  }
  if (loaded !== undefined && a.fp) {
    // As the hart's own flw/fld: a single is NaN-boxed, and the guest's FP state is now Dirty.
    hart.f[d.rd] = a.size === 4 ? NAN_BOX | loaded : loaded;
    markFpDirty(v);
  } else if (loaded !== undefined) {
    const value = a.signed ? BigInt.asIntN(a.size * 8, loaded) : loaded;
    hart.setReg(d.rd, BigInt.asUintN(64, value));
    // An LR the VMM performs reserves, as the hart's own would: the guest's SC may run on the hart.
    if (a.kind === "lr") reserve(hart, signedNumber(tval), a.size, value);
  } else if (a.kind === "sc") {
    hart.setReg(d.rd, scFails ? 1n : 0n);
  }
  // Any store the VMM performs into a guest page-table page stales the shadow entries derived from it.
  let invalidated: number | undefined;
  for (const p of stored === undefined ? [] : parts) {
    if (!deviceOf(vm, p) && vm.shadow.isPageTable(Math.floor(p.gpa / 4096))) invalidated = (invalidated ?? 0) + vm.shadow.guestPteWritten(p.gpa, p.size);
  }
  const after = reason === "guest-pt-write" ? pteNow(vm, pteGpa) : undefined;
  vm.retire(d.length);
  const out = details;
  out.width = a.size;
  out.value = stored ?? loaded;
  if (invalidated !== undefined) out.invalidated = invalidated;
  const reg = dev && describeDevice(out, dev, devPart.gpa, stored !== undefined);
  const told = dev && account?.(out);
  const priv = v.prv;
  vm.record(reason, insn(d), out, () => {
    const value = stored ?? loaded ?? 0n;
    const steps: NarrativeStep[] = [{ phase: "decode", text: `${name}: ${a.size}-byte ${a.kind === "amo" ? "atomic" : acc === Acc.W ? "store" : "load"} at GVA 0x${tval.toString(16)} → GPA 0x${gpa.toString(16)}` }];
    let action: string;
    const n = invalidated ?? 0;
    const staled = `${n} shadow entr${n === 1 ? "y" : "ies"}`;
    if (told) {
      const own = told();
      steps.push(...own.steps);
      action = own.action;
    } else if (dev) {
      steps.push({ phase: "device", text: `${dev.name}.${reg} ${stored !== undefined ? "←" : "→"} 0x${value.toString(16)}`, after: stored ?? loaded });
      action = `emulated ${name} ${stored !== undefined ? "to" : "from"} ${dev.name} ${reg} (0x${value.toString(16)})`;
    } else if (reason === "guest-pt-write") {
      steps.push({ phase: "vcpu", text: `guest PTE at GPA 0x${pteGpa.toString(16)} written by the VMM on the guest's behalf`, before, after });
      steps.push({ phase: "shadow", text: `${staled} derived from it marked stale; they go at the guest's next matching sfence.vma, as a TLB entry would` });
      action = `emulated the guest's store to its page table at GPA 0x${gpa.toString(16)}; ${staled} marked stale`;
    } else if (reason === "bt-invalidate") {
      const blocks = out.count ?? 0;
      steps.push({ phase: "shadow", text: blocks === 0
        ? "the page holds translated code, but no block covers these bytes: nothing to invalidate (the page stays write-protected)"
        : `${blocks} translated block${blocks === 1 ? "" : "s"} covering these bytes invalidated (at guest ${out.blocks}), and the chains into them undone` });
      action = `emulated ${name} to GPA 0x${gpa.toString(16)}, a page holding translated code; ${blocks} block${blocks === 1 ? "" : "s"} invalidated`;
    } else if (reason === "mprv-access") {
      steps.push({ phase: "check", text: `mstatus.MPRV: a virtual M-mode ${acc === Acc.W ? "store" : "load"} translated and checked (guest table, PMP) as ${PRIV_NAMES[dataPriv]}-mode` });
      action = `emulated ${name} at GPA 0x${gpa.toString(16)} as MPRV says (the MPRV shadow root maps fetches only)`;
    } else {
      steps.push({ phase: "check", text: "the guest's PMP covers only part of this page: the VMM checked this access against the virtual PMP, and the page is not shadowed" });
      action = `emulated ${name} at GPA 0x${gpa.toString(16)} (PMP covers only part of the page)`;
    }
    steps.push({ phase: "resume", text: `pc ← pc + ${d.length}`, before: pcValue(pc), after: BigInt.asUintN(64, pcValue(pc) + BigInt(d.length)) });
    return { action, steps };
  }, pc, priv);
  return 1;
}

/**
 * The device a part of an access reaches, if any. The bus answers guest RAM before its devices, so a
 * part in RAM reaches none, and needs no search of every device (most emulated accesses are stores
 * to a guest page table).
 */
function deviceOf(vm: Vm, p: AccessPart): MmioDevice | undefined {
  return vm.p2m.isRam(p.gpa, p.size) ? undefined : vm.devices.bus.deviceAt(p.gpa, p.size);
}

/**
 * The guest PTE at `gpa` for the narrative, as the debugger reads it (Vm.readPte): from host RAM where
 * its page has a frame, without the debugger's copy of the bytes; else zeros, or the swap area's copy.
 */
function pteNow(vm: Vm, gpa: number): bigint | undefined {
  const hpa = vm.p2m.peekHpa(gpa, 8);
  const ram = vm.board.ram;
  return hpa >= 0 ? ram.view.getBigUint64(hpa - ram.base, true) : vm.readPte(gpa);
}

/** The value the hart's reservation holds, as a `size`-byte unsigned value. */
function reservedValue(hart: Hart, size: number): bigint {
  return size === 4 ? BigInt(hart.resLo >>> 0) : joinHalves(hart.resLo, hart.resHi);
}

function reserve(hart: Hart, va: number, size: number, value: bigint): void {
  hart.resAddr = va;
  hart.resSize = size;
  hart.resLo = Number(BigInt.asIntN(32, value));
  hart.resHi = Number(BigInt.asIntN(32, value >> 32n));
}

/** Names the device register an MMIO access reached in the exit's details; returns the register. */
function describeDevice(out: ExitDetails, dev: MmioDevice, gpa: number, write: boolean): string {
  out.device = dev.name;
  out.register = dev.registerName(gpa - dev.base, write);
  out.offset = gpa - dev.base;
  return out.register;
}

function amo(name: string, old: bigint, src: bigint, size: number): bigint {
  const n = size * 8;
  const s = (x: bigint) => BigInt.asIntN(n, x);
  const u = (x: bigint) => BigInt.asUintN(n, x);
  switch (name.slice(3, name.length - 2)) {
    case "swap": return src;
    case "add": return old + src;
    case "xor": return old ^ src;
    case "and": return old & src;
    case "or": return old | src;
    case "min": return s(old) < s(src) ? old : src;
    case "max": return s(old) > s(src) ? old : src;
    case "minu": return u(old) < u(src) ? old : src;
    default: return u(old) > u(src) ? old : src;
  }
}

