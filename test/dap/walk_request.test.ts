import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { PageTablesBody, WalkBody } from "../../src/debug/custom_requests";
import { ROOT } from "../support/guests";
import { failing, guest, launch, repl, stopAfter, withClient } from "../support/dap";

const SHADOW = path.join(ROOT, "sample-guests", "shadow-paging", "shadow_paging.S");
const NESTED = path.join(ROOT, "sample-guests", "nested-paging", "nested_paging.S");

const walk = async (dc: DebugClient, args: Record<string, unknown>) => (await dc.customRequest("hyperstep/walk", args)).body as WalkBody;

/** Launches the shadow-paging lesson under trap-and-emulate and continues to the first exit the filter stops at. */
async function shadowLessonAt(dc: DebugClient, filterId: string, condition?: string, stops = 1): Promise<void> {
  await launch(dc, SHADOW, { technique: "trap-and-emulate" }, () =>
    dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId, ...(condition ? { condition } : {}) }] }));
  for (let i = 0; i < stops; i++) assert.equal((await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }))).body.reason, "exception");
}

describe("hyperstep/walk", () => {
  test("natively: the hart's own walk of an address or an expression, and errors that say what is wrong", async () => {
    await withClient(async (dc) => {
      await launch(dc, guest("paging.S"), {}, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "s_done" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const w = await walk(dc, { address: "0x40000010" });
      assert.deepEqual([w.technique, w.address, w.access, w.space, w.references], ["native", "0x40000010", "r", "va", 2]);
      assert.match(w.title, /^read from S-mode; satp Sv39 ASID 0 root pa 0x80002000$/);
      assert.deepEqual(w.walks.map((x) => [x.by, x.ok, x.end]), [["hart", true, "pa 0x80200010"]]);
      assert.deepEqual(w.walks[0].steps.map((s) => [s.stage, s.level, s.index, s.tree, s.pteAddr, s.ref]), [["s", 2, 1, "guest", "pa:0x80002008", 1], ["s", 1, 0, "guest", "pa:0x80003000", 2]]);
      assert.deepEqual(w.result, { kind: "translated", text: "pa 0x80200010", memoryReference: "pa:0x80200010" });
      const byNumber = await walk(dc, { address: 0x40000010, access: "x" });
      assert.equal(byNumber.result.kind, "fault");
      assert.match(byNumber.result.text, /^instruction page fault \(cause 12\): the S-stage leaf permits no execute \(X = 0\)$/);
      assert.equal((await walk(dc, { address: "pc" })).result.kind, "translated", "an expression");
      assert.match(await failing(dc.customRequest("hyperstep/walk", { address: "0x40000000", access: "rw" })), /'access' must be "r", "w" or "x"/);
      assert.match(await failing(dc.customRequest("hyperstep/walk", { address: "0x40000000", space: "gva" })), /no H extension/);
      assert.match(await failing(dc.customRequest("hyperstep/walk", {})), /'address' must be an expression/);
    });
  });

  test("trap-and-emulate, at the guest page-table write: the result is the stale HPA the hart still uses", async () => {
    await withClient(async (dc) => {
      await shadowLessonAt(dc, "vm-exit-guest-pt-write");
      const w = await walk(dc, { address: "0x40000000" });
      assert.deepEqual(w.walks.map((x) => x.by), ["guest", "hart"]);
      const guestEnd = /^gpa (0x[0-9a-f]+) = hpa (0x[0-9a-f]+) \(p2m\)$/.exec(w.walks[0].end);
      assert.ok(guestEnd, w.walks[0].end);
      const hartEnd = /^hpa (0x[0-9a-f]+)$/.exec(w.walks[1].end);
      assert.ok(hartEnd, w.walks[1].end);
      assert.notEqual(hartEnd[1], guestEnd[2], "the shadow still leads to the old page");
      assert.equal(w.result.kind, "stale");
      assert.equal(w.result.text, `stale: the hart still uses hpa ${hartEnd[1]}, although the guest's table now says gpa ${guestEnd[1]} = hpa ${guestEnd[2]}, until the guest's sfence.vma`);
      assert.equal(w.result.memoryReference, `hpa:${hartEnd[1]}`);
      assert.ok(w.walks[1].steps.every((s) => s.tree?.startsWith("shadow:sv39 ") && s.pteAddr.startsWith("hpa:")));
      assert.equal(w.references, 3);
      const shadow = await repl(dc, "shadow 0x10000000");
      assert.match(shadow, /^result: emulated device \(uart\): never shadowed, every access exits \(mmio-read\)$/m);
      assert.doesNotMatch(shadow, /hidden page fault/);
    });
  });

  test("trap-and-emulate, just after `csrw satp` to B: the shadow side is B's root, empty and active", async () => {
    await withClient(async (dc) => {
      await shadowLessonAt(dc, "vm-exit-csr-write", 'csr == "satp"', 2);
      const body = (await dc.customRequest("hyperstep/pageTables", {})).body as PageTablesBody;
      const active = body.trees.filter((t) => t.kind === "shadow" && t.active);
      assert.equal(active.length, 1);
      assert.match(active[0].id, /asid=2 S$/, "address space B's root");
      assert.deepEqual(active[0].root.entries, [], "not filled yet");
      assert.equal(Object.values(body.marks).flat().filter((m) => m[1] === "stale").length, 0, "nothing is stale");
      assert.deepEqual(body.marks.guest.map((m) => [m[0], m[1]]), [["0x0", "device"], ["0x40000000", "missing"], ["0x80000000", "missing"]]);
      const w = await walk(dc, { address: "0x40000000" });
      assert.equal(w.walks[1].steps[0].tree, active[0].id, "the hart walks B's root");
      assert.equal(w.result.kind, "hidden-fault");
    });
  });

  test("hardware-assisted: the two-stage walk, 15 references, and the UART an emulated device", async () => {
    await withClient(async (dc) => {
      await launch(dc, NESTED, { technique: "hardware-assisted" }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "show" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const w = await walk(dc, { address: "0x40000000" });
      assert.equal(w.references, 15);
      assert.deepEqual(w.walks.map((x) => x.by), ["hart"]);
      assert.equal(w.walks[0].steps.map((s) => s.stage[0]).join(""), "gggvgggvgggvggg");
      assert.deepEqual(w.walks[0].steps.filter((s) => s.begins).map((s) => s.begins!.purpose), [
        "where the VS level-2 PTE lives", "where the VS level-1 PTE lives", "where the VS level-0 PTE lives", "the access's guest-physical address",
      ]);
      assert.ok(w.walks[0].steps.filter((s) => s.stage === "vs").every((s) => s.tree === "guest" && s.pteAddr.startsWith("gpa:") && s.hpa?.startsWith("hpa:")));
      assert.equal(w.result.kind, "translated");
      assert.match(w.result.text, /^hpa 0x[0-9a-f]+ \(gpa 0x8[0-9a-f]{7}\)$/);
      const uart = await walk(dc, { address: "0x10000000", access: "w" });
      assert.deepEqual(uart.result, { kind: "device", text: "emulated device (uart): not in the G stage, every access exits (guest-page-fault)" });
      const g = await walk(dc, { address: "0x80000000", space: "gpa" });
      assert.deepEqual([g.references, g.result.kind], [3, "translated"]);
    });
  });
});
