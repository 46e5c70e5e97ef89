import type { EndedBody, ExitsBody } from "../../debug/custom_requests";

/** The VM Exits view's data shaping, pure: the per-reason table and the timeline's bars. */

export interface ReasonRow {
  id: string;
  label: string;
  description: string;
  count: number;
  cycles: number;
  /** Share of all exits, 0..1. */
  share: number;
}

/** Reasons that occurred, most frequent first, then the rest in the technique's order. */
export function reasonRows(body: Pick<ExitsBody, "reasons">): ReasonRow[] {
  const total = body.reasons.reduce((s, r) => s + r.count, 0);
  return body.reasons
    .map((r, order) => ({ ...r, share: total ? r.count / total : 0, order }))
    .sort((a, b) => b.count - a.count || a.order - b.order)
    .map(({ order: _order, ...r }) => r);
}

/** Bar heights in pixels (0..height), scaled to the busiest slice; a slice with any exit shows at least 1 px. */
export function timelineBars(counts: readonly number[], height: number): number[] {
  const max = Math.max(0, ...counts);
  return counts.map((c) => (c === 0 || max === 0 ? 0 : Math.max(1, Math.round((c / max) * height))));
}

/** "12,345" style, without relying on the webview's locale. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An ended session's exits as the view shows them under a reason filter (none: every reason). */
export function endedExits(ended: EndedBody, reasons: readonly string[]): ExitsBody {
  const b = ended.body;
  if (reasons.length === 0) return b;
  const wanted = new Set(reasons);
  const counts = b.timeline.counts.map((_, i) => reasons.reduce((sum, r) => sum + (ended.timelines[r]?.[i] ?? 0), 0));
  return {
    ...b,
    exits: b.exits.filter((e) => wanted.has(e.reason)),
    total: counts.reduce((sum, c) => sum + c, 0),
    timeline: { ...b.timeline, counts },
  };
}
