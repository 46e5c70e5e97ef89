/**
 * Calls the compiler inlined (DW_TAG_inlined_subroutine), against gdb-multiarch on the same guest
 * built at -O2 as xv6 is: the call stack shows a frame for each inlined call, with its arguments
 * and locals; Step Over goes over an inlined call as gdb's `next` does, Step Into enters it as
 * `step` does, and Step Out leaves it as `finish` does. After every step, the frames (function, pc,
 * line) and their variables must be gdb's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { dapFrames, gdbViews, watchesAgree, type FrameView } from "../support/c_frames";
import { guest, launch, stopAfter, withClient } from "../support/dap";
import { buildWithGcc } from "../support/guests";

const T = { threadId: 1 };
const SOURCE = guest("c_inline.c");
/** Steps from the breakpoint in work to its return into boot (one more would spin in boot's endless loop). */
const STEPS = 7;
/** The line in scale's body that the third scenario breaks at. */
const SCALE_LINE = readFileSync(SOURCE, "utf8").split("\n").findIndex((l) => l.includes("/* stop: scale */")) + 1;

type Step = "next" | "step" | "finish";
const DAP: Record<Step, (dc: DebugClient) => Promise<unknown>> = {
  next: (dc) => dc.nextRequest(T),
  step: (dc) => dc.stepInRequest(T),
  finish: (dc) => dc.stepOutRequest(T),
};

/** A way to stop, then steps; each test compares the view at the stop and after every step. */
interface Scenario {
  name: string;
  gdbBreak: string;
  dapBreak: (dc: DebugClient) => Promise<unknown>;
  steps: Step[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "Step Over from a function breakpoint steps over each inlined call (gdb's next)",
    gdbBreak: "break work",
    dapBreak: (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "work" }] }),
    steps: Array<Step>(STEPS).fill("next"),
  },
  {
    name: "Step Into enters each inlined call and its nested ones (gdb's step)",
    gdbBreak: "break work",
    dapBreak: (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "work" }] }),
    steps: Array<Step>(STEPS - 1).fill("step"),
  },
  {
    name: "a line breakpoint in an inlined body shows its frames; Step Out leaves the call (gdb's finish)",
    gdbBreak: `break c_inline.c:${SCALE_LINE}`,
    dapBreak: (dc) => dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: SCALE_LINE }] }),
    steps: ["finish", "next"],
  },
];

async function hyperstepViews(elf: string, s: Scenario): Promise<FrameView[][]> {
  const views: FrameView[][] = [];
  await withClient(async (dc) => {
    await launch(dc, elf, {}, () => s.dapBreak(dc));
    for (const action of [() => dc.continueRequest(T), ...s.steps.map((k) => () => DAP[k](dc))]) {
      await stopAfter(dc, action);
      const frames = await dapFrames(dc);
      await watchesAgree(dc, frames);
      views.push(frames);
    }
  });
  return views;
}

describe("inlined calls match gdb-multiarch's view", { timeout: 300_000 }, () => {
  const elf = buildWithGcc(SOURCE, "c_inline_O2", ["-mcmodel=medany", "-O2"]);
  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const theirs = await gdbViews(elf, [s.gdbBreak, "continue", "hsframes", ...s.steps.flatMap((k) => [k, "hsframes"])], s.steps.length + 1);
      const ours = await hyperstepViews(elf, s);
      for (const [i, view] of theirs.entries()) assert.deepEqual(ours[i], view, `after ${i === 0 ? "the breakpoint" : `${s.steps[i - 1]} ${i}`} (${path.basename(SOURCE)}:${view[0]?.line})`);
    });
  }
});
