import { walkAssuming, type MmuAccess } from "../machine/hart/mmu";
import { PmpAccess } from "../machine/hart/pmp";
import { Acc, guestDataPriv } from "../hypervisor/mm/guest_walk";
import { contextKey, type ShadowRoot } from "../hypervisor/mm/shadow_paging";
import type { Vm } from "../hypervisor/vm";
import type { AddressWalk, WalkPartStep } from "./target";
import type { ShadowWalkView } from "./vmm_view";
import { causeText, hartPart, modeName } from "./walk_view";

/**
 * Shadow paging, seen from one guest access: what the guest's table says (the VMM's walk of it,
 * mm/guest_walk.ts), the walk the hart itself makes through the shadow table it will run the guest
 * on (the hart's walker, mmu.ts), and what comes of the access: the host-physical address, a stale
 * entry the hart still uses, or an exit and what the VMM then does (mm/shadow_faults.ts decides it
 * the same way, in the same order).
 */

const ACC = { r: Acc.R, w: Acc.W, x: Acc.X } as const;
const PMP_OF = [PmpAccess.R, PmpAccess.W, PmpAccess.X];
const ACCESS_FAULT = [5, 7, 1];
const hex = (v: number | bigint) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** The walks of `gva` under shadow paging, on `root`: the root the next entry into the guest runs on. */
export function shadowWalk(vm: Vm, root: ShadowRoot, gva: bigint, access: MmuAccess): ShadowWalkView {
  const v = vm.vcpu.state;
  const ctx = vm.context();
  const va = Number(BigInt.asIntN(64, gva));
  const t = vm.translate(va, ACC[access], false);
  const guest: ShadowWalkView["guest"] = {
    paging: ctx.kind === "sv39",
    steps: t.steps.map((s) => {
      const hpa = vm.p2m.peekHpa(s.pteGpa, 8);
      return { level: s.level, index: Math.floor(va / 2 ** (12 + 9 * s.level)) & 511, pteGpa: s.pteGpa, pte: s.pte, ...(hpa >= 0 ? { hpa } : {}) };
    }),
  };
  if (t.ok) guest.gpa = t.gpa;
  else guest.fault = t.cause;
  const p2m = guest.gpa === undefined ? -1 : vm.p2m.peekHpa(guest.gpa);
  // The guest runs in host U-mode on the shadow root: the hart's walk, as it will make it then.
  const walk = walkAssuming(vm.board.hart, { satp: root.satp }, gva, access, 0);
  const entry = vm.shadow.entry(root, Math.floor(va / 4096) & 0x7ffffff);
  const view: ShadowWalkView = {
    gva, access, priv: v.prv, context: contextKey(ctx), guest, hpaFromP2m: p2m >= 0 ? p2m : undefined,
    shadow: { rootKey: root.key, rootHpa: root.rootHpa, walk, stale: entry?.stale ?? false },
    consistent: walk.pa === undefined || walk.pa === p2m,
    result: { kind: "translated", text: "" },
  };
  view.result = outcome(vm, view);
  return view;
}

/** What the hart does with the access, and then the VMM (in shadow_faults.ts's order). */
function outcome(vm: Vm, view: ShadowWalkView): ShadowWalkView["result"] {
  const { guest, shadow, access, priv: prv } = view;
  const hpa = shadow.walk.pa;
  if (hpa !== undefined) {
    if (!shadow.stale) {
      const broken = view.consistent ? "" : `; INCONSISTENT: the guest's table and the p2m say ${view.hpaFromP2m === undefined ? "nothing" : `hpa ${hex(view.hpaFromP2m)}`}`;
      return { kind: "translated", text: `hpa ${hex(hpa)}${guest.gpa === undefined ? "" : ` (gpa ${hex(guest.gpa)})`}${broken}`, hpa };
    }
    const now = guest.gpa === undefined ? "the guest's table no longer maps it"
      : `the guest's table now says gpa ${hex(guest.gpa)}${view.hpaFromP2m === undefined ? "" : ` = hpa ${hex(view.hpaFromP2m)}`}`;
    return { kind: "stale", text: `stale: the hart still uses hpa ${hex(hpa)}, although ${now}, until the guest's sfence.vma`, hpa };
  }
  const lacks = shadow.walk.stop?.why === "permission" ? `the shadow entry does not grant this ${word(access)} yet` : "the shadow has no entry yet";
  if (guest.gpa === undefined) {
    return { kind: "fault", text: `guest page fault: ${lacks}, and the guest's own table forbids the access: the VMM reflects a ${causeText(guest.fault!)} to the guest` };
  }
  const gpa = guest.gpa;
  const acc = ACC[access];
  const v = vm.vcpu.state;
  if (view.hpaFromP2m !== undefined) {
    const page = Math.floor(gpa / 4096);
    const priv = acc === Acc.X ? prv : guestDataPriv(v, acc);
    if (acc !== Acc.X && priv !== prv) return { kind: "exit", text: `mprv-access exit: virtual M-mode with MPRV; the VMM translates the ${word(access)} as ${modeName(priv, false)} and emulates it` };
    if (acc === Acc.W && vm.shadow.isPageTable(page)) {
      return { kind: "exit", text: `guest-pt-write exit: gpa ${hex(gpa)} holds a guest page table, write-protected in every shadow; the VMM emulates the store and marks the shadow entries that read it stale` };
    }
    if (!v.pmp.check(page * 4096, 4096, PMP_OF[acc], priv)) return { kind: "exit", text: `pmp-access exit: the guest's PMP covers part of this page, which is never shadowed; the VMM checks and emulates each access` };
    return { kind: "hidden-fault", text: `hidden page fault: ${lacks}; the VMM fills it from the guest's table (gpa ${hex(gpa)} → hpa ${hex(view.hpaFromP2m)}) and the guest retries` };
  }
  const dev = vm.devices.deviceAt(gpa, 1);
  if (dev && acc !== Acc.X) return { kind: "device", text: `emulated device (${dev.name}): never shadowed, every access exits (mmio-${access === "w" ? "write" : "read"})` };
  return { kind: "fault", text: `${dev ? "a fetch from a device" : `nothing at gpa ${hex(gpa)}`}: the VMM reflects a ${causeText(ACCESS_FAULT[acc])} to the guest` };
}

const word = (access: MmuAccess) => (access === "r" ? "read" : access === "w" ? "write" : "execute");

/** The shadow walk view as `hyperstep/walk` tells it: the guest's walk, then the hart's. */
export function shadowAddressWalk(view: ShadowWalkView): AddressWalk {
  const g = view.guest;
  const steps = g.steps.map((s): WalkPartStep => ({
    stage: "guest", level: s.level, index: s.index, tree: "guest", pteAddr: BigInt(s.pteGpa), space: "gpa", pte: s.pte, notes: [],
    ...(s.hpa === undefined ? {} : { hpa: BigInt(s.hpa) }),
  }));
  const end = g.gpa === undefined ? `guest page fault: ${causeText(g.fault!)}`
    : `gpa ${hex(g.gpa)}${view.hpaFromP2m === undefined ? " (no host memory)" : ` = hpa ${hex(view.hpaFromP2m)} (p2m)`}`;
  const title = g.paging ? "guest table (GVA → GPA): what the guest's table says" : "guest: no translation (satp Bare or M-mode): GPA = GVA";
  const guestPart = { by: "guest" as const, title, steps, end, ok: g.gpa !== undefined };
  const s = view.shadow;
  const hart = hartPart(s.walk, { access: view.access, priv: 0, virt: false, sum: false, mxr: false, trees: { s: `shadow:${s.rootKey}` }, space: "hpa" },
    `shadow (${s.rootKey}) at hpa ${hex(s.rootHpa)} (GVA → HPA): the walk the hart makes, from host U-mode`);
  const r = view.result;
  return {
    va: view.gva, access: view.access, title: `${word(view.access)} from virtual ${modeName(view.priv, false)}, shadow context ${view.context}`,
    parts: [guestPart, hart], references: s.walk.steps.length,
    result: { kind: r.kind, text: r.text, ...(r.hpa === undefined ? {} : { addr: BigInt(r.hpa), space: "hpa" as const }) },
  };
}
