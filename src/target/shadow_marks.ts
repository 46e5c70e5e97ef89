import type { ShadowEntry, ShadowRoot } from "../hypervisor/mm/shadow_paging";
import type { Vm } from "../hypervisor/vm";
import { isPointer, ptePhysical, type PageTableTree, type PtTable } from "./inspect";
import type { ShadowMark } from "./vmm_view";
import { pteFlags } from "./walk_view";

/**
 * The Page Tables panel's comparison of the guest's table with the shadow tables, from what the VMM
 * knows rather than from walking either table again: each shadow entry remembers the guest PTEs its
 * fill read, whether a guest store made it stale, and what it grants; the guest's leaves are looked up
 * in the active root's entries by address, and their guest-physical range in the p2m and the devices.
 */

const R = 2, W = 4, X = 8, D = 0x80;
const hex = (v: number | bigint) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
const vaOf = (vpn: number) => BigInt.asUintN(64, BigInt.asIntN(39, BigInt(vpn) << 12n));

/** Marks for every shadow entry, and for the guest tree's leaves when `active` shadows that table. */
export function shadowMarks(vm: Vm, trees: readonly PageTableTree[], active: ShadowRoot | undefined): ShadowMark[] {
  const marks: ShadowMark[] = [];
  for (const root of vm.shadow.allRoots()) for (const e of root.entries.values()) marks.push(entryMark(vm, root, e));
  const guest = trees.find((t) => t.id === "guest");
  const c = active?.context;
  if (guest && active && c?.kind === "sv39" && BigInt(c.guestRoot) === guest.root.addr) marks.push(...guestMarks(vm, guest, active));
  return marks;
}

function entryMark(vm: Vm, root: ShadowRoot, e: ShadowEntry): ShadowMark {
  const mark = (status: ShadowMark["status"], note: string): ShadowMark => ({ tree: `shadow:${root.key}`, va: vaOf(e.vpn), status, note });
  const leafGpa = e.slots.at(-1);
  if (e.stale) {
    return mark("stale", `the guest changed a PTE this entry was made from${leafGpa === undefined ? "" : ` (its leaf at gpa ${hex(leafGpa)})`}: the hart still uses hpa ${hex(e.hpaPage * 4096)} until the guest's sfence.vma`);
  }
  const shadow = (e.r ? R : 0) | (e.w ? W : 0) | (e.x ? X : 0);
  if (leafGpa === undefined) return mark("same", `gpa ${hex(e.gpaPage * 4096)} = hpa ${hex(e.hpaPage * 4096)} through the p2m (the guest does not translate here)`);
  const guestFlags = Number((vm.readPte(leafGpa) ?? 0n) & 0xffn);
  const want = guestFlags & (R | W | X);
  if (shadow === want) return mark("same", `matches the guest's PTE at gpa ${hex(leafGpa)} through the p2m`);
  const why = (want & W) !== 0 && !e.w
    ? vm.shadow.isPageTable(e.gpaPage) ? "a write-protected guest page-table page: a store exits as guest-pt-write"
      : (guestFlags & D) === 0 ? "W held back until the guest's D bit is set: the first store is a hidden page fault that sets it" : "W withheld"
    : "the rights the guest's privilege, SUM/MXR and PMP give it";
  return mark("permissions", `guest ${pteFlags(guestFlags)}, shadow ${pteFlags(Number(vm.shadow.readPte(e.pteHpa) & 0xffn))}: ${why}`);
}

function guestMarks(vm: Vm, guest: PageTableTree, active: ShadowRoot): ShadowMark[] {
  const vpns = [...active.entries.keys()].sort((a, b) => a - b);
  // Guest RAM, backed yet or not: a page the guest has not touched is still RAM to its table.
  const ram = { gpa: vm.p2m.gpaBase, size: vm.p2m.size };
  const devices = vm.devices.bus.devices;
  const marks: ShadowMark[] = [];
  const visit = (table: PtTable, level: number, base: bigint) => {
    for (const e of table.entries) {
      const raw = base + (BigInt(e.index) << BigInt(12 + 9 * level));
      if (e.next) {
        visit(e.next, level - 1, raw);
        continue;
      }
      if (isPointer(e.pte)) continue;
      const pages = 2 ** (9 * level);
      const gpa = Number(ptePhysical(e.pte));
      const end = gpa + pages * 4096;
      const mark = (status: ShadowMark["status"], note: string) => marks.push({ tree: guest.id, va: BigInt.asUintN(64, BigInt.asIntN(39, raw)), status, note });
      const names = collapseSlots(devices.filter((d) => d.base < end && gpa < d.base + d.size).map((d) => d.name));
      if (!(ram.gpa < end && gpa < ram.gpa + ram.size)) {
        mark("device", names.length ? `emulated device${names.length > 1 ? "s" : ""} (${names.join(", ")}): never shadowed, every access exits` : `nothing at gpa ${hex(gpa)}: an access is an access fault the VMM reflects`);
        continue;
      }
      const first = Number(BigInt.asUintN(27, raw >> 12n));
      const n = countIn(vpns, first, first + pages);
      const alsoDevices = names.length ? `; its device pages (${names.join(", ")}) are never shadowed` : "";
      if (n === 0) mark("missing", `not in the shadow yet: the first access is a hidden page fault${alsoDevices}`);
      else mark("shadowed", `${n} shadow entr${n === 1 ? "y covers" : "ies cover"} it${alsoDevices}`);
    }
  };
  visit(guest.root, 2, 0n);
  return marks;
}

/** How many of the sorted numbers lie in [from, to). */
function countIn(sorted: readonly number[], from: number, to: number): number {
  const at = (x: number) => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return at(to) - at(from);
}

/** Device names with numbered runs written once: virtio0 … virtio7 become "virtio0–7". */
function collapseSlots(names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length;) {
    const m = /^(.*?)(\d+)$/.exec(names[i]);
    let j = i + 1;
    while (m && j < names.length && names[j] === `${m[1]}${Number(m[2]) + (j - i)}`) j++;
    out.push(j - i > 1 ? `${names[i]}–${Number(m![2]) + (j - i - 1)}` : names[i]);
    i = j;
  }
  return out;
}
