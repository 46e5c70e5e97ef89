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
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { guest, launch, stopAfter, withClient } from "../support/dap";
import { gdb, hyperstep } from "../support/gdb";
import { buildWithGcc, ROOT } from "../support/guests";

const T = { threadId: 1 };
const FRAMES_SCRIPT = path.join(ROOT, "test/support/gdb_frames.py");

/** One frame as both debuggers are compared on. */
interface FrameView {
  name: string;
  /** gdb only: whether the frame's function has DWARF. */
  c?: boolean;
  pc: string;
  line: number;
  vars: Record<string, string>;
}

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

const sorted = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)));

/** gdb's view at the first `stops` breakpoint hits. */
async function gdbStops(elf: string, source: string, addresses: bigint[], stops: number): Promise<FrameView[][]> {
  const run = await hyperstep(elf);
  const commands = [
    `source ${FRAMES_SCRIPT}`,
    // gdb's default `print symbol on`: a pointer shows the symbol it points into, as the Variables view does.
    // The value each argument has now, as the Variables view shows it (not also its value on entry).
    "set print entry-values no",
    ...stopLines(source).map((l) => `break ${path.basename(source)}:${l}`),
    ...addresses.map((a) => `break *0x${a.toString(16)}`),
    ...Array.from({ length: stops }, () => ["continue", "hsframes"]).flat(),
    "kill",
  ];
  const session = gdb(elf, run.port, commands);
  // A breakpoint hit fewer times than expected would leave gdb in `continue` for ever.
  const timer = setTimeout(() => {
    session.child.kill();
    run.child.kill();
  }, 120_000);
  const g = await session.done;
  await run.done;
  clearTimeout(timer);
  const views = [...g.stdout.matchAll(/^HSFRAMES (.*)$/gm)].map((m) => JSON.parse(m[1]) as FrameView[]);
  assert.equal(views.length, stops, `gdb stopped ${views.length} times, not ${stops}:\n${g.stdout}\n${g.stderr}`);
  // An assembly frame (`_start`) whose return address ends a C unit's line sequence: gdb gives it
  // the line of the unit's last row, Hyperstep none (its line map ends rows at the next row, not at
  // the sequence's end). Only there are lines not compared.
  return views.map((frames) => frames.map(({ c, ...f }) => ({ ...f, pc: BigInt(f.pc).toString(16), line: c ? f.line : 0, vars: sorted(f.vars) })));
}

/** A DAP variable as gdb prints a value: structs and arrays with their members, `{x = 1, y = 2}`, `{1, 2}`. */
async function render(dc: DebugClient, v: DebugProtocol.Variable): Promise<string> {
  if (v.variablesReference === 0 || !(v.value === "{...}" || /^\[\d+\]$/.test(v.value))) return v.value;
  const children = (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
  const parts = await Promise.all(children.map(async (c) => (c.name.startsWith("[") ? render(dc, c) : `${c.name} = ${await render(dc, c)}`)));
  return `{${parts.join(", ")}}`;
}

async function dapFrames(dc: DebugClient): Promise<FrameView[]> {
  const frames = (await dc.stackTraceRequest(T)).body.stackFrames;
  return Promise.all(frames.map(async (f) => {
    const locals = (await dc.scopesRequest({ frameId: f.id })).body.scopes.find((s) => s.name === "Locals");
    const vars: Record<string, string> = {};
    if (locals) for (const v of (await dc.variablesRequest({ variablesReference: locals.variablesReference })).body.variables) vars[v.name] = await render(dc, v);
    return { name: f.name.replace(/\+.*/, ""), pc: BigInt(f.instructionPointerReference!).toString(16), line: f.line, vars: sorted(vars) };
  }));
}

/**
 * Each variable of each frame, watched as a C expression in that frame, reads as the Variables view
 * shows it: in registers, pieces and entry values as in memory. A variable that cannot be read for
 * another reason than the optimizer (`<the frame is not set up yet …>`) is an error there.
 */
async function watchesAgree(dc: DebugClient, frames: FrameView[]): Promise<void> {
  const ids = (await dc.stackTraceRequest(T)).body.stackFrames.map((f) => f.id);
  for (const [i, f] of frames.entries()) {
    for (const [name, shown] of Object.entries(f.vars)) {
      const watched = await dc.evaluateRequest({ expression: name, context: "watch", frameId: ids[i] }).then((r) => r.body.result, () => "<error>");
      const expected = shown.startsWith("<") && shown !== "<optimized out>" ? "<error>" : shown;
      assert.equal(watched, expected, `${name} in frame ${i} (${f.name}) at ${f.pc}`);
    }
  }
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
