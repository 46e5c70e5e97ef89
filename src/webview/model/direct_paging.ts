import type { PageTablesBody } from "../../debug/custom_requests";
import type { PtRow } from "./page_tables";

/**
 * The Page Tables panel under paravirtualization, pure: the guest's tables hold machine frames (the
 * hart walks them), and each entry's frame is shown beside it as the guest numbers it, its
 * pseudo-physical frame through the adapter's machine-to-phys table, with the frames pinned as page
 * tables marked. The adapter says which frames are which; this only looks them up.
 */

export type DirectPagingBody = NonNullable<PageTablesBody["directPaging"]>;

/** What the panel shows beside one entry: the pseudo-physical frame, and a mark for a page-table frame. */
export interface FrameNote {
  text: string;
  title: string;
  /** A pinned table (a pointer's next level, or a page-table page a leaf maps read-only). */
  pinned?: { text: string; title: string };
}

const PAGE = 4096n;
const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Machine address → pseudo-physical frame and guest-physical address; undefined: not the guest's. */
function lookUp(dp: DirectPagingBody, hpa: bigint): { pfn: bigint; gpa: bigint } | undefined {
  const r = dp.m2p.find((m) => hpa >= BigInt(m.hpa) && hpa < BigInt(m.hpa) + BigInt(m.size));
  if (!r) return undefined;
  const off = hpa - BigInt(r.hpa);
  return { pfn: BigInt(r.pfn) + off / PAGE, gpa: BigInt(r.gpa) + off };
}

function pinnedLevel(dp: DirectPagingBody, hpa: bigint): number | undefined {
  return dp.pinned.find(([at]) => BigInt(at) === hpa)?.[1];
}

/** An entry's frame as the guest numbers it, and whether that frame is a pinned page table. */
export function frameNote(dp: DirectPagingBody, row: PtRow): FrameNote {
  const p = lookUp(dp, row.target);
  const last = row.group === undefined ? undefined : lookUp(dp, row.target + BigInt(row.group - 1) * PAGE);
  const frame = `machine frame ${hex(row.target / PAGE)}`;
  if (!p) return { text: "not the guest's", title: `${frame} is not in the guest's machine-to-phys table` };
  const text = `pfn ${hex(p.pfn)}${last ? `…${hex(last.pfn)}` : ""}`;
  const title = `${frame} → pseudo-physical frame ${hex(p.pfn)} (gpa ${hex(p.gpa)}) through the machine-to-phys table`;
  const level = row.group === undefined ? pinnedLevel(dp, row.target) : undefined;
  if (level === undefined) return { text, title };
  const pointer = !row.leaf;
  const pinned = level < 0
    ? { text: "spare PT", title: "A spare page-table frame the VMM gave the guest: mapped read-only, ready to pin." }
    : pointer
      ? { text: `pinned L${level}`, title: `The next table is pinned as a level-${level} table: the VMM validated every entry in it, and it changes only through mmu_update.` }
      : { text: `PT page L${level}`, title: `This page is a pinned level-${level} page table: the VMM lets the guest map it read-only only, so every update goes through mmu_update.` };
  return { text, title, pinned };
}

/** The heading's lines: what the columns show, the machine-to-phys table, how many tables are pinned. */
export function directPagingLines(dp: DirectPagingBody): string[] {
  const tables = dp.pinned.filter(([, level]) => level >= 0).length;
  const spare = dp.pinned.length - tables;
  return [
    "direct paging: the guest's tables hold machine frames, walked by the hart; beside each entry, its pseudo-physical frame",
    `machine-to-phys: ${dp.m2p.map((r) => `hpa ${r.hpa}…${hex(BigInt(r.hpa) + BigInt(r.size) - 1n)} → pfn ${r.pfn}… (gpa ${r.gpa}…)`).join("; ")}`,
    `${tables} pinned page table${tables === 1 ? "" : "s"} and ${spare} spare page-table frame${spare === 1 ? "" : "s"}, marked where the tables point to them or map them`,
  ];
}
