import { test } from "node:test";
import assert from "node:assert/strict";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { guest, launch, repl, stopAfter, value, withClient } from "../support/dap";

const PAGING = guest("paging.S");

/** Runs paging.S to s_done: Sv39 on, S-mode, the store through va 0x40000000 done. */
async function inSMode(dc: DebugClient): Promise<void> {
  await launch(dc, PAGING);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "s_done" }] });
  await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
}

test("under Sv39, va and pa references read the same bytes through the page tables", async () => {
  await withClient(async (dc) => {
    await inSMode(dc);
    assert.equal(await value(dc, "$priv"), 1n);
    assert.equal(await value(dc, "satp.MODE"), 8n);
    assert.equal(await value(dc, "*(u64*)0x40000000"), 0x1234n);
    const va = (await dc.customRequest("readMemory", { memoryReference: "va:0x40000000", count: 8 })).body;
    const pa = (await dc.customRequest("readMemory", { memoryReference: "pa:0x80200000", count: 8 })).body;
    assert.equal(va.data, pa.data);
    assert.equal(Buffer.from(va.data, "base64").readBigUInt64LE(), 0x1234n);
    const unmapped = (await dc.customRequest("readMemory", { memoryReference: "va:0xc0000000", count: 8 })).body;
    assert.equal(unmapped.unreadableBytes, 8);
    assert.match(await repl(dc, "x/1xg pa:0x80200000"), /0x0000000000001234/);
  });
});

test("walk shows every level, and info tlb and the TLB scope show cached entries", async () => {
  await withClient(async (dc) => {
    await inSMode(dc);
    const walk = await repl(dc, "walk 0x40000010");
    assert.match(walk, /for a read at S-mode/);
    assert.match(walk, /level 2: PTE at pa 0x80002008 = 0x[0-9a-f]{16} {2}→ next table at pa 0x80003000/);
    assert.match(walk, /level 1: PTE at pa 0x80003000 = 0x[0-9a-f]{16} {2}leaf VRW--GAD|level 1: PTE at pa 0x80003000 = 0x[0-9a-f]{16} {2}leaf VRW---AD/);
    assert.match(walk, /result: va 0x40000010 → pa 0x80200010/);
    assert.match(walk, /TLB: cached → pa 0x80200010 .*agrees/);
    const fault = await repl(dc, "walk 0xc0000000");
    assert.match(fault, /result: load-page-fault \(cause 13\)/);
    assert.match(await repl(dc, "walk 0x40000000 x"), /fetch-page-fault/);
    const tlb = await repl(dc, "info tlb");
    assert.match(tlb, /0x0000000040000000 {2}0x0000000080200000 {2}2M/);
    const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
    const tlbScope = scopes.find((s) => s.name === "TLB")!;
    assert.equal(tlbScope.expensive, true);
    const entries = (await dc.variablesRequest({ variablesReference: tlbScope.variablesReference })).body.variables;
    const entry = entries.find((e) => e.name.startsWith("va 0x40000000"));
    assert.ok(entry, entries.map((e) => e.name).join(", "));
    assert.match(entry.value, /^pa 0x80200000 2M VRW-/);
    assert.equal(entry.memoryReference, "pa:0x80200000");
  });
});

test("a data breakpoint on a virtual address watches the physical bytes it maps to", async () => {
  await withClient(async (dc) => {
    await launch(dc, PAGING);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "s_entry" }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: "va:0x40000000/8", accessType: "write" }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    assert.match(set.body.breakpoints[0].message ?? "", /pa 0x80200000/);
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, "data breakpoint");
    assert.equal(await value(dc, "*(u64*)0x40000000"), 0x1234n);
  });
});
