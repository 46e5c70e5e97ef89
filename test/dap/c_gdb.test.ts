/**
 * Hyperstep's C view against gdb-multiarch's, on C guests built with Debian's gcc at -O0 and -Og
 * (DWARF 5 and 4, .debug_frame and .eh_frame): at each of several stops, the call stack (function,
 * pc, line of every frame) and every frame's arguments and locals must be what gdb shows, value for
 * value, `<optimized out>` included. gdb runs in batch mode against Hyperstep's own GDB stub; the
 * Variables view is read over DAP.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { dapFrames, gdbViews, watchesAgree, type FrameView } from "../support/c_frames";
import { guest, launch, stopAfter, withClient } from "../support/dap";
import { buildWithGcc } from "../support/guests";

const T = { threadId: 1 };

/** The lines of `source` holding a "stop:" comment. */
function stopLines(source: string): number[] {
  return readFileSync(source, "utf8").split("\n").flatMap((l, i) => (/\/\* (stop:|stop here|in \w+) /.test(l) ? [i + 1] : []));
}

/** A function's entry and its last instruction (the `ret`, after the frame is torn down), as nm gives them. */
function entryAndExit(elf: string, fn: string): bigint[] {
  const nm = execFileSync("riscv64-unknown-elf-nm", ["-S", elf], { encoding: "utf8" });
  const m = new RegExp(`^([0-9a-f]+) ([0-9a-f]+) \\w ${fn}$`, "m").exec(nm);
  assert.ok(m, `${fn} in ${elf}`);
  const at = BigInt(`0x${m[1]}`);
  return [at, at + BigInt(`0x${m[2]}`) - 2n];
}

/** gdb's view at the first `stops` breakpoint hits. */
function gdbStops(elf: string, source: string, addresses: bigint[], stops: number): Promise<FrameView[][]> {
  return gdbViews(elf, [
    ...stopLines(source).map((l) => `break ${path.basename(source)}:${l}`),
    ...addresses.map((a) => `break *0x${a.toString(16)}`),
    ...Array.from({ length: stops }, () => ["continue", "hsframes"]).flat(),
  ], stops);
}

/** Hyperstep's view at the first `stops` hits of the same breakpoints. */
async function hyperstepStops(elf: string, source: string, addresses: bigint[], stops: number): Promise<FrameView[][]> {
  const views: FrameView[][] = [];
  await withClient(async (dc) => {
    await launch(dc, elf, {}, async () => {
      await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: stopLines(source).map((line) => ({ line })) });
      await dc.customRequest("setInstructionBreakpoints", { breakpoints: addresses.map((a) => ({ instructionReference: `0x${a.toString(16)}` })) });
    });
    for (let i = 0; i < stops; i++) {
      await stopAfter(dc, () => dc.continueRequest(T));
      const frames = await dapFrames(dc);
      await watchesAgree(dc, frames);
      views.push(frames);
    }
  });
  return views;
}

const OPTIMIZED = guest("c_optimized.c");
/** Debian's gcc default target: doubles live in f registers, which frames and CFI must give too. */
const RV64GC = ["-march=rv64gc", "-mabi=lp64d"];
const BUILDS: { name: string; source: string; flags: string[]; entries: string[]; stops: number }[] = [
  { name: "-O0", source: OPTIMIZED, flags: [...RV64GC, "-O0"], entries: ["leaf", "mid"], stops: 16 },
  { name: "-Og (DWARF 5, .debug_frame)", source: OPTIMIZED, flags: [...RV64GC, "-Og"], entries: ["leaf", "mid"], stops: 16 },
  { name: "-Og (DWARF 4: .debug_loc and GNU call sites)", source: OPTIMIZED, flags: [...RV64GC, "-Og", "-gdwarf-4"], entries: ["leaf", "mid"], stops: 16 },
  { name: "-Og (.eh_frame only)", source: OPTIMIZED, flags: [...RV64GC, "-Og", "-fasynchronous-unwind-tables"], entries: ["leaf", "mid"], stops: 16 },
  { name: "-O0 (DWARF 2: member offsets as expressions, as xv6 is built)", source: OPTIMIZED, flags: [...RV64GC, "-O0", "-gdwarf-2"], entries: ["leaf", "mid"], stops: 16 },
  { name: "-O0, the Variables view guest", source: guest("c_locals.c"), flags: ["-O0"], entries: ["add", "walk"], stops: 5 },
];

describe("the C view matches gdb-multiarch's", { timeout: 300_000 }, () => {
  for (const b of BUILDS) {
    test(`${path.basename(b.source)} ${b.name}: backtraces, arguments and locals at every stop`, async () => {
      const tag = b.flags.join("").replace(/[^A-Za-z0-9]+/g, "_");
      const elf = buildWithGcc(b.source, `${path.basename(b.source, ".c")}_gdb${tag}`, ["-mcmodel=medany", ...b.flags]);
      const addresses = b.entries.flatMap((fn) => entryAndExit(elf, fn));
      const theirs = await gdbStops(elf, b.source, addresses, b.stops);
      const ours = await hyperstepStops(elf, b.source, addresses, b.stops);
      for (let i = 0; i < b.stops; i++) assert.deepEqual(ours[i], theirs[i], `stop ${i + 1} at ${theirs[i][0]?.name} ${theirs[i][0]?.pc}`);
    });
  }
});
