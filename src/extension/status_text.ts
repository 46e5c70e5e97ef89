/**
 * The status bar's words for a stopped hyperstep session. Pure (no `vscode` import) so it is
 * unit-tested; status_bar.ts fetches the values and shows the result.
 */
import { PRIVILEGE_NAMES } from "../debug/registers";

export interface StopSummary {
  technique: string;
  /** `$priv` as the adapter evaluates it in decimal: "0", "1" or "3". */
  priv: string;
  /** `$instret` in decimal: instructions retired since the guest started. */
  instret: string;
  /** VM exits so far; undefined when no VMM runs the guest (native). */
  exits?: number;
}

export interface StatusText {
  text: string;
  tooltip: string;
}

const GROUPED = new Intl.NumberFormat("en-US");

function grouped(decimal: string): string {
  return /^\d+$/.test(decimal) ? GROUPED.format(BigInt(decimal)) : decimal;
}

function mode(priv: string): string {
  const name = /^\d+$/.test(priv) ? PRIVILEGE_NAMES[Number(priv)] : undefined;
  return name ? `${name}-mode` : `privilege ${priv}`;
}

export function stoppedStatus(s: StopSummary): StatusText {
  const count = grouped(s.instret);
  const exits = s.exits === undefined ? undefined : GROUPED.format(s.exits);
  return {
    text: `$(debug-pause) ${s.technique} · ${mode(s.priv)} · ${count} instr${exits === undefined ? "" : ` · ${exits} exits`}`,
    tooltip: `Hyperstep: stopped. Technique ${s.technique}, ${mode(s.priv)}, ${count} instructions retired${exits === undefined ? "" : `, ${exits} VM exits`}.`,
  };
}

export function runningStatus(technique: string): StatusText {
  return { text: `$(debug-start) ${technique} · running`, tooltip: `Hyperstep: the guest is running (technique ${technique}).` };
}
