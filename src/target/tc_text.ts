import type { TcRow, TcStats } from "../hypervisor/techniques/tc_view";

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const kib = (n: number) => `${(n / 1024).toFixed(1).replace(/\.0$/, "")} KiB`;

/** Binary translation's translation-cache statistics in one line, for `stats`, `tc` and `hyperstep compare`. */
export function tcStatsText(tc: TcStats): string {
  const rate = tc.lookups > 0 ? `${((tc.hits * 100) / tc.lookups).toFixed(1)}%` : "—";
  const moved = tc.relocations > 0 ? `, relocated ${count(tc.relocations, "time", "times")} (the guest mapped its range)` : "";
  return `translation cache at 0x${tc.va.toString(16)}${moved}: ${count(tc.blocks, "block", "blocks")} in ${kib(tc.bytesUsed)} of ${kib(tc.bytes)}, ` +
    `${count(tc.chains, "chain", "chains")}, ${count(tc.protectedPages, "write-protected code page", "write-protected code pages")}` +
    `${tc.directPages > 0 ? `, ${tc.directPages} run directly (also busy data)` : ""}; ` +
    `${tc.translated} translated, dropped ${tc.invalidated} on code writes, ${tc.evicted} by LRU eviction, ${tc.fenced} by sfence.vma (${tc.refenced} fenced and kept: their translation had not changed); ` +
    `${count(tc.flushes, "flush", "flushes")}; lookups ${tc.lookups}, hit rate ${rate}; ${tc.inlineCsr} CSR accesses inline`;
}

const HOW: Record<TcRow["how"], string> = {
  copied: "copied",
  branch: "branch to its stub below",
  csr: "inline: the vCPU's CSR file, no exit",
  sensitive: "callout: emulated by the VMM",
  "fence.i": "callout: nothing to drop (the TC stays coherent)",
  auipc: "callout: the guest pc's value",
  jal: "callout: jump with guest addresses",
  jalr: "callout: looked up in the TC",
  fallthrough: "stub: the block's end",
  taken: "stub: the branch taken",
};

/** What the translator made of a guest instruction, and why, for `tc` and the translation-cache request. */
export function tcRowWhy(r: TcRow): string {
  return r.chainedTo === undefined ? HOW[r.how] : `chained: ${r.how === "jal" ? "jumps" : "branches"} to the target's translation`;
}
