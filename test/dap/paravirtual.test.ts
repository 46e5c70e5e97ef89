import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../support/guests";
import { failing, launch, repl, stopAfter, withClient } from "../support/dap";

const LESSON = path.join(ROOT, "sample-guests", "paravirtual", "pv_kernel.S");
const ECHO = path.join(ROOT, "sample-guests", "paravirtual", "pv_echo.S");
const SHADOW = path.join(ROOT, "sample-guests", "shadow-paging", "shadow_paging.S");

describe("the paravirtual lesson under technique \"paravirtual\"", () => {
  test("runs to its end with its output", async () => {
    await withClient(async (dc) => {
      const out: string[] = [];
      dc.on("output", (e) => {
        if (e.body.category === "stdout") out.push(e.body.output);
      });
      await launch(dc, LESSON, { technique: "paravirtual" });
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      const text = out.join("");
      assert.match(text, /^pv-kernel: booted under the Hyperstep PV ABI v1/);
      assert.match(text, /refused \(EPERM\): mapping a page-table page writable\n.*refused \(EPERM\): mapping a frame that is not ours\n/);
      assert.match(text, /user: hello from the process/);
      assert.match(text, /the process exited; back on the boot tables; shutting down\n$/);
    });
  });

  test("a hypercall filter with count > 1 stops on the batched mmu_update, and the console names hypercalls with their arguments", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, { technique: "paravirtual" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-hypercall-mmu-update", condition: "count > 1" }] }));
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, "exception");
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.exceptionId, /^VM exit \d+: hypercall mmu_update$/);
      assert.match(info.description!, /hypercall = mmu_update\(0x[0-9a-f]+, 0x5\)/);
      assert.match(info.description!, /count = 5/);
      const raw = await repl(dc, "exits 3");
      for (const line of raw.split("\n")) assert.ok(line.length <= 80, `a line of ${line.length} characters wraps in the Debug Console: ${line}`);
      const exits = raw.replace(/\s+/g, " ");
      assert.match(exits, /hypercall-mmuext 0x[0-9a-f]+ <_start\+0x[0-9a-f]+> ecall mmuext_op\(0x[0-9a-f]+, 0x3\) → ok: pin_table, pin_table, pin_table/);
      assert.match(exits, /hypercall-mmu-update 0x[0-9a-f]+ <_start\+0x[0-9a-f]+> ecall mmu_update\(0x[0-9a-f]+, 0x5\) → ok: validated and wrote 5 page-table entries in one exit/);
      const pv = await repl(dc, "pv");
      assert.match(pv, /^start info at 0x[0-9a-f]+: \d+ frames from machine frame 0x[0-9a-f]+/);
      assert.match(pv, /pinned roots \(level 2\): 0x[0-9a-f]+ 0x[0-9a-f]+\n/, "the boot root and the process's");
      assert.match(pv, /timer on port 0/);
      const calls = (await repl(dc, "hypercalls mmu_update")).replace(/\s+/g, " ");
      assert.match(calls, /^exit reason guest pc and instruction, then what the VMM did \d+ hypercall-mmu-update .*mmu_update\(0x[0-9a-f]+, 0x5\)/);
      assert.doesNotMatch(calls, /console_io/);
      assert.match(await repl(dc, "hypercalls 2"), /mmuext_op[\s\S]*mmu_update/);
      // The refused update that follows has count 1: the filter does not stop there, and the run ends.
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
    });
  });

  test("op == \"new_baseptr\" stops on the batch that switches address spaces, where the Page Tables panel's data show machine frames, pseudo-physical frames and pinned tables", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, { technique: "paravirtual" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-hypercall-mmuext", condition: 'op == "new_baseptr"' }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.description!, /op = new_baseptr,tlb_flush_all/, "a batch of two: new_baseptr is one of them");
      const pv = await repl(dc, "pv");
      const root = /address space: root (0x[0-9a-f]+), ASID 1/.exec(pv)![1];
      const tables = (await dc.customRequest("hyperstep/pageTables", {})).body;
      const [guest] = tables.trees;
      assert.equal(guest.root.addr, `0x${(BigInt(root) * 4096n).toString(16)}`, "the process's root, as the hart walks it: a machine address");
      assert.equal(tables.directPaging.m2p.length, 1);
      assert.deepEqual(tables.directPaging.pinned.filter(([, level]: [string, number]) => level === 2).map(([hpa]: [string, number]) => hpa).sort(),
        (/pinned roots \(level 2\): (.*)\n/.exec(pv)![1]).split(" ").map((mfn) => `0x${(BigInt(mfn) * 4096n).toString(16)}`).sort(), "the pinned roots, as pv lists them");
      const walk = (await dc.customRequest("hyperstep/walk", { address: "_start", access: "x" })).body;
      assert.equal(walk.walks[0].steps[0].pteAddr, `hpa:0x${(BigInt(root) * 4096n + 16n).toString(16)}`, "entry 2 of the process's root");
      assert.match(walk.walks[0].steps[0].notes[0], /^table: machine frame 0x[0-9a-f]+ = pseudo-physical frame 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\), pinned as a level-2 table$/);
      assert.match(walk.walks[0].steps[1].notes[0], /pinned as a level-1 table$/, "the kernel's level-1 table, shared with the boot address space");
      assert.match(walk.result.text, /^hpa 0x[0-9a-f]+ = pseudo-physical 0x80000000 \(frame 0x0\)$/);
      assert.match(await repl(dc, "shadow _start"), /^direct paging: no shadow/);
      assert.equal((await dc.customRequest("hyperstep/pageTables", {})).body.trees.length, 1, "asking for a shadow made none");
    });
  });

  test("a pv-violation filter stops on the kernel's satp write", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, { technique: "paravirtual" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-pv-violation" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.exceptionId, /^VM exit \d+: PV violation$/);
      assert.match(info.description!, /privileged for a paravirtual kernel/);
    });
  });

  test("typed input (hyperstep/uartInput) reaches the echo kernel as console events, read with console_io", async () => {
    await withClient(async (dc) => {
      const out: string[] = [];
      dc.on("output", (e) => {
        if (e.body.category === "stdout") out.push(e.body.output);
      });
      await launch(dc, ECHO, { technique: "paravirtual" });
      await dc.continueRequest({ threadId: 1 });
      await dc.customRequest("hyperstep/uartInput", { text: "hi" });
      await new Promise((res) => setTimeout(res, 200));
      const exited = dc.waitForEvent("exited");
      await dc.customRequest("hyperstep/uartInput", { text: " pv\r" });
      assert.equal((await exited).body.exitCode, 0);
      assert.match(out.join(""), /type a line; each event's input comes back\nhi pv\npv-echo: end of the line; shutting down\n$/);
    });
  });

  test("an ordinary guest is refused, saying why", async () => {
    await withClient(async (dc) => {
      await dc.initializeRequest();
      const msg = await failing(dc.launch({ program: SHADOW, technique: "paravirtual" } as never));
      assert.match(msg, /runs only a kernel written for the VMM, one that defines the symbol hyperstep_pv_abi/);
    });
  });
});
