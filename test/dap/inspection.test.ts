import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { csrGroup, failing, guest, launch, lineOf, repl, scope, stopAfter, value, withClient } from "../support/dap";

const CALLS = guest("calls.S");
const T = { threadId: 1 };

/** Launches calls.S and stops at the store in inner() on the first call. */
async function atStore(dc: DebugClient): Promise<void> {
  await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store") }] }));
  await stopAfter(dc, () => dc.continueRequest(T));
}

describe("threads and stack", () => {
  test("one thread per hart", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      assert.deepEqual((await dc.threadsRequest()).body.threads, [{ id: 1, name: "hart 0" }]);
    });
  });

  test("the stack follows ra and the frame-pointer chain, with sources, lines and instruction pointers", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const st = await dc.stackTraceRequest(T);
      const frames = st.body.stackFrames;
      assert.equal(st.body.totalFrames, 3);
      assert.deepEqual(frames.map((f) => f.name.replace(/\+.*/, "")), ["inner", "outer", "loop"]);
      assert.deepEqual(frames.map((f) => f.line), [lineOf(CALLS, "store"), lineOf(CALLS, "call-inner"), lineOf(CALLS, "call-outer")]);
      for (const f of frames) {
        assert.equal(f.source?.path, CALLS);
        assert.match(f.instructionPointerReference ?? "", /^0x[0-9a-f]{16}$/);
      }
      const page = await dc.stackTraceRequest({ ...T, startFrame: 1, levels: 1 });
      assert.equal(page.body.stackFrames.length, 1);
      assert.equal(page.body.stackFrames[0].id, 1);
      assert.equal(page.body.stackFrames[0].name, frames[1].name);
    });
  });
});

describe("scopes and variables", () => {
  test("registers: pc, the privilege mode, ABI names, memory references on pointers", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes.map((s) => s.name);
      assert.deepEqual(scopes, ["Registers", "Floating point", "CSRs", "TLB"]);
      const regs = await scope(dc, "Registers");
      assert.equal(regs.length, 33);
      assert.deepEqual(regs.slice(0, 4).map((r) => r.name), ["pc", "privilege", "ra", "sp"]);
      assert.equal(regs[1].value, "M (3)");
      const sp = regs.find((r) => r.name === "sp")!;
      assert.match(sp.value, /^0x00000000800020[0-9a-f]{2}$/);
      assert.equal(sp.memoryReference, `va:${BigInt(sp.value).toString(16).replace(/^/, "0x")}`);
      assert.equal(sp.evaluateName, "sp");
      assert.equal(regs.find((r) => r.name === "a1")!.memoryReference, undefined, "0 points nowhere");
    });
  });

  test("hex or decimal per ValueFormat", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      await dc.setVariableRequest({ variablesReference: (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference, name: "a2", value: "-5" });
      const ref = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      const dec = (await dc.variablesRequest({ variablesReference: ref, format: { hex: false } })).body.variables;
      assert.equal(dec.find((v) => v.name === "a2")!.value, "-5");
      const hex = (await dc.variablesRequest({ variablesReference: ref, format: { hex: true } })).body.variables;
      assert.equal(hex.find((v) => v.name === "a2")!.value, "0xfffffffffffffffb");
    });
  });

  test("CSRs come in groups with decoded fields", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const groups = (await scope(dc, "CSRs")).map((g) => g.name);
      assert.ok(groups.includes("Machine trap handling") && groups.includes("Supervisor"));
      const setup = await csrGroup(dc, "Machine status and trap setup");
      const mtvec = setup.find((v) => v.name === "mtvec")!;
      assert.match(mtvec.value, /MODE=Direct BASE=0x80000090/);
      const fields = (await dc.variablesRequest({ variablesReference: mtvec.variablesReference })).body.variables;
      assert.deepEqual(fields.map((f) => [f.name, f.value]), [["MODE", "Direct (0)"], ["BASE", "0x80000090"]]);
      const mstatus = setup.find((v) => v.name === "mstatus")!;
      const mf = (await dc.variablesRequest({ variablesReference: mstatus.variablesReference })).body.variables;
      assert.equal(mf.find((f) => f.name === "MPP")!.value, "U (0)");
      assert.equal(mf.find((f) => f.name === "MPP")!.evaluateName, "mstatus.MPP");
    });
  });

  test("the TLB scope is empty while paging is off", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      assert.deepEqual((await scope(dc, "TLB")).map((v) => v.name), ["(empty)"]);
    });
  });

  test("setVariable on registers, CSRs and CSR fields, with invalidated events", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const regsRef = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      const invalidated = dc.waitForEvent("invalidated");
      const r = await dc.setVariableRequest({ variablesReference: regsRef, name: "a0", value: "0x40 + 2" });
      assert.equal(r.body.value, "0x0000000000000042");
      assert.deepEqual((await invalidated).body.areas, ["variables"]);
      assert.equal(await value(dc, "a0"), 0x42n);

      const trap = await csrGroup(dc, "Machine trap handling");
      const groupRef = (await scope(dc, "CSRs")).find((g) => g.name === "Machine trap handling")!.variablesReference;
      assert.ok(trap.some((v) => v.name === "mscratch"));
      await dc.setVariableRequest({ variablesReference: groupRef, name: "mscratch", value: "1234" });
      assert.equal(await value(dc, "mscratch"), 1234n);

      const setupRef = (await scope(dc, "CSRs")).find((g) => g.name === "Machine status and trap setup")!.variablesReference;
      const mstatus = (await dc.variablesRequest({ variablesReference: setupRef })).body.variables.find((v) => v.name === "mstatus")!;
      const f = await dc.setVariableRequest({ variablesReference: mstatus.variablesReference, name: "MPP", value: "S" });
      assert.equal(f.body.value, "S (1)");
      assert.equal(await value(dc, "mstatus.MPP"), 1n);

      const pcStop = dc.waitForEvent("invalidated");
      await dc.setVariableRequest({ variablesReference: regsRef, name: "pc", value: "inner" });
      assert.deepEqual((await pcStop).body.areas, ["all"]);
    });
  });

  test("setVariable refuses what cannot be set", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const regsRef = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      assert.match(await failing(dc.setVariableRequest({ variablesReference: regsRef, name: "zero", value: "1" })), /hard-wired/);
      assert.match(await failing(dc.setVariableRequest({ variablesReference: regsRef, name: "privilege", value: "1" })), /cannot be set/);
      assert.match(await failing(dc.setVariableRequest({ variablesReference: regsRef, name: "a0", value: "nosuch + 1" })), /no register, CSR or symbol named 'nosuch'/);
      assert.match(await failing(dc.setVariableRequest({ variablesReference: regsRef, name: "bogus", value: "1" })), /no register or CSR named 'bogus'/);
      assert.match(await failing(dc.setVariableRequest({ variablesReference: 9999, name: "a0", value: "1" })), /unknown variables reference/);
      const infoRef = (await scope(dc, "CSRs")).find((g) => g.name === "Machine information")!.variablesReference;
      assert.match(await failing(dc.setVariableRequest({ variablesReference: infoRef, name: "mhartid", value: "1" })), /read-only/);
    });
  });

  test("unknown variable references are errors; references expire when the guest runs", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      assert.match(await failing(dc.variablesRequest({ variablesReference: 4242 })), /unknown variables reference 4242/);
      const ref = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      await stopAfter(dc, () => dc.stepInRequest(T));
      assert.match(await failing(dc.variablesRequest({ variablesReference: ref + 100 })), /unknown variables reference/);
    });
  });
});

describe("evaluate", () => {
  test("expressions over registers, CSRs, fields, symbols and memory", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      assert.equal(await value(dc, "a0 + 1"), 2n);
      assert.equal(await value(dc, "x10 * 3 - 1"), 2n);
      assert.equal(await value(dc, "(sp & 0xf) == 0"), 1n);
      assert.equal(await value(dc, "counter"), 0x800010a0n);
      assert.equal(await value(dc, "*(u8*)message"), BigInt("c".charCodeAt(0)));
      assert.equal(await value(dc, "*(u32*)(message + 1)"), 0x6c6c61n | (0x73n << 24n));
      assert.equal(await value(dc, "mtvec.MODE"), 0n);
      assert.equal(await value(dc, "-1 < 0"), 1n);
      assert.equal(await value(dc, "(i8)0xff"), 0xffffffffffffffffn);
      assert.equal(await value(dc, "$priv"), 3n);
      const hover = await dc.evaluateRequest({ expression: "sp", context: "hover" });
      assert.match(hover.body.result, /^0x00000000800020/);
      assert.match(hover.body.memoryReference ?? "", /^va:0x800020/);
      const csr = await dc.evaluateRequest({ expression: "mstatus", context: "hover" });
      assert.ok(csr.body.variablesReference > 0, "a CSR expands into its fields");
    });
  });

  test("errors say what is wrong", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const bad: [string, RegExp][] = [
        ["nosuch", /no register, CSR or symbol named 'nosuch'/],
        ["1 / 0", /division by zero/],
        ["*(u64*)0x10", /cannot read 8 bytes at 0x10/],
        ["a0 +", /incomplete/],
        ["a0 = 1", /debug console only/],
        ["mstatus.NOPE", /mstatus has no field 'NOPE'/],
        ["$nothing", /no convenience value/],
        ["0x1g", /malformed number/],
      ];
      for (const [e, re] of bad) assert.match(await failing(dc.evaluateRequest({ expression: e, context: "watch" })), re, e);
    });
  });

  test("setExpression assigns to memory and sends a memory event", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const mem = dc.waitForEvent("memory");
      const r = await dc.customRequest("setExpression", { expression: "*(u64*)counter", value: "0x77" });
      assert.equal(r.body.value, "0x0000000000000077");
      assert.equal((await mem).body.memoryReference, "va:0x800010a0");
      assert.equal(await value(dc, "*(u64*)counter"), 0x77n);
    });
  });
});

describe("debug console", () => {
  test("help lists every command", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const help = await repl(dc, "help");
      for (const cmd of ["x/NFU", "info registers", "info csrs", "info tlb", "walk", "disas", "*(u32*)"]) assert.ok(help.includes(cmd), cmd);
    });
  });

  test("x examines memory in units and formats", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      assert.match(await repl(dc, "x/2xg counter"), /^0x800010a0 <counter>:\t0x0000000000000000\t0x[0-9a-f]{16}$/);
      assert.equal(await repl(dc, "x/s message"), '0x800010a8:\t"calls done\\n"');
      assert.match(await repl(dc, "x/4cb message"), /99 "c"\t97 "a"\t108 "l"\t108 "l"/);
      assert.match(await repl(dc, "x/2i pc"), /sd\ta0,0\(t0\)/);
      assert.match(await repl(dc, "x/1xw pa:0x80000000"), /^pa:0x80000000:\t0x[0-9a-f]{8}$/);
      assert.match(await failing(dc.evaluateRequest({ expression: "x/4xw 0x10", context: "repl" })), /cannot read 16 bytes/);
      assert.match(await failing(dc.evaluateRequest({ expression: "x/4zq sp", context: "repl" })), /not x\/NFU/);
    });
  });

  test("info registers, info csrs, info tlb, disas and walk", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const regs = await repl(dc, "info registers");
      assert.match(regs, /^pc\s+0x0000000080000068\s+\d+\s+<inner\+0x8>/m);
      assert.match(regs, /^a0\s+x10\s+0x0000000000000001 +1$/m);
      assert.match(await repl(dc, "info registers a0 sp"), /^a0 .*\nsp /);
      assert.match(await repl(dc, "info csrs"), /^mtvec\s+0x0000000080000090 {2}MODE=Direct/m);
      assert.equal(await repl(dc, "info tlb"), "The TLB is empty.");
      const dis = await repl(dc, "disas inner 3");
      assert.match(dis, /<inner>:\n/);
      assert.match(dis, /=> 0x80000068 <inner\+0x8>:/);
      assert.match(await repl(dc, "walk sp"), /no translation at this privilege/);
      assert.match(await failing(dc.evaluateRequest({ expression: "info frobs", context: "repl" })), /choose registers, csrs, tlb or devices/);
    });
  });

  test("info devices shows the Devices view as text; a disk puts virtio-blk in slot 0 with its request log", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-dap-disk-"));
    try {
      writeFileSync(path.join(dir, "disk.img"), new Uint8Array(4096));
      await withClient(async (dc) => {
        await launch(dc, CALLS, { disk: { path: path.join(dir, "disk.img"), readOnly: true } });
        const all = await repl(dc, "info devices");
        assert.match(all, /^UART \(NS16550A\) \(uart\) at 0x10000000$/m);
        const blk = await repl(dc, "info devices virtio0");
        assert.match(blk, /^virtio-mmio 0: blk \(virtio0\) at 0x10001000\n {2}Status: 0x00 \(reset\)$/m);
        assert.match(blk, /^ {2}features offered: BLK_SEG_MAX, BLK_RO, BLK_BLK_SIZE, BLK_FLUSH, BLK_TOPOLOGY, INDIRECT_DESC, EVENT_IDX, VERSION_1$/m);
        assert.match(blk, /^ {2}disk: .*disk\.img, read-only\n {4}capacity: 8 sectors \(4096 bytes\)/m);
        assert.match(blk, /^ {2}requests: none yet$/m);
        assert.match(await failing(dc.evaluateRequest({ expression: "info devices virtio5", context: "repl" })), /no device virtio5; the devices are uart, clint, plic, virtio0/);
      });
      await withClient(async (dc) => {
        const output: string[] = [];
        dc.on("output", (e) => output.push(e.body.output));
        await launch(dc, CALLS, { disk: path.join(dir, "disk.img") });
        assert.ok(!output.join("").includes("hyperstep: disk:"), "time travel rewinds what the guest reads from a write-through disk: nothing to warn of");
        assert.match(await repl(dc, "info devices virtio0"), /disk: .*disk\.img, write-through/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("assignments in the console change state and tell the client", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const inv = dc.waitForEvent("invalidated");
      assert.match(await repl(dc, "a1 = 7 * 6"), /^0x2a \(42\)/);
      await inv;
      assert.equal(await value(dc, "a1"), 42n);
      assert.match(await repl(dc, "mstatus.MPP = 3"), /0x3/);
      assert.match(await repl(dc, "p/x mstatus.MPP"), /^0x3$/);
      assert.equal(await repl(dc, "p/d -2"), "-2");
    });
  });

  test("completions offer commands, registers, CSRs, fields and symbols", async () => {
    await withClient(async (dc) => {
      await atStore(dc);
      const labels = async (text: string) => (await dc.completionsRequest({ text, column: text.length + 1 })).body.targets.map((t) => t.label);
      assert.ok((await labels("msta")).includes("mstatus"));
      assert.ok((await labels("inn")).includes("inner"));
      assert.deepEqual(await labels("info t"), ["tlb"]);
      assert.ok((await labels("mstatus.M")).includes("mstatus.MPP"));
      assert.ok((await labels("wa")).includes("walk"));
      assert.ok((await labels("a0 + $ep")).includes("$epc"));
    });
  });
});
