import { MSTATUS_MXR, MSTATUS_SUM } from "../isa/csr_bits";
import { walkAssuming, type MmuAccess } from "../machine/hart/mmu";
import type { PvState } from "../hypervisor/techniques/technique";
import type { Vm } from "../hypervisor/vm";
import type { DirectPagingView } from "./inspect";
import type { AddressWalk } from "./target";
import { faultText, hartPart, modeName, rootText, type HartWalkContext } from "./walk_view";

/**
 * Paravirtualization's direct paging, told for the debugger: the guest's tables hold machine frames
 * and the hart walks them as they are, so the Page Tables panel and `hyperstep/walk` show machine
 * addresses, each beside its pseudo-physical frame (the guest's own numbering, through the
 * machine-to-phys table), with the frames the guest pinned as page tables.
 */

const PAGE = 4096n;
const TREES = { s: "guest" } as const;
const hex = (v: bigint | number) => `0x${BigInt(v).toString(16)}`;

/** The machine-to-phys table and the pinned frames, from what the guest shares with the VMM. */
export function directPagingView(vm: Vm, pv: PvState): DirectPagingView {
  return {
    // The guest's frames are contiguous: one range of the table.
    m2p: [{ hpa: BigInt(pv.firstMfn) * PAGE, gpa: BigInt(vm.guestRamBase), pfn: 0n, size: BigInt(pv.nrPages) * PAGE }],
    pinned: pv.tables.map((t) => ({ hpa: BigInt(t.mfn) * PAGE, level: t.level })),
  };
}

/** Machine address → pseudo-physical frame and guest-physical address, through the table; undefined: not the guest's. */
function pseudoPhysical(view: DirectPagingView, hpa: bigint): { pfn: bigint; gpa: bigint } | undefined {
  const r = view.m2p.find((m) => hpa >= m.hpa && hpa < m.hpa + m.size);
  return r && { pfn: r.pfn + (hpa - r.hpa) / PAGE, gpa: r.gpa + (hpa - r.hpa) };
}

/** What the view says of a machine frame: its pseudo-physical frame, and whether it is a pinned table. */
function frameText(view: DirectPagingView, hpa: bigint): string {
  const frame = hpa & ~(PAGE - 1n);
  const p = pseudoPhysical(view, frame);
  const pinned = view.pinned.find((t) => t.hpa === frame);
  const as = pinned === undefined ? "" : pinned.level < 0 ? ", a spare page-table frame" : `, pinned as a level-${pinned.level} table`;
  return p ? `machine frame ${hex(frame / PAGE)} = pseudo-physical frame ${hex(p.pfn)} (gpa ${hex(p.gpa)})${as}` : `machine frame ${hex(frame / PAGE)} is not the guest's`;
}

/**
 * The walk the hart makes for a guest access now: through the guest's own root (the vCPU's satp,
 * which the next entry loads), at the guest's privilege, every PTE a machine address, each table
 * told by its pseudo-physical frame and whether it is pinned.
 */
export function directPagingWalk(vm: Vm, view: DirectPagingView, va: bigint, access: MmuAccess): AddressWalk {
  const v = vm.vcpu.state;
  const priv = v.prv === 0 ? 0 : 1;
  const satp = v.satp;
  const w = walkAssuming(vm.board.hart, { satp }, va, access, priv);
  const ctx: HartWalkContext = { access, priv, virt: false, sum: (v.mstatus & MSTATUS_SUM) !== 0, mxr: (v.mstatus & MSTATUS_MXR) !== 0, trees: TREES, space: "hpa" };
  const title = `${access === "r" ? "read" : access === "w" ? "write" : "execute"} from ${modeName(priv, false)}; ${rootText("satp", satp, "hpa")} (direct paging: machine frames)`;
  const part = hartPart(w, ctx, `the hart's walk of va ${hex(BigInt.asUintN(64, va))} through the guest's own tables`);
  for (const s of part.steps) s.notes.unshift(`table: ${frameText(view, s.pteAddr)}`);
  const end = w.pa === undefined ? undefined : pseudoPhysical(view, BigInt(w.pa));
  const result: AddressWalk["result"] = w.fault !== undefined
    ? { kind: "fault", text: `${faultText(w, ctx)}; the kernel takes it at its own stvec, with no exit` }
    : { kind: "translated", text: `hpa ${hex(w.pa!)}${end ? ` = pseudo-physical ${hex(end.gpa)} (frame ${hex(end.pfn)})` : " (not the guest's)"}`, addr: BigInt(w.pa!), space: "hpa" };
  return { va, access, title, parts: [part], references: w.steps.length, result };
}
