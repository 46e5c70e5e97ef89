/**
 * The status bar's words for a stopped hyperstep session. Pure (no `vscode` import) so it is
 * unit-tested; status_bar.ts fetches the values and shows the result.
 */
import { privilegeName } from "../debug/registers";

export interface StopSummary {
  technique: string;
  /** `$priv` as the adapter evaluates it in decimal: "0", "1" or "3". */
  priv: string;
  /** `$virt` in decimal ("0" or "1") on a hart with the H extension; undefined on one without. */
  virt?: string;
  /** `$instret` in decimal: instructions retired since the guest started. */
  instret: string;
  /** VM exits so far; undefined when no VMM runs the guest (native). */
  exits?: number;
  /** What `hyperstep/history` says: undefined when time travel is off. */
  history?: { oldest: number; position: number; newest: number };
}

export interface StatusText {
  text: string;
  tooltip: string;
}

const GROUPED = new Intl.NumberFormat("en-US");

function grouped(decimal: string): string {
  return /^\d+$/.test(decimal) ? GROUPED.format(BigInt(decimal)) : decimal;
}

function mode(priv: string, virt: string | undefined): string {
  const name = /^\d+$/.test(priv) ? privilegeName(Number(priv), virt === undefined ? undefined : virt === "1") : "?";
  return name === "?" ? `privilege ${priv}` : `${name}-mode`;
}

export function stoppedStatus(s: StopSummary): StatusText {
  const count = grouped(s.instret);
  const exits = s.exits === undefined ? undefined : GROUPED.format(s.exits);
  return {
    text: `$(debug-pause) ${s.technique} · ${mode(s.priv, s.virt)} · ${count} instr${exits === undefined ? "" : ` · ${exits} exits`}${historyText(s.history)}`,
    tooltip: `Hyperstep: stopped. Technique ${s.technique}, ${mode(s.priv, s.virt)}, ${count} instructions retired${exits === undefined ? "" : `, ${exits} VM exits`}.${historyTooltip(s.history)}`,
  };
}

/** In the past: how far ahead the present is; in the present: how far back one can go. */
function historyText(h: StopSummary["history"]): string {
  if (!h) return "";
  if (h.position < h.newest) return ` · $(history) past: ${steps(h.newest - h.position)} ahead`;
  return ` · $(history) ${steps(h.position - h.oldest)} back`;
}

function historyTooltip(h: StopSummary["history"]): string {
  if (!h) return "";
  const span = `Time travel reaches back to step ${GROUPED.format(h.oldest)}`;
  return h.position < h.newest
    ? ` ${span}; the guest is at step ${GROUPED.format(h.position)}, in its past (the present is step ${GROUPED.format(h.newest)}).`
    : ` ${span}, ${steps(h.position - h.oldest)} back from here.`;
}

function steps(n: number): string {
  return `${GROUPED.format(n)} step${n === 1 ? "" : "s"}`;
}

export function runningStatus(technique: string): StatusText {
  return { text: `$(debug-start) ${technique} · running`, tooltip: `Hyperstep: the guest is running (technique ${technique}).` };
}
