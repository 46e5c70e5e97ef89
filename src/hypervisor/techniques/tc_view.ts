import type { CalloutKind } from "./bt_translator";

/** Binary translation's translation cache as the debugger and the CLI see it (binary_translation.ts). */

export interface TcStats {
  /** Where the TC is mapped for the hart (guest-virtual), and how many times the guest's own mappings moved it there. */
  va: number;
  relocations: number;
  blocks: number;
  bytesUsed: number;
  bytes: number;
  /**
   * Blocks translated, whole-TC flushes (a change of the guest's PMP), and blocks dropped one by one:
   * invalidated by writes to their guest code, evicted (LRU) to make room, dropped after an
   * sfence.vma because their page no longer translates as it did; and fenced blocks kept, their
   * translation found unchanged.
   */
  translated: number;
  flushes: number;
  invalidated: number;
  evicted: number;
  fenced: number;
  refenced: number;
  /** Guest pages write-protected because code was translated from them, and code pages whose code runs directly instead (they are also busy data). */
  protectedPages: number;
  directPages: number;
  /** TC words patched to jump straight to another block, now. */
  chains: number;
  /** Lookups of a guest pc in the TC (dispatches, chains followed, indirect jumps), and how many found a translation. */
  lookups: number;
  hits: number;
  /** CSR accesses run inline (no exit: bt_inline_csr.ts). */
  inlineCsr: number;
}

/** One TC instruction of a block beside the guest instruction it stands for. */
export interface TcRow {
  /** Its host-virtual address in the TC, and its bits now (a chain patches them). */
  tcVa: number;
  tcBits: number;
  /** The guest pc the guest is at when the hart is about to run it. */
  guestPc: number;
  /** The guest instruction it translates (absent for a block-end stub). */
  guest?: { bits: number; length: 2 | 4 };
  /** copied, a callout (its kind), a branch to a stub, or a chain: a jump straight to another translation. */
  how: "copied" | "branch" | CalloutKind;
  /** Where a chained word or a chained branch now goes (a TC address), if it was patched. */
  chainedTo?: number;
  /**
   * How many times it ran, where that is counted: a block's first instruction since the block was
   * translated, and a transfer's target inside a block since the first transfer there.
   */
  runs?: number;
}

export interface TcBlockView {
  guestPc: number;
  /** The shadow context it was translated in. */
  context: string;
  /** Times control entered it at its start since it was translated, chained runs included (counted by the hart): its first row's runs. */
  runs: number;
  rows: TcRow[];
}
