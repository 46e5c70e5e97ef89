import type { VmExit } from "../hypervisor/exits";
import { PRIV_NAMES } from "../isa/privilege";
import type { TechniqueRun } from "../target/technique_comparison";
import type { VmStats } from "../target/vmm_view";

/** Text for `hyperstep run --technique trap-and-emulate --exits`: one line per exit, then the summary. */

export function exitLine(e: VmExit): string {
  const insn = e.instruction ? ` ${e.instruction.mnemonic}` : "";
  return `exit #${e.seq} ${e.reason} pc 0x${e.pc.toString(16)} ${PRIV_NAMES[e.priv]}${insn} (${e.cycles} cycles): ${e.action}`;
}

/** `native` is absent when the guest cannot run natively (it boots behind the VMM's SBI). */
export function exitSummary(s: VmStats, seconds: number, native: TechniqueRun | undefined): string[] {
  const rows = s.byReason.map((r) => `  ${r.reason.padEnd(18)} ${String(r.count).padStart(10)} ${String(r.cycles).padStart(14)}`);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const nativeSeconds = native?.wallSeconds ?? 0;
  const wall = nativeSeconds > 0 ? seconds / nativeSeconds : NaN;
  return [
    "exits by reason:      count  modelled cycles",
    ...rows,
    `  ${"total".padEnd(18)} ${String(s.exits).padStart(10)} ${String(s.exitCycles).padStart(14)}`,
    `modelled cost: ${s.virtualizedCycles} cycles virtualized vs ${s.nativeCycles} native ` +
      `(${s.slowdown.toFixed(2)}x, overhead ${pct(s.slowdown - 1)}); ${s.exitsPerMillionInstructions.toFixed(0)} exits per million instructions`,
    native
      ? `wall time: ${(seconds * 1000).toFixed(1)} ms virtualized vs ${(nativeSeconds * 1000).toFixed(1)} ms native ` +
        `(${Number.isFinite(wall) ? wall.toFixed(2) + "x" : "n/a"}; native run of the same guest: ${native.instructions} instructions)`
      : `wall time: ${(seconds * 1000).toFixed(1)} ms virtualized (no native run: the guest boots behind the VMM's SBI)`,
    `shadow tables: ${s.shadow.roots} roots, ${s.shadow.entries} entries, ${s.shadow.pagesInUse} of ${s.shadow.poolPages} pool pages, ` +
      `${s.shadow.writeProtectedPages} write-protected guest page-table pages, ${s.shadow.evictions} root evictions`,
  ];
}
