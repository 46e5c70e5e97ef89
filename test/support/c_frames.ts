/**
 * The C view of every frame, as gdb-multiarch shows it (through Hyperstep's GDB stub) and as the
 * Variables view shows it over DAP, in one shape so that tests can compare them value for value.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { gdb, hyperstep } from "./gdb";
import { ROOT } from "./guests";

const T = { threadId: 1 };
const FRAMES_SCRIPT = path.join(ROOT, "test/support/gdb_frames.py");

/** One frame as both debuggers are compared on. */
export interface FrameView {
  name: string;
  /** gdb only: whether the frame's function has DWARF. */
  c?: boolean;
  pc: string;
  line: number;
  vars: Record<string, string>;
}

const sorted = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)));

/**
 * gdb's view of every frame after each `hsframes` among `commands` (run after gdb attaches to
 * `hyperstep run ELF --gdb`); there must be `views` of them.
 */
export async function gdbViews(elf: string, commands: string[], views: number): Promise<FrameView[][]> {
  const run = await hyperstep(elf);
  // gdb's default `print symbol on`: a pointer shows the symbol it points into, as the Variables view does.
  // The value each argument has now, as the Variables view shows it (not also its value on entry).
  const session = gdb(elf, run.port, [`source ${FRAMES_SCRIPT}`, "set print entry-values no", ...commands, "kill"]);
  // A breakpoint hit fewer times than expected would leave gdb in `continue` for ever.
  const timer = setTimeout(() => {
    session.child.kill();
    run.child.kill();
  }, 120_000);
  const g = await session.done;
  await run.done;
  clearTimeout(timer);
  const seen = [...g.stdout.matchAll(/^HSFRAMES (.*)$/gm)].map((m) => JSON.parse(m[1]) as FrameView[]);
  assert.equal(seen.length, views, `gdb showed the frames ${seen.length} times, not ${views}:\n${g.stdout}\n${g.stderr}`);
  // An assembly frame (`_start`) whose return address ends a C unit's line sequence: gdb gives it
  // the line of the unit's last row, Hyperstep none (its line map ends rows at the next row, not at
  // the sequence's end). Only there are lines not compared.
  return seen.map((frames) => frames.map(({ c, ...f }) => ({ ...f, pc: BigInt(f.pc).toString(16), line: c ? f.line : 0, vars: sorted(f.vars) })));
}

/** A DAP variable as gdb prints a value: structs and arrays with their members, `{x = 1, y = 2}`, `{1, 2}`. */
async function render(dc: DebugClient, v: DebugProtocol.Variable): Promise<string> {
  if (v.variablesReference === 0 || !(v.value === "{...}" || /^\[\d+\]$/.test(v.value))) return v.value;
  const children = (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
  const parts = await Promise.all(children.map(async (c) => (c.name.startsWith("[") ? render(dc, c) : `${c.name} = ${await render(dc, c)}`)));
  return `{${parts.join(", ")}}`;
}

/** The call stack with each frame's Locals scope, as the client shows them. */
export async function dapFrames(dc: DebugClient): Promise<FrameView[]> {
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
export async function watchesAgree(dc: DebugClient, frames: FrameView[]): Promise<void> {
  const ids = (await dc.stackTraceRequest(T)).body.stackFrames.map((f) => f.id);
  for (const [i, f] of frames.entries()) {
    for (const [name, shown] of Object.entries(f.vars)) {
      const watched = await dc.evaluateRequest({ expression: name, context: "watch", frameId: ids[i] }).then((r) => r.body.result, () => "<error>");
      const expected = shown.startsWith("<") && shown !== "<optimized out>" ? "<error>" : shown;
      assert.equal(watched, expected, `${name} in frame ${i} (${f.name}) at ${f.pc}`);
    }
  }
}
