import { interpret, Mode } from "./exec";
import type { Hart } from "./hart";
import { enterCodePage } from "./mem";
import { type Region, translatePage } from "./translate";

/**
 * The dispatcher: runs the hart until `budget` more steps are done or something needs the board
 * (h.yieldReq), choosing per code page between translated code (translate.ts) and the interpreter
 * (exec.ts).
 *
 *  - In a page without a region, the interpreter runs until the pc leaves the page (or CHUNK
 *    instructions, so that a loop that never leaves its page is noticed), and the instructions are
 *    counted as the page's heat; the pcs where control entered the page are kept as seeds. A page
 *    whose heat reaches the threshold is translated from its seeds. Each time a page's region had to
 *    be dropped (its code was written), the threshold for it doubles, so code that keeps changing
 *    stays interpreted.
 *  - In a page with a valid region (same virtual page, breakpoints unchanged), a pc that starts one
 *    of its blocks enters it. Otherwise (a jump into the middle of code the region never saw, or
 *    right after the region bailed), the interpreter runs to the end of that block; once
 *    MISSES_TO_REBUILD misses have been seen, the pcs missed are added as seeds and as the targets of
 *    the page's indirect jumps (that is how a switch's cases are learned) and the region is rebuilt,
 *    keeping its unchanged functions, at most MAX_GENERATIONS times.
 *
 * Runs of one instruction (step) and the first instruction of a run that starts on a breakpoint
 * use the interpreter alone.
 */

const CHUNK = 8192;
/**
 * Rounds in which the interpreter ran (after a bail, a miss, or in a page without a region) per call;
 * a CHUNK counts as CHUNK_ROUNDS of them. The board looks at its caller's clock only between calls
 * (yield_check.ts), and a loop whose every round leaves translated code (a CSR access each time) runs
 * 20 times slower than the fast path: without this cap a slice sized for fast code takes it seconds,
 * and --timeout and Ctrl-C wait. Rounds of translated code are not counted, so the fast path is never
 * cut short.
 */
const SLOW_ROUNDS = 4096;
const CHUNK_ROUNDS = 64;
/** Misses before a region is rebuilt with the missed pcs, and how many rebuilds a page gets. */
const MISSES_TO_REBUILD = 32;
const MAX_GENERATIONS = 8;
/** Seeds (entry pcs) kept per page. */
const MAX_SEEDS = 64;

export function runFast(h: Hart, budget: number): void {
  const end = h.retired + budget;
  if (!h.translator.enabled || budget < 2 || h.bpIgnore) {
    h.midBlock = !interpret(h, end, Mode.Run);
    return;
  }
  const stats = h.translatorStats;
  /** Whether control reached the pc by a transfer (a candidate leader) rather than by a bail or budget. */
  let fresh = !h.midBlock;
  let slow = SLOW_ROUNDS;
  while (h.retired < end && !h.yieldReq && slow > 0) {
    const pc = h.pcNum;
    let off = pc - h.cpBase;
    if (!(off >= 0 && off <= 4094)) {
      if (!enterCodePage(h, pc)) break;
      off = h.cpOff;
    }
    const vbase = h.cpBase;
    if (vbase !== vbase) {
      // Part of this page may not be fetched from: instruction by instruction, as the interpreter does.
      fresh = interpret(h, Math.min(end, h.retired + CHUNK), Mode.Run);
      slow -= CHUNK_ROUNDS;
      continue;
    }
    const page = h.cpRam / 4096;
    const region = validRegion(h, page, vbase);
    if (region !== undefined) {
      const entry = region.entries[off >> 1];
      if (entry >= 0) {
        const before = h.retired;
        const bailed = region.fns[entry >> 11](h, end, entry & 2047) !== 0;
        stats.translatedInstructions += h.retired - before;
        // After a bail the interpreter does the instruction the region left (and its block's rest).
        if (bailed && h.retired < end) {
          fresh = interpret(h, end, Mode.BlockEnd);
          slow--;
        } else fresh = true;
        continue;
      }
      if (fresh && noteMiss(h, page, region, off)) continue;
      fresh = interpret(h, end, Mode.BlockEnd);
      slow--;
      continue;
    }
    if (fresh) noteSeed(h, page, off);
    if (h.heat[page] >= h.translator.threshold * 2 ** h.invalidations[page]) {
      const known = h.pageSeeds.get(page);
      translate(h, page, vbase, known?.seeds ?? new Set([off]), known?.jumpTargets ?? new Set(), undefined);
      h.pageSeeds.delete(page);
      continue;
    }
    const before = h.retired;
    fresh = interpret(h, Math.min(end, before + CHUNK), Mode.LeavePage);
    h.heat[page] += h.retired - before;
    slow -= CHUNK_ROUNDS;
  }
  h.midBlock = !fresh;
}

/** The page's region if it was built for this virtual page and the page's breakpoints and counted slots are unchanged. */
function validRegion(h: Hart, page: number, vbase: number): Region | undefined {
  const r = h.regions[page];
  if (r === undefined) return undefined;
  const counts = h.execCounts;
  if (r.countVersion !== counts.version) {
    if (r.countPageVersion !== counts.pageVersion(page)) {
      // Its counted slots changed (exec_counts.ts): built again with the new ones, from the same seeds.
      h.regions[page] = undefined;
      h.pageSeeds.set(page, { seeds: r.seeds, jumpTargets: r.jumpTargets });
      return undefined;
    }
    r.countVersion = counts.version;
  }
  if (r.vbase !== vbase) {
    // The page is executed through another virtual page too: let it earn its translation again, at a
    // doubled threshold, rather than retranslating at every switch between the two.
    h.regions[page] = undefined;
    h.heat[page] = 0;
    if (h.invalidations[page] < 255) h.invalidations[page]++;
    return undefined;
  }
  const bps = h.breakpoints;
  if (r.bpVersion === bps.version) return r;
  if (bps.pageKey(vbase) === r.bpKey) {
    r.bpVersion = bps.version;
    return r;
  }
  h.regions[page] = undefined;
  h.pageSeeds.set(page, { seeds: r.seeds, jumpTargets: r.jumpTargets });
  return undefined;
}

function noteSeed(h: Hart, page: number, off: number): void {
  let known = h.pageSeeds.get(page);
  if (!known) h.pageSeeds.set(page, (known = { seeds: new Set(), jumpTargets: new Set() }));
  if (known.seeds.size < MAX_SEEDS) known.seeds.add(off);
}

/** Records a miss; true when the region was rebuilt to include the pcs missed so far. */
function noteMiss(h: Hart, page: number, r: Region, off: number): boolean {
  if (r.generation >= MAX_GENERATIONS) return false;
  if (r.missed.size < MAX_SEEDS) r.missed.add(off);
  if (++r.misses < MISSES_TO_REBUILD) return false;
  translate(h, page, r.vbase, new Set([...r.seeds, ...r.missed]), new Set([...r.jumpTargets, ...r.missed]), r);
  return true;
}

function translate(h: Hart, page: number, vbase: number, seeds: Set<number>, jumpTargets: Set<number>, previous: Region | undefined): void {
  const bps = h.breakpoints.size === 0 ? undefined : h.breakpoints.pageMap(vbase);
  h.regions[page] = translatePage(h, page, vbase, seeds, jumpTargets, bps, bps ? h.breakpoints.pageKey(vbase) : "", previous);
  h.translatorStats.compiled++;
}
