import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../support/guests";
import { launch, repl, stopAfter, withClient } from "../support/dap";

const NESTED = path.join(ROOT, "sample-guests", "nested-paging", "nested_paging.S");
const SUPERVISOR = path.join(ROOT, "sample-guests", "supervisor-boot", "supervisor_boot.S");

describe("console commands under hardware-assisted", () => {
  test("walk2 0x40000000 in S-mode with paging on: 15 PTE fetches through both stages", async () => {
    await withClient(async (dc) => {
      // `show` runs in S-mode after the guest has switched on address space A.
      await launch(dc, NESTED, { technique: "hardware-assisted" }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "show" }] }));
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, "breakpoint");
      const out = await repl(dc, "walk2 0x40000000");
      const lines = out.split("\n");
      assert.match(lines[0], /^walk2 gva 0x40000000: read from VS-mode; vsatp Sv39 ASID 1 root gpa 0x[0-9a-f]+; hgatp Sv39x4 VMID \d+ root hpa 0x[0-9a-f]+$/);
      const fetches = lines.filter((l) => /^\s*\d+\s+(VS|G)\s/.test(l));
      assert.equal(fetches.length, 15);
      assert.equal(fetches.map((l) => /^\s*\d+\s+(VS|G)/.exec(l)![1][0]).join(""), "GGGVGGGVGGGVGGG", "a G-stage walk before each VS PTE, then one for the data");
      assert.match(out, /G-stage walk of gpa 0x[0-9a-f]+ \(where the VS level-2 PTE lives\)/);
      assert.match(out, /ok {3}G: the leaf permits a read as a U-mode access \(U = 1\)/);
      assert.match(out, /A\/D {2}VS: A=1 D=1/);
      assert.match(lines.at(-1)!, /^result: gva 0x40000000 → gpa 0x[0-9a-f]+ → hpa 0x[0-9a-f]+; 15 memory references$/);
      const store = await repl(dc, "walk2 0x10000000 w");
      assert.match(store, /fault: store\/AMO guest-page fault \(cause 23\) at the G stage, gpa 0x10000000 \(htval 0x4000000\): the level-2 PTE at hpa 0x[0-9a-f]+ is not valid \(V = 0\); \d+ memory references$/);
      assert.match(await repl(dc, "shadow 0x40000000"), /^the guest runs in VS\/VU-mode, on no shadow: the hart walks its own table over the G stage/);
      assert.match(await repl(dc, "help"), /walk2 GVA \[r\|w\|x\]/);
      const completions = (await dc.completionsRequest({ text: "walk", column: 5 })).body.targets.map((t) => t.label);
      assert.ok(completions.includes("walk2"));
    });
  });

  test("stats compares with trap-and-emulate and native over the same instructions", async () => {
    await withClient(async (dc) => {
      await launch(dc, NESTED, { technique: "hardware-assisted" }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "show" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const stats = await repl(dc, "stats");
      assert.match(stats, /^total\s+\d+\s+\d+$/m, "this VM's own table first");
      const same = /compared over the same (\d+) instructions/.exec(stats);
      assert.ok(same, stats);
      const n = same[1];
      assert.match(stats, /^\s+hardware-assisted\s+native\s+trap-and-emulate\s+binary-translation\n\s+\(this VM\)$/m, "a column per technique, this VM's first");
      assert.match(stats, new RegExp(`^instructions\\s+${n}\\s+${n}\\s+${n}\\s+${n}$`, "m"));
      assert.match(stats, /^exits\s+\d+\s+0\s+\d+\s+\d+$/m, "native has no exits");
      assert.match(stats, /^exits\/M instr\s+[\d.]+\s+0\.0\s+[\d.]+\s+[\d.]+$/m);
      assert.match(stats, new RegExp(`^modelled cycles\\s+\\d+\\s+${n}\\s+\\d+\\s+\\d+$`, "m"), "native: one cycle per instruction");
      assert.match(stats, /^slowdown\s+×\d+\.\d\d\s+×1\.00\s+×\d+\.\d\d\s+×\d+\.\d\d$/m);
      assert.match(stats, /^exits by reason\n\S+\s+\d+\s+0\s+\d+\s+\d+$/m, "then the exits by reason, in the same columns");
    });
  });
});

describe("walk2 and stats elsewhere", () => {
  test("under trap-and-emulate walk2 points to shadow and walk; a supervisor-boot guest has no native run", async () => {
    await withClient(async (dc) => {
      await launch(dc, SUPERVISOR, { technique: "trap-and-emulate", boot: "supervisor" });
      await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      assert.match(await repl(dc, "walk2 pc"), /this VM runs trap-and-emulate.*`shadow <gva>`.*`walk <va>`/);
      const stats = await repl(dc, "stats");
      assert.match(stats, /^\s+trap-and-emulate\s+hardware-assisted\s+binary-translation$/m);
      assert.match(stats, /^instructions\s+1\s+1\s+1$/m);
      assert.match(stats, /^native: not run: boot "supervisor" \(the guest boots in S-mode\) needs firmware/m);
    });
  });

  test("under native walk2 says there is no second stage without the H extension", async () => {
    await withClient(async (dc) => {
      await launch(dc, NESTED, { technique: "native" });
      assert.equal(await repl(dc, "walk2 0x40000000"), "the hart has no H extension, so one stage of translation: use `walk <va>` for its page-table walk");
    });
  });
});
