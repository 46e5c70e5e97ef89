import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { failing, guest, launch, lineOf, stopAfter, topFrame, value, withClient } from "../support/dap";

const CALLS = guest("calls.S");
const ECHO = guest("echo.S");
const T = { threadId: 1 };

async function read(dc: DebugClient, memoryReference: string, count: number, offset = 0) {
  return (await dc.customRequest("readMemory", { memoryReference, count, offset })).body as { address: string; data?: string; unreadableBytes?: number };
}

describe("readMemory and writeMemory", () => {
  test("reads by virtual and physical reference agree, with offsets", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const pc = (await topFrame(dc)).instructionPointerReference!;
      const va = await read(dc, pc, 16);
      const pa = await read(dc, "pa:0x80000000", 16);
      assert.equal(va.address, "0x0000000080000000");
      assert.equal(Buffer.from(va.data!, "base64").length, 16);
      assert.equal(va.data, pa.data);
      const off = await read(dc, "va:0x80000000", 8, 8);
      assert.equal(off.address, "0x0000000080000008");
      assert.deepEqual(Buffer.from(off.data!, "base64"), Buffer.from(pa.data!, "base64").subarray(8));
    });
  });

  test("unmapped memory is reported as unreadable, also at the end of RAM", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, { memory: "1M" });
      const none = await read(dc, "va:0x1000", 64);
      assert.equal(none.data, undefined);
      assert.equal(none.unreadableBytes, 64);
      const edge = await read(dc, "pa:0x800fff00", 512);
      assert.equal(Buffer.from(edge.data!, "base64").length, 256);
      assert.equal(edge.unreadableBytes, 256);
      const devices = await read(dc, "pa:0x10000000", 8);
      assert.equal(devices.unreadableBytes, 8, "device registers are never read by the debugger (reads have side effects)");
    });
  });

  test("bad references and spaces are errors", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      assert.match(await failing(dc.customRequest("readMemory", { memoryReference: "banana", count: 4 })), /not a memory reference/);
      assert.match(await failing(dc.customRequest("readMemory", { memoryReference: "gpa:0x80000000", count: 4 })), /gpa address space does not exist under the native technique/);
      assert.match(await failing(dc.customRequest("readMemory", { memoryReference: "0x80000000", count: -1 })), /count/);
    });
  });

  test("writes land in memory, send memory and invalidated events, and are all-or-nothing unless partial", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, { memory: "1M" });
      const mem = dc.waitForEvent("memory");
      const inv = dc.waitForEvent("invalidated");
      const w = await dc.customRequest("writeMemory", { memoryReference: "va:0x800010a0", data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).toString("base64") });
      assert.equal(w.body.bytesWritten, 8);
      assert.deepEqual((await mem).body, { memoryReference: "va:0x800010a0", offset: 0, count: 8 });
      await inv;
      assert.equal(await value(dc, "*(u64*)counter"), 0x0807060504030201n);
      const data = Buffer.alloc(32, 0xaa).toString("base64");
      assert.match(await failing(dc.customRequest("writeMemory", { memoryReference: "pa:0x800ffff0", data })), /not all of it is writable RAM/);
      const partial = await dc.customRequest("writeMemory", { memoryReference: "pa:0x800ffff0", data, allowPartial: true });
      assert.equal(partial.body.bytesWritten, 16);
      assert.match(await failing(dc.customRequest("writeMemory", { memoryReference: "pa:0x10000000", data })), /writable RAM/);
    });
  });

  test("writing code takes effect when it runs (no stale decoded instructions)", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      await stopAfter(dc, () => dc.stepInRequest({ ...T, granularity: "instruction" }));
      await stopAfter(dc, () => dc.stepInRequest({ ...T, granularity: "instruction" }));
      const pc = await value(dc, "pc");
      // li a5, 99 (addi a5, zero, 99), written over the next instruction
      const insn = Buffer.alloc(4);
      insn.writeUInt32LE(((99 << 20) | (15 << 7) | 0x13) >>> 0);
      await dc.customRequest("writeMemory", { memoryReference: `va:0x${pc.toString(16)}`, data: insn.toString("base64") });
      await stopAfter(dc, () => dc.stepInRequest({ ...T, granularity: "instruction" }));
      assert.equal(await value(dc, "a5"), 99n);
    });
  });
});

describe("disassemble", () => {
  test("instructions with symbols and source lines", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const inner = await value(dc, "inner");
      const r = await dc.disassembleRequest({ memoryReference: `0x${inner.toString(16)}`, instructionCount: 3 });
      const [first, second, third] = r.body!.instructions;
      assert.equal(first.address, "0x" + inner.toString(16).padStart(16, "0"));
      assert.equal(first.symbol, "inner");
      assert.match(first.instruction, /^auipc t0,0x1/);
      assert.equal(first.location?.path, CALLS);
      assert.equal(first.line, lineOf(CALLS, "inner"));
      assert.match(second.instruction, /<counter>/);
      assert.equal(third.line, lineOf(CALLS, "store"));
    });
  });

  test("VS Code's -200/+400 window is exact and centred on the reference", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inner" }] });
      await stopAfter(dc, () => dc.continueRequest(T));
      const ip = (await topFrame(dc)).instructionPointerReference!;
      const r = await dc.disassembleRequest({ memoryReference: ip, instructionOffset: -200, instructionCount: 600, resolveSymbols: true });
      const list = r.body!.instructions;
      assert.equal(list.length, 600);
      assert.equal(list[200].address, ip);
      const addrs = list.map((i) => BigInt(i.address));
      for (let i = 1; i < addrs.length; i++) assert.ok(addrs[i] >= addrs[i - 1], "ascending");
      const fromOutside = list.filter((i) => i.presentationHint === "invalid");
      assert.ok(fromOutside.length > 0, "memory below RAM is shown as invalid, not skipped");
      assert.equal(list[199].line, lineOf(CALLS, "outer-ret"), "the instruction before inner is outer's ret");
    });
  });

  test("a bad reference is an error", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      assert.match(await failing(dc.disassembleRequest({ memoryReference: "nowhere", instructionCount: 4 })), /not a memory reference/);
    });
  });
});

describe("sources", () => {
  test("loadedSources lists the program's sources; source returns their text", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const sources = (await dc.customRequest("loadedSources", {})).body.sources as { path?: string }[];
      assert.deepEqual(sources.map((s) => s.path), [CALLS]);
      const text = (await dc.sourceRequest({ source: { path: CALLS }, sourceReference: 0 })).body.content;
      assert.equal(text, readFileSync(CALLS, "utf8"));
      assert.match(await failing(dc.sourceRequest({ sourceReference: 77 })), /no source content/);
    });
  });

  test("a source whose file is gone is served by reference from the text it was assembled from", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-dap-"));
    const copy = path.join(dir, "gone.S");
    copyFileSync(CALLS, copy);
    try {
      await withClient(async (dc) => {
        await launch(dc, copy);
        rmSync(copy);
        const frame = await topFrame(dc);
        assert.ok((frame.source?.sourceReference ?? 0) > 0);
        const text = (await dc.sourceRequest({ source: frame.source, sourceReference: frame.source!.sourceReference! })).body.content;
        assert.equal(text, readFileSync(CALLS, "utf8"));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("UART", () => {
  test("input sent with hyperstep/uartInput reaches the guest, and its echo comes back", async () => {
    await withClient(async (dc) => {
      const out: string[] = [];
      dc.on("output", (e) => e.body.category === "stdout" && out.push(e.body.output));
      await launch(dc, ECHO);
      await dc.continueRequest(T);
      const r = await dc.customRequest("hyperstep/uartInput", { text: "héllo" });
      assert.equal(r.body.bytes, 6);
      const exited = dc.waitForEvent("exited");
      await new Promise((res) => setTimeout(res, 100));
      await dc.customRequest("hyperstep/uartInput", { text: "q" });
      assert.equal((await exited).body.exitCode, 0);
      assert.equal(out.join(""), "héllo");
    });
  });

  test("bad custom requests are errors", async () => {
    await withClient(async (dc) => {
      await launch(dc, ECHO);
      assert.match(await failing(dc.customRequest("hyperstep/uartInput", { text: 5 })), /needs 'text'/);
      assert.match(await failing(dc.customRequest("hyperstep/nothing", {})), /unknown request/);
    });
  });
});
