import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { failing, guest, launch, lineOf, stopAfter, topFrame, value, withClient } from "../support/dap";
import { CLIENT_CAPABILITIES } from "../support/dap";

const CALLS = guest("calls.S");
const T = { threadId: 1 };

describe("data breakpoints", () => {
  test("dataBreakpointInfo: symbols, loads, addresses; registers and nonsense are refused", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const sym = await dc.dataBreakpointInfoRequest({ name: "counter" });
      assert.equal(sym.body.dataId, "va:0x800010a0/8");
      assert.deepEqual(sym.body.accessTypes, ["write", "read", "readWrite"]);
      const load = await dc.dataBreakpointInfoRequest({ name: "*(u32*)(counter + 4)" });
      assert.equal(load.body.dataId, "va:0x800010a4/4");
      const addr = await dc.dataBreakpointInfoRequest({ name: "0x800010a0", asAddress: true, bytes: 2 } as DebugProtocol.DataBreakpointInfoArguments);
      assert.equal(addr.body.dataId, "va:0x800010a0/2");
      const phys = await dc.dataBreakpointInfoRequest({ name: "pa:0x800010a0", asAddress: true, bytes: 8 } as DebugProtocol.DataBreakpointInfoArguments);
      assert.equal(phys.body.dataId, "pa:0x800010a0/8");
      const regsRef = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      const reg = await dc.dataBreakpointInfoRequest({ variablesReference: regsRef, name: "sp" });
      assert.equal(reg.body.dataId, null);
      assert.match(reg.body.description, /can watch memory only/);
      const junk = await dc.dataBreakpointInfoRequest({ name: "a0 +" });
      assert.equal(junk.body.dataId, null);
      const value_ = await dc.dataBreakpointInfoRequest({ name: "a0 + 1" });
      assert.equal(value_.body.dataId, null);
      assert.match(value_.body.description, /not a memory location/);
    });
  });

  test("a write watch stops after the store, with the breakpoint's id", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: "va:0x800010a0/8", accessType: "write" }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "data breakpoint");
      assert.deepEqual(stop.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
      assert.match(stop.body.description ?? "", /write of 8 bytes at pa 0x800010a0/);
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "inner-ret"));
      assert.equal(await value(dc, "*(u64*)counter"), 1n);
      await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(await value(dc, "*(u64*)counter"), 2n);
    });
  });

  test("a read watch stops where the guest reads, and conditions apply", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: "pa:0x800010a8/4", accessType: "read", condition: "t1 == 'l'" }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal((await topFrame(dc)).name.replace(/\+.*/, ""), "puts");
      assert.equal(await value(dc, "t1"), BigInt("l".charCodeAt(0)));
      assert.equal(await value(dc, "a0"), 0x800010aan, "the third byte");
    });
  });

  test("bad data breakpoints are not verified", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setDataBreakpointsRequest({
        breakpoints: [{ dataId: "whatever" }, { dataId: "va:0x80000000/100000" }, { dataId: "gpa:0x80000000/4" }, { dataId: "va:0x800010a0/8", hitCondition: "x" }],
      });
      assert.deepEqual(r.body.breakpoints.map((b) => b.verified), [false, false, false, false]);
      assert.match(r.body.breakpoints[0].message!, /not a data breakpoint id/);
      assert.match(r.body.breakpoints[1].message!, /at most 4096 bytes/);
      assert.match(r.body.breakpoints[2].message!, /gpa address space does not exist/);
    });
  });

  test("clearing data breakpoints lets the guest run on", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: "va:0x800010a0/8" }] });
      await dc.setDataBreakpointsRequest({ breakpoints: [] });
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest(T);
      assert.equal((await exited).body.exitCode, 0);
    });
  });
});

describe("exception breakpoints", () => {
  test("initialize offers one filter per trap cause, with conditions", async () => {
    await withClient(async (dc) => {
      const caps = (await dc.initializeRequest(CLIENT_CAPABILITIES)).body!;
      const ids = caps.exceptionBreakpointFilters!.map((f) => f.filter);
      for (const id of ["illegal-instruction", "ecall-u", "ecall-s", "ecall-m", "load-page-fault", "store-page-fault", "fetch-page-fault", "misaligned-load", "misaligned-store", "interrupt-mti", "interrupt-mei", "interrupt-sti"]) {
        assert.ok(ids.includes(id), id);
      }
      assert.ok(caps.exceptionBreakpointFilters!.every((f) => f.supportsCondition));
      for (const cap of ["supportsDataBreakpointBytes", "supportsInstructionBreakpoints", "supportsExceptionFilterOptions", "supportsDisassembleRequest", "supportsSteppingGranularity", "supportsReadMemoryRequest", "supportsWriteMemoryRequest", "supportsLogPoints", "supportsCompletionsRequest", "supportsLoadedSourcesRequest"] as const) {
        assert.equal(caps[cap], true, cap);
      }
    });
  });

  test("an illegal instruction stops in the handler; exceptionInfo decodes it", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setExceptionBreakpointsRequest({ filters: ["illegal-instruction"] });
      assert.deepEqual(r.body?.breakpoints?.map((b) => b.verified), [true]);
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "exception");
      assert.match(stop.body.text ?? "", /^illegal-instruction at 0x/);
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "handler"));
      const info = await dc.exceptionInfoRequest(T);
      assert.equal(info.body.exceptionId, "illegal-instruction");
      assert.equal(info.body.breakMode, "always");
      assert.match(info.body.description ?? "", /Illegal instruction \(illegal-instruction, cause 2\)/);
      assert.match(info.body.description ?? "", /in M-mode, handled in M-mode/);
      assert.match(info.body.description ?? "", /instruction: /);
      assert.equal(await value(dc, "$cause"), 2n);
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest(T);
      assert.equal((await exited).body.exitCode, 0, "the ecall does not stop: its filter is off");
    });
  });

  test("filterOptions conditions decide; $epc is the trapping pc", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "illegal-instruction", condition: "$epc == 0" }, { filterId: "ecall-m", condition: "mcause == 11 && $tval == 0" }] });
      assert.deepEqual(r.body?.breakpoints?.map((b) => b.verified), [true, true]);
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.match(stop.body.text ?? "", /^ecall-m/);
      const info = await dc.exceptionInfoRequest(T);
      assert.equal(info.body.exceptionId, "ecall-m");
      assert.match(info.body.description ?? "", /instruction: ecall/);
      const st = await dc.stackTraceRequest(T);
      assert.equal(st.body.stackFrames[1].line, lineOf(CALLS, "ecall"));
    });
  });

  test("unknown filters and bad conditions are reported; exceptionInfo needs an exception stop", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setExceptionBreakpointsRequest({ filters: ["no-such-trap"], filterOptions: [{ filterId: "ecall-m", condition: "(((" }] });
      assert.deepEqual(r.body?.breakpoints?.map((b) => b.verified), [false, false]);
      assert.match(r.body!.breakpoints![0].message!, /unknown exception filter/);
      assert.match(await failing(dc.exceptionInfoRequest(T)), /did not stop on an exception/);
    });
  });
});
