import type { VmExit } from "../hypervisor/exits";
import { PRIV_NAMES } from "../isa/privilege";
import type { TechniqueRun } from "../target/technique_comparison";
import type { VmStats } from "../target/vmm_view";
import { hostingText, vcpusText } from "../target/hosting";

/** Text for `hyperstep run --technique trap-and-emulate --exits`: one line per exit, then the summary. */

export function exitLine(e: VmExit): string {
  const insn = e.instruction ? ` ${e.instruction.mnemonic}` : "";
  return `exit #${e.seq} ${e.reason} pc 0x${e.pc.toString(16)} ${PRIV_NAMES[e.priv]}${insn} (${e.cycles} cycles): ${e.action}`;
}

/** `native` is why there is no native run when the guest cannot run natively (it boots behind the VMM's SBI, or it is written for the VMM). */
export function exitSummary(s: VmStats, seconds: number, native: TechniqueRun | string): string[] {
  // The reason column is as wide as the longest reason shown (the hypercall reasons are long).
  const width = Math.max(18, ...s.byReason.map((r) => r.reason.length));
  const row = (name: string, count: number, cycles: number) => `  ${name.padEnd(width)} ${String(count).padStart(10)} ${String(cycles).padStart(14)}`;
  const rows = s.byReason.map((r) => row(r.reason, r.count, r.cycles));
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const nativeSeconds = typeof native === "string" ? 0 : native.wallSeconds ?? 0;
  const wall = nativeSeconds > 0 ? seconds / nativeSeconds : NaN;
  return [
    `${"exits by reason:".padEnd(width + 8)}count  modelled cycles`,
    ...rows,
    row("total", s.exits, s.exitCycles),
    `modelled cost: ${s.virtualizedCycles} cycles virtualized vs ${s.nativeCycles} native ` +
      `(${s.slowdown.toFixed(2)}x, overhead ${pct(s.slowdown - 1)}); ${s.exitsPerMillionInstructions.toFixed(0)} exits per million instructions`,
    typeof native !== "string"
      ? `wall time: ${(seconds * 1000).toFixed(1)} ms virtualized vs ${(nativeSeconds * 1000).toFixed(1)} ms native ` +
        `(${Number.isFinite(wall) ? wall.toFixed(2) + "x" : "n/a"}; native run of the same guest: ${native.instructions} instructions)`
      : `wall time: ${(seconds * 1000).toFixed(1)} ms virtualized (no native run: ${native})`,
    hostingText(s),
    ...vcpusText(s),
    `shadow tables: ${s.shadow.roots} roots, ${s.shadow.entries} entries, ${s.shadow.pagesInUse} of ${s.shadow.poolPages} pool pages, ` +
      `${s.shadow.writeProtectedPages} write-protected guest page-table pages, ${s.shadow.evictions} root evictions`,
  ];
}
