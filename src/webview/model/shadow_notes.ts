import type { Cell } from "./page_table_lines";
import type { PtRow } from "./page_tables";

/**
 * Why a shadow entry differs from the guest's by design, not by mistake: what the Page Tables panel's
 * legend and tooltips say (shadow_paging.ts is the behaviour they describe).
 */

export const U_NOTE = "U on every shadow page: the guest's kernel runs deprivileged, in host U-mode, which reaches only U pages. " +
  "Guest U-mode code runs on a shadow root of its own that holds no kernel page, so the guest's own U bit still holds.";

export const SPLIT_NOTE = "4 KiB pieces of a guest superpage: the VMM fills the shadow one 4 KiB page per hidden page fault, " +
  "can take W away from a single guest page-table page inside the superpage, and needs no aligned run of host memory behind it.";

const U = 0x10;
const PAGE_SIZES = ["4 KiB", "2 MiB", "1 GiB"];

/** The notes for a shadow leaf, given the guest's cell on the same line (its entry, or the guest leaf covering it). */
export function shadowNotes(guest: Cell | undefined, shadow: PtRow): string[] {
  if (!shadow.leaf) return [];
  const guestLeaf = guest?.row?.leaf ? guest.row : guest?.cover;
  const notes: string[] = [];
  if (guest?.cover) notes.push(`Part of the guest's ${PAGE_SIZES[guest.cover.level]} page [${guest.cover.index}]. ${SPLIT_NOTE}`);
  if (guestLeaf && (shadow.flags & U) && !(guestLeaf.flags & U)) notes.push(`U set where the guest's PTE has U clear. ${U_NOTE}`);
  return notes;
}

/** What a gap in the guest's column says when a guest superpage covers the line. */
export function coverText(cover: PtRow): string {
  return `⋮ in guest ${PAGE_SIZES[cover.level]} page [${cover.index}]`;
}

/** Why the guest's column has no entry of its own on a line that a guest superpage covers. */
export function coverNote(cover: PtRow): string {
  return `The guest maps these addresses with its ${PAGE_SIZES[cover.level]} leaf [${cover.index}]; the shadow maps them in 4 KiB pieces. ${SPLIT_NOTE}`;
}
