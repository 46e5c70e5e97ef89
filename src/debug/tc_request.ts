import { disassemble } from "../asm/disasm";
import type { TcBlockView, TcStats } from "../target/vmm_view";
import { tcRowWhy } from "../target/tc_text";
import type { Target } from "../target/target";
import { field, hex, intArg } from "./request_fields";
import { evaluate, ExprError, type ExprEnv } from "./expressions";

/**
 * `hyperstep/translationCache` { gva?: string (an expression) | number, maxBlocks?: number (1..10000,
 * default 1000) }: binary translation's translation cache for a panel or any DAP client. Its
 * statistics, and its blocks (the one covering `gva`, else every block, most recently used first,
 * at most `maxBlocks`), each with how many times it ran and each guest instruction beside its TC
 * instruction, with what the translator made of it and why, and where a chained word now jumps.
 */
export interface TranslationCacheBody {
  technique: string;
  /** False under every other technique: the rest is empty. */
  available: boolean;
  message?: string;
  stats?: Omit<TcStats, "va"> & { va: string };
  blocks: WireTcBlock[];
  /** Blocks left out by `maxBlocks`. */
  more: number;
}

export interface WireTcBlock {
  guestPc: string;
  /** The guest symbol at or before the block, e.g. "add_round" or "loop+8". */
  symbol?: string;
  /** The shadow context it was translated in. */
  context: string;
  /** Times control entered it at its start since it was translated, chained runs included. */
  runs: number;
  rows: WireTcRow[];
}

export interface WireTcRow {
  guestPc: string;
  /** The guest instruction, disassembled; null for a block-end stub (which stands for no guest instruction). */
  guest: string | null;
  tcVa: string;
  /** The TC instruction as it is now (a chain patches it), disassembled. */
  tc: string;
  /** copied, branch, the callout's kind, or a stub. */
  how: string;
  /** Why, in words; "chained: …" once a chain patched it. */
  why: string;
  /** Where a chained word now goes (a TC address). */
  chainedTo: string | null;
  /** How many times it ran, where that is counted (a block's first word, a transfer's target inside it); else null. */
  runs: number | null;
}

export function translationCacheBody(target: Target, args: unknown, env: () => ExprEnv): TranslationCacheBody {
  const maxBlocks = intArg(args, "maxBlocks", 1, 10_000, 1000);
  const gva = field(args, "gva");
  const tc = target.vmm?.stats().tc;
  if (!target.vmm || !tc) return { technique: target.technique, available: false, message: `the ${target.technique} technique has no translation cache`, blocks: [], more: 0 };
  let blocks: TcBlockView[];
  if (gva === undefined) blocks = target.vmm.tcBlocks().reverse();
  else if (typeof gva === "number" && Number.isSafeInteger(gva) && gva >= 0) blocks = wanted(target.vmm.tcBlock(BigInt(gva)));
  else if (typeof gva === "string" && gva.trim() !== "") blocks = wanted(target.vmm.tcBlock(evaluate(gva, env())));
  else throw new ExprError("'gva' must be an expression (a string) or a non-negative integer");
  const symbols = env().symbols;
  const text = (bits: number, pc: number) => disassemble(bits, BigInt(pc)).text.replace(/\t/g, " ");
  return {
    technique: target.technique, available: true, stats: { ...tc, va: hex(BigInt(tc.va)) }, more: Math.max(0, blocks.length - maxBlocks),
    blocks: blocks.slice(0, maxBlocks).map((b) => {
      const symbol = symbols.describe(BigInt(b.guestPc));
      return {
        guestPc: hex(BigInt(b.guestPc)), ...(symbol ? { symbol } : {}), context: b.context, runs: b.runs,
        rows: b.rows.map((r) => ({
          guestPc: hex(BigInt(r.guestPc)), guest: r.guest ? text(r.guest.bits, r.guestPc) : null,
          tcVa: hex(BigInt(r.tcVa)), tc: text(r.tcBits, r.tcVa), how: r.how, why: tcRowWhy(r),
          chainedTo: r.chainedTo === undefined ? null : hex(BigInt(r.chainedTo)), runs: r.runs ?? null,
        })),
      };
    }),
  };
}

function wanted(b: TcBlockView | undefined): TcBlockView[] {
  return b ? [b] : [];
}
