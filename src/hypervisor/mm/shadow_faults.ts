import { Exc } from "../../isa/causes";
import { joinHalves, signedNumber } from "../../isa/u64";
import { permitted } from "../../machine/hart/mmu";
import { PmpAccess } from "../../machine/hart/pmp";
import { decodeBits } from "../decode";
import { emulateAccess } from "../emulate/access";
import type { RegisterImage } from "../io/register_image";
import { splitStore } from "../io/split_access";
import { reflect } from "../emulate/inject";
import type { ExitDetails, NarrativeStep } from "../exits";
import { swapInFault } from "./swap_faults";
import type { Vm } from "../vm";
import { Acc, guestDataPriv, markAccessed, type GuestTranslated } from "./guest_walk";
import { PTE_R, PTE_W, PTE_X } from "./shadow_paging";

/**
 * Host page faults: the guest touched a guest-virtual page its shadow table does not map (as asked).
 * The VMM walks the guest's own table and decides:
 *  - the guest's table forbids it → a true guest page fault, reflected;
 *  - guest RAM, allowed → a hidden page fault: install the shadow entry, emulate A/D, retry;
 *  - a store into a guest page-table page → emulate the store, mark affected shadow entries stale;
 *  - a page the guest's PMP decides only in part (an entry covers part of it, so the answer
 *    depends on the bytes touched) → never shadowed: the VMM checks the virtual PMP for this one
 *    access and emulates the load/store, or runs the fetched instruction alone on a one-shot
 *    execute-only entry ("pmp-access");
 *  - a load/store of virtual M-mode with mstatus.MPRV (MPP below M): the "bare M MPRV" shadow root
 *    maps fetches only, so the VMM translates and checks it as MPP and emulates it ("mprv-access");
 *  - a device passed through to the guest (deviceModel "passthrough") → a hidden fault: the shadow
 *    entry maps its registers (host page = guest page), and the guest's accesses reach it directly;
 *  - a store to a page shared copy-on-write (page sharing) → a private copy, then the retry ("cow-break");
 *  - a page the VMM swapped out (hypervisor swapping) → read back into a frame, then the retry
 *    ("host-swap-in"), whose next fault shadows it as usual;
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
  const va = signedNumber(tval);
  const t = vm.translate(va, acc, false);
  const details: ExitDetails = { gva: tval, access: ACCESS_NAMES[acc] };
  if (!t.ok) {
    return reflect(vm, "guest-exception", BigInt(t.cause), tval, undefined, details,
      () => t.cause === cause ? "a true guest page fault (the guest's own table forbids it)"
        : "the guest's page-table walk reads a PTE outside guest RAM, or one its PMP forbids",
      () => walkSteps(t));
  }
  const gpa = t.gpa;
  details.gpa = BigInt(gpa);
  const priv = acc === Acc.X ? v.prv : guestDataPriv(v, acc);
  if (vm.swap?.holds(gpa)) return swapInFault(vm, gpa, details);
  const hpa = vm.p2m.toHpa(gpa);
  if (hpa >= 0) {
    if (acc !== Acc.X && priv !== v.prv) return emulateAccess(vm, "mprv-access", tval, gpa, details, t);
    const page = Math.floor(gpa / 4096);
    if (acc === Acc.W && vm.shadow.isPageTable(page)) return emulateAccess(vm, "guest-pt-write", tval, gpa, details, t);
    if (acc === Acc.W && vm.p2m.isShared(gpa)) return cowBreak(vm, gpa, details);
    if (v.pmp.check(page * 4096, 4096, PMP_OF[acc], priv)) return hiddenFault(vm, va, acc, priv, details, t, Math.floor(hpa / 4096));
    if (acc !== Acc.X) return emulateAccess(vm, "pmp-access", tval, gpa, details, t);
    if (!v.pmp.check(gpa, 2, PmpAccess.X, priv)) {
      return reflect(vm, "guest-exception", BigInt(Exc.fetchAccess), tval, undefined, details, () => "the guest's PMP forbids the fetch");
    }
    return stepFetch(vm, va, details, t);
  }
  if (acc !== Acc.X && vm.passthrough && vm.passthrough.hpaOf(gpa) >= 0) return hiddenFault(vm, va, acc, priv, details, t, Math.floor(vm.hpaOf(gpa) / 4096));
  const dev = vm.devices.deviceAt(gpa, 1);
  const image = dev && acc !== Acc.X ? vm.split.imageAt(gpa) : undefined;
  if (image && acc === Acc.W) return splitStore(vm, image, "mmio-write", tval, gpa, details, t);
  // The image is mapped only where a whole page of reads is allowed: not for an MPRV access (whose
  // root maps fetches only), nor where the guest's PMP decides the page in part; those reads exit.
  if (image && priv === v.prv && v.pmp.check(gpa - (gpa % 4096), 4096, PmpAccess.R, priv)) return imageFault(vm, va, priv, image, details, t);
  if (dev && acc !== Acc.X) return emulateAccess(vm, acc === Acc.W ? "mmio-write" : "mmio-read", tval, gpa, details, t);
  return reflect(vm, "guest-exception", BigInt(ACCESS_FAULT[acc]), tval, undefined, details,
    () => dev ? "a fetch from a device" : "nothing is at that guest-physical address");
}

/**
 * The guest stored to a page it shares copy-on-write with others (page sharing): the VMM copies the
 * shared frame into a frame of the page's own, maps it writable, and the guest retries its store.
 */
export function cowBreak(vm: Vm, gpa: number, details: ExitDetails): number {
  const shared = vm.p2m.peekHpa(gpa - (gpa % 4096));
  vm.p2m.breakShare?.(gpa);
  const own = vm.p2m.peekHpa(gpa - (gpa % 4096));
  details.hpa = BigInt(own + (gpa % 4096));
  vm.record("cow-break", undefined, details, () => ({
    action: own === shared
      ? `GPA 0x${(gpa - (gpa % 4096)).toString(16)} was the last page on shared frame HPA 0x${shared.toString(16)}: it keeps the frame, writable again; the guest retries`
      : `copied shared frame HPA 0x${shared.toString(16)} to a frame of its own, HPA 0x${own.toString(16)}, for GPA 0x${(gpa - (gpa % 4096)).toString(16)}, and mapped it writable; the guest retries`,
    steps: [
      { phase: "decode", text: `store to GPA 0x${gpa.toString(16)}, a page shared copy-on-write (content-based page sharing): mapped read-only` },
      { phase: "resume", text: "retry the store (not retired, invisible to the guest)" },
    ],
  }));
  return 0;
}

function walkSteps(t: { steps: readonly { level: number; pteGpa: number; pte: bigint }[] }): NarrativeStep[] {
  return t.steps.map((s) => ({ phase: "check" as const, text: `guest PTE level ${s.level} at GPA 0x${s.pteGpa.toString(16)}`, after: s.pte }));
}

/**
 * The shadow entry a hidden fault installs for the guest's translation `t` (whose A/D it sets, as the
 * guest's hardware would), onto the guest page's host page or onto `hpaPage` with at most `allow`.
 */
function shadowPage(vm: Vm, va: number, acc: Acc, priv: number, fetchOnly: boolean, t: GuestTranslated, hpaPage = Math.floor(vm.hpaOf(t.gpa) / 4096), allow = PTE_R | PTE_W | PTE_X) {
  const v = vm.vcpu.state;
  // A/D first: setting them may give a shared page-table page its own copy, which drops every shadow root.
  markAccessed(vm, t, acc);
  const root = vm.currentRoot();
  const gpaPage = Math.floor(t.gpa / 4096);
  const pageBase = gpaPage * 4096;
  // The MPRV root and one-shot fetch entries map fetches only: their loads and stores must exit.
  const data = !fetchOnly && !(root.context.kind === "bare" && root.context.mprv);
  // Each permission needs the guest's leaf (when it translates) and its PMP, for the whole page.
  const leaf = t.level >= 0, f = t.flags;
  let perms = 0;
  if (data && (!leaf || permitted(v, f, Acc.R, priv)) && v.pmp.check(pageBase, 4096, PmpAccess.R, priv)) perms |= PTE_R;
  // A page shared copy-on-write is never writable: a store to it must come to the VMM (memoryFault).
  if (data && (!leaf || (permitted(v, f, Acc.W, priv) && (f & D) !== 0)) && v.pmp.check(pageBase, 4096, PmpAccess.W, priv) && !vm.p2m.isShared(t.gpa)) perms |= PTE_W;
  // A passed-through device's registers are never executable, whatever the guest's leaf says.
  const ram = vm.p2m.toHpa(t.gpa) >= 0;
  if (ram && (!leaf || permitted(v, f, Acc.X, v.prv)) && (fetchOnly || v.pmp.check(pageBase, 4096, PmpAccess.X, v.prv))) perms |= PTE_X;
  const steps = t.steps;
  const slots = new Array<number>(steps.length);
  for (let i = 0; i < steps.length; i++) slots[i] = steps[i].pteGpa;
  const vpn = Math.floor(va / 4096) & 0x7ffffff;
  const e = vm.shadow.install(root, vpn, gpaPage, hpaPage, perms & allow, slots, Math.max(t.level, 0), leaf && (f & 0x20) !== 0);
  return { root, t, e, vpn, hpaPage, protectedPt: (perms & PTE_W) !== 0 && !e.w };
}

/** A hidden fault at `va`: the guest's translation `t` is allowed, onto host page `hpaPage`. */
function hiddenFault(vm: Vm, va: number, acc: Acc, priv: number, details: ExitDetails, t: GuestTranslated, hpaPage: number): number {
  const { root, e, vpn, protectedPt } = shadowPage(vm, va, acc, priv, false, t, hpaPage);
  keepReservation(vm, va, acc);
  // The shadow PTE as installed, in halves: the narrative makes its bigint if it is ever read.
  const ram = vm.board.ram;
  const pteLo = ram.view.getInt32(e.pteHpa - ram.base, true), pteHi = ram.view.getInt32(e.pteHpa - ram.base + 4, true);
  const hpa = hpaPage * 4096 + (t.gpa & 4095);
  details.hpa = BigInt(hpa);
  details.shadowRoot = root.key;
  vm.record("hidden-page-fault", undefined, details, () => ({
    action: `installed shadow GVA 0x${(vpn * 4096).toString(16)} → HPA 0x${(hpaPage * 4096).toString(16)} [${e.r ? "R" : "-"}${e.w ? "W" : "-"}${e.x ? "X" : "-"}U] in root ${root.key}` +
      `${protectedPt ? " (read-only: it is a guest page-table page)" : ""}; the guest retries, unaware`,
    steps: [
      { phase: "decode", text: `host ${ACCESS_NAMES[acc]} page fault at GVA 0x${va.toString(16)}: no shadow entry` },
      ...(t.level < 0
        ? [{ phase: "check" as const, text: "guest paging is off (Bare or virtual M-mode): GVA = GPA" }]
        : [...walkSteps(t), { phase: "check" as const, text: `guest leaf permits ${ACCESS_NAMES[acc]} in virtual mode ${priv}; A${acc === Acc.W ? "/D" : ""} set in the guest PTE` }]),
      { phase: "check", text: `${vm.p2m.toHpa(t.gpa) >= 0 ? "p2m" : "passed-through device"}: GPA 0x${t.gpa.toString(16)} → HPA 0x${hpa.toString(16)}` },
      { phase: "shadow", text: `shadow PTE at HPA 0x${e.pteHpa.toString(16)} (root ${root.key}, host ASID ${root.hostAsid})`, before: 0n, after: joinHalves(pteLo, pteHi) },
      { phase: "resume", text: "retry the same instruction (not retired, invisible to the guest)" },
    ],
  }));
  return 0;
}

/**
 * A load from a split device's registers (io/device_model.ts): the VMM maps the device's register
 * image (io/register_image.ts) read-only at the guest's virtual page, as a hidden fault maps RAM, so
 * this and every later register read of the page run without an exit. Stores still fault.
 */
function imageFault(vm: Vm, va: number, priv: number, image: RegisterImage, details: ExitDetails, t: GuestTranslated): number {
  const hpaPage = image.base / 4096;
  const { root, e, vpn } = shadowPage(vm, va, Acc.R, priv, false, t, hpaPage, PTE_R);
  details.hpa = BigInt(image.base + (t.gpa & 4095));
  details.shadowRoot = root.key;
  details.device = image.transport.name;
  vm.record("hidden-page-fault", undefined, details, () => ({
    action: `mapped ${image.transport.name}'s register image (split model) at GVA 0x${(vpn * 4096).toString(16)} → HPA 0x${image.base.toString(16)} [${e.r ? "R" : "-"}---] in root ${root.key}: its register reads no longer exit, its stores still do`,
    steps: [
      { phase: "decode", text: `host read page fault at GVA 0x${va.toString(16)}: no shadow entry` },
      { phase: "check", text: `GPA 0x${t.gpa.toString(16)} is ${image.transport.name}'s registers, a device under the split model` },
      { phase: "shadow", text: `shadow PTE at HPA 0x${e.pteHpa.toString(16)}: read-only onto the VMM's register image at HPA 0x${image.base.toString(16)}` },
      { phase: "resume", text: "retry the same instruction (not retired, invisible to the guest)" },
    ],
  }));
  return 0;
}

/**
 * The guest never took a hidden fault: its LR reservation, which the hart's trap took away, holds
 * for the retry. An SC that faulted had already taken it (and said whether it held it), so an SC
 * on a shadow entry not yet writable succeeds on the retry, as it does natively.
 */
function keepReservation(vm: Vm, va: number, acc: Acc): void {
  const hart = vm.board.hart;
  const sc = acc === Acc.W && hart.scHeldReservation && Number.isNaN(hart.resAddrBeforeTrap) && decodeBits(vm.trappedInstruction() ?? 0).mnemonic.startsWith("sc.");
  hart.resAddr = sc ? va : hart.resAddrBeforeTrap;
}

/**
 * A fetch from a page the guest's PMP decides only in part, which the virtual PMP allows: the VMM
 * maps the page execute-only for exactly one instruction (Vm.run takes the entry down after it), so
 * every fetch from that page comes back here to be checked.
 */
function stepFetch(vm: Vm, va: number, details: ExitDetails, t: GuestTranslated): number {
  const { root, e, vpn, hpaPage } = shadowPage(vm, va, Acc.X, vm.vcpu.state.prv, true, t);
  vm.shadow.oneShot = e;
  details.hpa = BigInt(hpaPage * 4096 + (va & 4095));
  details.shadowRoot = root.key;
  vm.record("pmp-access", undefined, details, () => ({
    action: `the guest's PMP covers part of GPA page 0x${(e.gpaPage * 4096).toString(16)}: checked this fetch, then ran one instruction on a one-shot execute-only shadow entry`,
    steps: [
      { phase: "decode", text: `host fetch page fault at GVA 0x${va.toString(16)}: the page is never shadowed, a PMP entry covers only part of it` },
      { phase: "check", text: `virtual PMP allows a fetch at GPA 0x${(details.gpa ?? 0n).toString(16)}` },
      { phase: "shadow", text: `one-shot execute-only shadow GVA 0x${(vpn * 4096).toString(16)} → HPA 0x${(hpaPage * 4096).toString(16)} in root ${root.key}` },
      { phase: "resume", text: "run that one instruction, then remove the entry" },
    ],
  }));
  return 0;
}

