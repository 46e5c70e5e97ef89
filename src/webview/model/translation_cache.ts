import type { TranslationCacheBody, WireTcBlock } from "../../debug/custom_requests";

/** The Translation Cache panel's data shaping, pure: the statistics, the block list and a block's two columns. */

type Stats = NonNullable<TranslationCacheBody["stats"]>;

/** What a block's run count counts, for the column's tooltip. */
export const RUNS_TITLE =
  "Times control entered the block at its start since it was translated, chained runs included: the hart counts them, at no cost to the guest (not in its instructions or cycles)";

/** What a line's run count counts, for the column's tooltip. */
export const LINE_RUNS_TITLE =
  "Times this instruction ran: counted at a block's start (since its translation) and where a chain or jump entered a block past its start (since the first time), where a loop's rounds show";

export interface StatItem {
  label: string;
  value: string;
  /** What the figure means, for a tooltip. */
  title: string;
}

const kib = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1).replace(/\.0$/, "")} KiB`);

/** The figures above the list: blocks, size, hit rate, invalidations, evictions, and the rest of the cache's counters. */
export function statItems(s: Stats): StatItem[] {
  return [
    { label: "blocks", value: String(s.blocks), title: `Blocks in the cache now (${s.translated} translated since the start)` },
    { label: "size", value: `${kib(s.bytesUsed)} of ${kib(s.bytes)}`, title: `TC bytes in use, of the cache mapped at ${s.va}` },
    { label: "hit rate", value: s.lookups > 0 ? `${((s.hits * 100) / s.lookups).toFixed(1)}%` : "—", title: `${s.hits} of ${s.lookups} lookups of a guest pc found a translation` },
    { label: "invalidations", value: String(s.invalidated), title: "Blocks dropped because the guest wrote to their code (write-protected code pages)" },
    { label: "evictions", value: String(s.evicted), title: "Blocks dropped, least recently used first, to make room" },
    { label: "inline CSR", value: String(s.inlineCsr), title: "CSR accesses the translated code ran inline on the vCPU's CSR file, with no exit" },
    { label: "chains", value: String(s.chains), title: "TC words patched to jump straight to another block's translation" },
    { label: "flushes", value: String(s.flushes + s.fenced), title: `${s.flushes} whole-TC flushes (the guest's PMP changed), ${s.fenced} blocks dropped by sfence.vma (their page translated elsewhere), ${s.refenced} fenced blocks kept (their translation had not changed)` },
  ];
}

export interface BlockRow {
  guestPc: string;
  symbol?: string;
  /** Guest instructions in the block (its stubs stand for none). */
  length: number;
  /** Guest instructions the translator did not copy as they are. */
  rewritten: number;
  /** Times it ran (entered at its start), chained runs included. */
  runs: number;
  /** Where its chained words jump, by guest pc and the block translating it, in the block's order. */
  chainedTo: string[];
}

/**
 * A TC address as the guest pc its word stands for, in its block (a chain may enter a block past its
 * start, where the guest code a branch targets was translated inside a longer block); the TC address
 * itself when no block listed has it.
 */
function blockAt(blocks: readonly WireTcBlock[]): (tcVa: string) => string {
  const owner = new Map<bigint, { block: WireTcBlock; guestPc: string }>();
  for (const block of blocks) for (const r of block.rows) owner.set(BigInt(r.tcVa), { block, guestPc: r.guestPc });
  return (tcVa) => {
    const o = owner.get(BigInt(tcVa));
    if (!o) return `TC ${tcVa}`;
    const block = `${o.block.guestPc}${o.block.symbol ? ` ${o.block.symbol}` : ""}`;
    return o.guestPc === o.block.guestPc ? block : `${o.guestPc} in ${block}`;
  };
}

/** One row per block, in the adapter's order (most recently used first). */
export function blockRows(body: Pick<TranslationCacheBody, "blocks">): BlockRow[] {
  const target = blockAt(body.blocks);
  return body.blocks.map((b) => {
    const guest = b.rows.filter((r) => r.guest !== null);
    const chains = [...new Set(b.rows.flatMap((r) => (r.chainedTo === null ? [] : [target(r.chainedTo)])))];
    return {
      guestPc: b.guestPc, ...(b.symbol ? { symbol: b.symbol } : {}), length: guest.length,
      rewritten: guest.filter((r) => r.how !== "copied").length, runs: b.runs, chainedTo: chains,
    };
  });
}

export interface TranslationLine {
  /** The guest side: empty for a block-end stub, which stands for no guest instruction. */
  guestPc: string;
  guest: string;
  tcVa: string;
  tc: string;
  /** The translator changed it (a callout, a branch to a stub, a stub, a chain): shown highlighted with `why`. */
  rewritten: boolean;
  why: string;
  /** How many times it ran, where that is counted (the block's start, a transfer's target inside it); else empty. */
  runs: string;
}

/** A block's guest instructions beside their translation, word by word, with where each chain now goes. */
export function translationLines(block: WireTcBlock, blocks: readonly WireTcBlock[]): TranslationLine[] {
  const target = blockAt(blocks);
  return block.rows.map((r) => ({
    guestPc: r.guest === null ? "" : r.guestPc, guest: r.guest ?? "",
    tcVa: r.tcVa, tc: r.tc,
    rewritten: r.how !== "copied" || r.chainedTo !== null,
    why: r.chainedTo === null ? r.why : `${r.why} (${target(r.chainedTo)})`,
    runs: r.runs === null ? "" : String(r.runs),
  }));
}

/** The block to show: the one the user chose while it is still cached, else the most recently used. */
export function selectedBlock(blocks: readonly WireTcBlock[], chosen: string | undefined): WireTcBlock | undefined {
  return blocks.find((b) => b.guestPc === chosen) ?? blocks[0];
}
