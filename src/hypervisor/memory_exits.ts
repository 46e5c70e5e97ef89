import { permitted } from "../machine/hart/mmu";
import { PmpAccess } from "../machine/hart/pmp";
import { accessOf, decodeBits, insn, type DecodedInstruction } from "./decode";
import { registerName } from "./devices/register_names";
import type { ExitDetails, NarrativeStep } from "./exits";
import { Acc, guestDataPriv, type GuestTranslation } from "./guest_walk";
import { reflect } from "./techniques/trap_and_emulate";
import type { Vm } from "./vm";

/**
 * Host page faults: the guest touched a guest-virtual page its shadow table does not map (as asked).
 * The VMM walks the guest's own table and decides:
 *  - the guest's table forbids it → a true guest page fault, reflected;
 *  - guest RAM, allowed → a hidden page fault: install the shadow entry, emulate A/D, retry;
 *  - a store into a guest page-table page → emulate the store, mark affected shadow entries stale;
 *  - an emulated device → decode the load/store, run the device model, step over it;
 *  - nothing there → the access fault the guest would get natively.
 */
const ACC_OF_CAUSE: Record<number, Acc> = { 12: Acc.X, 13: Acc.R, 15: Acc.W };
const ACCESS_NAMES = ["read", "write", "execute"] as const;
const ACCESS_FAULT = [5, 7, 1];
const PMP_OF = [PmpAccess.R, PmpAccess.W, PmpAccess.X];
const D = 0x80;

export function memoryFault(vm: Vm, cause: number, tval: bigint): number {
  const acc = ACC_OF_CAUSE[cause];
  const v = vm.vcpu.state;
  const va = Number(BigInt.asIntN(64, tval));
  const t = vm.translate(va, acc, false);
  const details: ExitDetails = { gva: tval, access: ACCESS_NAMES[acc] };
  if (!t.ok) {
    return reflect(vm, "guest-exception", BigInt(t.cause), tval, undefined, details,
      t.cause === cause ? "a true guest page fault (the guest's own table forbids it)"
        : t.steps.length === 0 ? "nothing is at that guest-physical address" : "the guest's PMP forbids the page-table walk",
      walkSteps(t));
  }
  const gpa = t.gpa;
  details.gpa = BigInt(gpa);
  const hpa = vm.p2m.toHpa(gpa);
  if (hpa >= 0) {
    const priv = acc === Acc.X ? v.prv : guestDataPriv(v, acc);
    if (!v.pmp.check(gpa, 1, PMP_OF[acc], priv)) {
      return reflect(vm, "guest-exception", BigInt(ACCESS_FAULT[acc]), tval, undefined, details, "the guest's PMP forbids the access");
    }
    const page = Math.floor(gpa / 4096);
    if (acc === Acc.W && vm.shadow.isPageTable(page)) return emulateAccess(vm, "guest-pt-write", tval, gpa, details);
    const wholePage = v.pmp.check(page * 4096, 4096, PMP_OF[acc], priv);
    if (!wholePage && acc !== Acc.X) return emulateAccess(vm, "hidden-page-fault", tval, gpa, details);
    return hiddenFault(vm, va, acc, priv, details);
  }
  const dev = vm.devices.deviceAt(gpa, 1);
  if (dev && acc !== Acc.X) return emulateAccess(vm, acc === Acc.W ? "mmio-write" : "mmio-read", tval, gpa, details);
  return reflect(vm, "guest-exception", BigInt(ACCESS_FAULT[acc]), tval, undefined, details,
    dev ? "a fetch from a device" : "nothing is at that guest-physical address");
}

function walkSteps(t: GuestTranslation): NarrativeStep[] {
  return t.steps.map((s) => ({ phase: "check" as const, text: `guest PTE level ${s.level} at GPA 0x${s.pteGpa.toString(16)}`, after: s.pte }));
}

function hiddenFault(vm: Vm, va: number, acc: Acc, priv: number, details: ExitDetails): number {
  const v = vm.vcpu.state;
  const root = vm.currentRoot();
  const t = vm.translate(va, acc, true) as Extract<GuestTranslation, { ok: true }>;
  const gpaPage = Math.floor(t.gpa / 4096);
  const pageBase = gpaPage * 4096;
  const pmpOk = (a: Acc) => v.pmp.check(pageBase, 4096, PMP_OF[a], a === Acc.X ? v.prv : priv);
  let perms: { r: boolean; w: boolean; x: boolean };
  let slots: number[] = [];
  let global = false;
  if (t.level < 0) {
    perms = { r: pmpOk(Acc.R), w: pmpOk(Acc.W), x: pmpOk(Acc.X) };
  } else {
    const f = t.flags;
    perms = {
      r: permitted(v, f, Acc.R, priv) && pmpOk(Acc.R),
      w: permitted(v, f, Acc.W, priv) && (f & D) !== 0 && pmpOk(Acc.W),
      x: permitted(v, f, Acc.X, v.prv) && pmpOk(Acc.X),
    };
    slots = t.steps.map((s) => s.pteGpa);
    global = (f & 0x20) !== 0;
  }
  const vpn = Math.floor(va / 4096) & 0x7ffffff;
  const hpaPage = Math.floor(vm.p2m.toHpa(t.gpa) / 4096);
  const e = vm.shadow.install(root, vpn, gpaPage, hpaPage, perms, slots, Math.max(t.level, 0), global);
  const pteAfter = vm.shadow.readPte(e.pteHpa);
  const flags = `${e.r ? "R" : "-"}${e.w ? "W" : "-"}${e.x ? "X" : "-"}U`;
  const protectedPt = perms.w && !e.w;
  vm.record("hidden-page-fault", {
    details: { ...details, hpa: BigInt(hpaPage * 4096 + (t.gpa & 4095)), shadowRoot: root.key },
    action: `installed shadow GVA 0x${(vpn * 4096).toString(16)} → HPA 0x${(hpaPage * 4096).toString(16)} [${flags}] in root ${root.key}` +
      `${protectedPt ? " (read-only: it is a guest page-table page)" : ""}; the guest retries, unaware`,
    steps: [
      { phase: "decode", text: `host ${ACCESS_NAMES[acc]} page fault at GVA 0x${va.toString(16)}: no shadow entry` },
      ...(t.level < 0
        ? [{ phase: "check" as const, text: "guest paging is off (Bare or virtual M-mode): GVA = GPA" }]
        : [...walkSteps(t), { phase: "check" as const, text: `guest leaf permits ${ACCESS_NAMES[acc]} in virtual mode ${priv}; A${acc === Acc.W ? "/D" : ""} set in the guest PTE` }]),
      { phase: "check", text: `p2m: GPA 0x${t.gpa.toString(16)} → HPA 0x${(hpaPage * 4096 + (t.gpa & 4095)).toString(16)}` },
      { phase: "shadow", text: `shadow PTE at HPA 0x${e.pteHpa.toString(16)} (root ${root.key}, host ASID ${root.hostAsid})`, before: 0n, after: pteAfter },
      { phase: "resume", text: "retry the same instruction (not retired, invisible to the guest)" },
    ],
  });
  return 0;
}

/** Emulates the load/store/AMO at the guest's pc against the guest-physical bus (RAM or a device). */
function emulateAccess(vm: Vm, reason: "guest-pt-write" | "mmio-read" | "mmio-write" | "hidden-page-fault", tval: bigint, gpa: number, details: ExitDetails): number {
  const v = vm.vcpu.state;
  const hart = vm.board.hart;
  const raw = vm.fetchGuestInstruction(v.pc);
  const d: DecodedInstruction | undefined = raw === undefined ? undefined : decodeBits(raw);
  const a = d && accessOf(d.mnemonic);
  const acc = details.access === "write" ? Acc.W : Acc.R;
  if (!d || !a) return reflect(vm, "guest-exception", BigInt(ACCESS_FAULT[acc]), tval, d, details, "an access the VMM cannot decode");
  const bus = vm.devices.bus;
  const dev = bus.deviceAt(gpa, a.size);
  const pc = v.pc;
  const steps: NarrativeStep[] = [{ phase: "decode", text: `${d.mnemonic}: ${a.size}-byte ${d.mnemonic.startsWith("amo") ? "atomic" : acc === Acc.W ? "store" : "load"} at GVA 0x${tval.toString(16)} → GPA 0x${gpa.toString(16)}` }];
  if (reason === "guest-pt-write") vm.translate(Number(BigInt.asIntN(64, tval)), Acc.W, true); // the store sets A/D in the PTE that maps the table
  const name = d.mnemonic;
  let loaded: bigint | undefined;
  let stored: bigint | undefined;
  const isAmo = name.startsWith("amo");
  const before = reason === "guest-pt-write" ? vm.readPte(gpa - (gpa % 8)) : undefined;
  if (acc === Acc.R || isAmo || name.startsWith("lr")) {
    loaded = bus.load(gpa, a.size);
    if (loaded === undefined) return reflect(vm, "guest-exception", 5n, tval, d, details, "nothing decodes that address");
  }
  if (name.startsWith("sc")) {
    stored = hart.getReg(d.rs2);
  } else if (isAmo) {
    stored = amo(name, loaded!, hart.getReg(d.rs2), a.size);
  } else if (acc === Acc.W) {
    stored = hart.getReg(d.rs2);
  }
  if (stored !== undefined) bus.store(gpa, a.size, BigInt.asUintN(a.size * 8, stored));
  if (loaded !== undefined) {
    const bits = BigInt(a.size * 8);
    const value = a.signed ? BigInt.asIntN(Number(bits), loaded) : loaded;
    hart.setReg(d.rd, BigInt.asUintN(64, value));
  } else if (name.startsWith("sc")) {
    hart.setReg(d.rd, 0n); // the VMM performed it: success
  }
  vm.retire(d.length);
  const out: ExitDetails = { ...details, width: a.size, value: stored ?? loaded };
  let action: string;
  if (dev) {
    const reg = registerName(dev.name, gpa - dev.base, stored !== undefined);
    out.device = dev.name;
    out.register = reg;
    out.offset = gpa - dev.base;
    steps.push({ phase: "device", text: `${dev.name}.${reg} ${stored !== undefined ? "←" : "→"} 0x${(stored ?? loaded ?? 0n).toString(16)}`, after: stored ?? loaded });
    action = `emulated ${name} ${stored !== undefined ? "to" : "from"} ${dev.name} ${reg} (0x${(stored ?? loaded ?? 0n).toString(16)})`;
  } else if (reason === "guest-pt-write") {
    const n = vm.shadow.guestPteWritten(gpa, a.size);
    const after = vm.readPte(gpa - (gpa % 8));
    out.invalidated = n;
    steps.push({ phase: "vcpu", text: `guest PTE at GPA 0x${(gpa - (gpa % 8)).toString(16)} written by the VMM on the guest's behalf`, before, after });
    steps.push({ phase: "shadow", text: `${n} shadow entr${n === 1 ? "y" : "ies"} derived from it marked stale; they go at the guest's next matching sfence.vma, as a TLB entry would` });
    action = `emulated the guest's store to its page table at GPA 0x${gpa.toString(16)}; ${n} shadow entr${n === 1 ? "y" : "ies"} marked stale`;
  } else {
    steps.push({ phase: "check", text: "the guest's PMP covers only part of this page: the access is emulated and the page is not shadowed" });
    action = `emulated ${name} at GPA 0x${gpa.toString(16)} (PMP covers only part of the page)`;
  }
  steps.push({ phase: "resume", text: `pc ← pc + ${d.length}`, before: pc, after: v.pc });
  vm.record(reason, { instruction: insn(d), details: out, action, steps }, { pc, priv: v.prv });
  return 1;
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

