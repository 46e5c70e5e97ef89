import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ROOT } from "../support/guests";
import { failing, launch, repl, stopAfter, topFrame, value, withClient } from "../support/dap";
import type { TranslationCacheBody } from "../../src/debug/tc_request";
import { blockRows } from "../../src/webview/model/translation_cache";

const SAMPLE = (name: string, file: string) => path.join(ROOT, "sample-guests", name, file);
const UART_MMIO = SAMPLE("uart-mmio", "uart_mmio.S");
const SHADOW = SAMPLE("shadow-paging", "shadow_paging.S");
/** A row of the `exits` command: its number, its reason and the guest pc. */
const EXIT_ROW = /^\s*(\d+)\s+[a-z-]+\s+0x/;

/** Launches stopped on entry, continues to the end, and returns the guest's UART output. */
async function runToEnd(dc: DebugClient, program: string, technique: string): Promise<string> {
  const out: string[] = [];
  dc.on("output", (e) => {
    if (e.body.category === "stdout") out.push(e.body.output);
  });
  await launch(dc, program, { technique });
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
  return out.join("");
}

describe("trap-and-emulate launches", () => {
  for (const [name, program] of [["uart-mmio", UART_MMIO], ["shadow-paging", SHADOW]] as const) {
    test(`${name}: the same UART output as native`, async () => {
      let native = "";
      let vmm = "";
      await withClient(async (dc) => { native = await runToEnd(dc, program, "native"); });
      await withClient(async (dc) => { vmm = await runToEnd(dc, program, "trap-and-emulate"); });
      assert.ok(native.length > 0, "the guest prints something natively");
      assert.equal(vmm, native);
    });
  }
});

describe("the end of a run under a VMM", () => {
  test("the console says what virtualizing it cost, and the exit log outlives the adapter in a hyperstep/ended event", async () => {
    await withClient(async (dc) => {
      const console: string[] = [];
      dc.on("output", (e) => {
        if (e.body.category === "console") console.push(e.body.output);
      });
      await launch(dc, SHADOW, { technique: "trap-and-emulate" });
      const ended = dc.waitForEvent("hyperstep/ended");
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      const { body } = (await ended) as unknown as { body: { body: { total: number; exits: { seq: number }[]; reasons: { id: string; count: number }[] }; timelines: Record<string, number[]> } };
      const exits = body.body.reasons.reduce((s, r) => s + r.count, 0);
      assert.ok(exits > 100, `the shadow-paging guest exits often (${exits})`);
      assert.equal(body.body.total, exits, "every exit is in the log");
      assert.equal(body.body.exits[0].seq, exits, "newest first");
      for (const r of body.body.reasons.filter((x) => x.count > 0)) assert.equal(body.timelines[r.id].reduce((s, c) => s + c, 0), r.count, `${r.id}'s timeline`);
      const end = console.join("").match(/guest exited with code 0 \(finisher\) after (\d+) instructions: (\d+) exits \(([^)]*)\), (\d+) cycles in the VMM/);
      assert.ok(end, console.join(""));
      assert.equal(Number(end[2]), exits);
      assert.match(end[3], /^[a-z-]+ \d+, [a-z-]+ \d+, [a-z-]+ \d+/, "the three commonest reasons");
    });
  });

  test("a native run has no exits to keep", async () => {
    await withClient(async (dc) => {
      const events: string[] = [];
      dc.on("hyperstep/ended", () => events.push("ended"));
      await launch(dc, SHADOW, { technique: "native" });
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      assert.deepEqual(events, []);
    });
  });
});

describe("binary-translation launches", () => {
  for (const [name, program] of [["uart-mmio", UART_MMIO], ["shadow-paging", SHADOW]] as const) {
    test(`${name}: the same UART output as native`, async () => {
      let native = "";
      let bt = "";
      await withClient(async (dc) => { native = await runToEnd(dc, program, "native"); });
      await withClient(async (dc) => { bt = await runToEnd(dc, program, "binary-translation"); });
      assert.ok(native.length > 0, "the guest prints something natively");
      assert.equal(bt, native);
    });
  }

  test("nonTrappingSensitive is checked, naming the field", async () => {
    await withClient(async (dc) => {
      await dc.initializeRequest();
      const msg = await failing(dc.launch({ program: UART_MMIO, technique: "trap-and-emulate", nonTrappingSensitive: ["popf"] } as never));
      assert.match(msg, /'nonTrappingSensitive' must be an array of "sstatus-read" or "sstatus-write"/);
    });
  });
});

describe("exception breakpoints on VM exits", () => {
  test("are offered after the trap-cause filters, one per exit reason", async () => {
    await withClient(async (dc) => {
      const caps = (await dc.initializeRequest()).body!;
      const ids = caps.exceptionBreakpointFilters!.map((f) => f.filter);
      const first = ids.findIndex((id) => id.startsWith("vm-exit-"));
      assert.ok(first > 0, "trap-cause filters come first");
      assert.ok(ids.slice(first).every((id) => id.startsWith("vm-exit-")));
      const csrWrite = caps.exceptionBreakpointFilters!.find((f) => f.filter === "vm-exit-csr-write")!;
      assert.equal(csrWrite.label, "VM exit: CSR write");
      assert.match(csrWrite.description!, /VMM technique/);
      assert.equal(csrWrite.supportsCondition, true);
    });
  });

  test("a csr-write filter with csr == \"satp\" stops after the satp write, with exceptionInfo", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "trap-and-emulate" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-csr-write", condition: 'csr == "satp"' }] }));
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, "exception");
      assert.match(stop.body.description ?? "", /^VM exit \d+: CSR write at 0x[0-9a-f]+.*satp/);
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.exceptionId, /^VM exit \d+: CSR write$/, "the widget's title, readable");
      assert.equal(info.details?.typeName, "vm-exit-csr-write");
      assert.match(info.description!, /^csr-write: A CSR instruction that writes a virtual CSR/, "what the exit is, for a first-timer");
      assert.match(info.description!, /csr = satp/);
      assert.match(info.description!, /VMM: /);
      assert.match(info.description!, /modelled cycles/);
    });
  });

  test("an mmio-write filter with a gpa range and device condition stops only on matching exits", async () => {
    await withClient(async (dc) => {
      let bps: { verified: boolean }[] = [];
      await launch(dc, UART_MMIO, { technique: "trap-and-emulate" }, async () => {
        bps = (await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [
          { filterId: "vm-exit-mmio-write", condition: 'device == "uart" && gpa >= 0x10000000 && gpa < 0x10000100 && register == "SCR"' },
          { filterId: "vm-exit-mmio-read", condition: "gpa == (" } ] })).body?.breakpoints ?? [];
      });
      assert.equal(bps[0].verified, true);
      assert.equal(bps[1].verified, false, "a condition that does not parse is not verified");
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.exceptionId, /^VM exit \d+: MMIO write$/);
      assert.match(info.description!, /device = uart/);
      assert.match(info.description!, /register = SCR/);
    });
  });
});

describe("VMM console commands", () => {
  test("exits, stats and shadow under trap-and-emulate", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "trap-and-emulate" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-sfence" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const exitsText = await repl(dc, "exits 5");
      const exits = exitsText.split("\n").filter((l) => EXIT_ROW.test(l));
      assert.equal(exits.length, 5);
      const seqs = exits.map((l) => Number(EXIT_ROW.exec(l)![1]));
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "newest last");
      assert.match(exits[4], /^\s*\d+\s+sfence\s+0x[0-9a-f]+.*sfence\.vma/);
      const below = exitsText.slice(exitsText.lastIndexOf(exits[4]) + exits[4].length);
      assert.match(below, /^\n\s+emulated sfence\.vma[\s\S]*\(\d+ cycles\)$/, "what the VMM did, below");
      const csr = await repl(dc, "exits csr-write 2");
      assert.ok(csr.split("\n").filter((l) => EXIT_ROW.test(l)).every((l) => /csr-write/.test(l)));
      assert.match(await failing(repl(dc, "exits bogus")), /neither a count nor an exit reason/);
      const stats = await repl(dc, "stats");
      assert.match(stats, /^csr-write\s+\d+\s+\d+$/m);
      assert.match(stats, /^total\s+\d+\s+\d+$/m);
      assert.match(stats, /^\s+trap-and-emulate\s+native\s+hardware-assisted\s+binary-translation$/m, "one column per technique");
      assert.match(stats, /^slowdown\s+×\d+\.\d\d\s+×1\.00\s+×\d+\.\d\d\s+×\d+\.\d\d$/m);
      for (const [command, text] of [["exits 5", exitsText], ["stats", stats]]) {
        const widest = Math.max(...text.split("\n").map((l) => l.length));
        assert.ok(widest <= 80, `${command}: a line of ${widest} characters wraps in the Debug Console`);
      }
      assert.match(stats, /exits per million instructions: \d+/);
      assert.match(stats, /slowdown ×\d+\.\d\d/);
      const shadow = await repl(dc, "shadow pc");
      assert.match(shadow, /guest table \(GVA → GPA\)|guest: no translation/);
      assert.match(shadow, /shadow \(sv39 root=0x[0-9a-f]+ asid=\d+ S\) at hpa 0x[0-9a-f]+ \(GVA → HPA\)/);
      assert.match(shadow, /p2m: gpa 0x[0-9a-f]+ → hpa 0x[0-9a-f]+/);
      assert.match(shadow, /^consistent/m);
      assert.match(await repl(dc, "help"), /exits \[REASON\] \[N\]/);
      const completions = (await dc.completionsRequest({ text: "sta", column: 4 })).body.targets.map((t) => t.label);
      assert.ok(completions.includes("stats"));
    });
  });

  test("stats and tc show binary translation's translation cache, a block beside its guest code", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "binary-translation" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-bt-lookup-miss" }] }));
      // Returns miss until the kernel has printed through putc once.
      let tc = "";
      for (let i = 0; i < 10 && !/^block at guest/m.test(tc); i++) {
        await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
        tc = await repl(dc, "tc putc");
      }
      const stats = await repl(dc, "stats");
      const cache = stats.replace(/\n +/g, " ");
      assert.match(cache, /translation cache at 0x2000000000: \d+ blocks? in [\d.]+ KiB of 256 KiB, \d+ chains?, \d+ write-protected code pages?;/);
      assert.match(cache, /\d+ translated, dropped \d+ on code writes, \d+ by LRU eviction, \d+ by sfence\.vma \(\d+ fenced and kept: their translation had not changed\); \d+ flush(es)?; lookups \d+, hit rate \d+\.\d%/);
      assert.match(tc, /^translation cache at 0x[0-9a-f]+: /);
      assert.match(tc, /^block at guest 0x[0-9a-f]+ <putc>, in the TC at 0x20000[0-9a-f]+/m);
      assert.match(tc.replace(/\n +/g, " "), /<putc>, in the TC at 0x[0-9a-f]+ \(shadow context [^)]+\), run once:/, "how many times the block ran: putc printed once");
      assert.match(tc, /^0x[0-9a-f]+ +lbu t1,5\(t0\) +lbu t1,5\(t0\) +copied$/m, "an ordinary instruction is copied");
      assert.match(tc, /^0x[0-9a-f]+ +beqz t1,8000[0-9a-f]+ +beqz t1,20000[0-9a-f]+ +branch to its stub below/m, "a branch goes to the TC");
      assert.match(tc, /^0x[0-9a-f]+ +ret +ecall +callout: looked up in the TC$/m, "a return becomes a lookup");
      assert.match(tc, /^ +\(→ 0x8000[0-9a-f]+\) +ecall +stub: the branch taken/m);
      const widest = Math.max(...tc.split("\n").map((l) => l.length));
      assert.ok(widest <= 80, `tc: a line of ${widest} characters wraps in the Debug Console`);
      assert.match(await repl(dc, "tc 0x1000"), /no translated block covers 0x1000/);
      assert.match(await repl(dc, "help"), /tc \[GVA\]/);
    });
  });

  test("hyperstep/translationCache gives a panel the blocks beside their guest code, with why each word is what it is", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "binary-translation" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-mmio-write" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const all = (await dc.customRequest("hyperstep/translationCache", {})).body as TranslationCacheBody;
      assert.equal(all.available, true);
      assert.equal(all.blocks.length, all.stats!.blocks);
      assert.equal(all.stats!.va, "0x2000000000");
      const putc = all.blocks.find((b) => b.symbol === "putc")!;
      assert.ok(putc, "the block the kernel is printing through");
      assert.deepEqual([putc.runs, ...putc.rows.map((r) => r.runs)], [1, 1, ...putc.rows.slice(1).map(() => null)], "run once (the first UART write is in it), counted at its first word");
      const one = (await dc.customRequest("hyperstep/translationCache", { gva: "putc" })).body as TranslationCacheBody;
      assert.deepEqual(one.blocks, [putc], "one block, found by an expression");
      const lbu = putc.rows.find((r) => r.guest?.startsWith("lbu"))!;
      assert.deepEqual([lbu.how, lbu.why, lbu.tc], ["copied", "copied", lbu.guest]);
      const ret = putc.rows.find((r) => r.guest === "ret")!;
      assert.deepEqual([ret.how, ret.tc, ret.why], ["jalr", "ecall", "callout: looked up in the TC"]);
      assert.ok(putc.rows.some((r) => r.guest === null && r.how === "taken"), "the branch's stub, which stands for no guest instruction");
      const first = (await dc.customRequest("hyperstep/translationCache", { maxBlocks: 1 })).body as TranslationCacheBody;
      assert.deepEqual([first.blocks.length, first.more], [1, all.blocks.length - 1]);
      assert.match(await failing(dc.customRequest("hyperstep/translationCache", { gva: [] })), /'gva' must be an expression/);
    });
  });

  test("hyperstep/translationCache says there is none under another technique", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "trap-and-emulate" });
      const body = (await dc.customRequest("hyperstep/translationCache", {})).body as TranslationCacheBody;
      assert.deepEqual([body.available, body.blocks, body.message], [false, [], "the trap-and-emulate technique has no translation cache"]);
    });
  });

  test("tc shows a loop's back edge chained to its own translation, and a breakpoint stops in translated code", async () => {
    const lesson = SAMPLE("binary-translation", "binary_translation.S");
    const line = readFileSync(lesson, "utf8").split("\n").findIndex((l) => /^\s+addi\s+s0, s0, 1/.test(l)) + 1;
    await withClient(async (dc) => {
      await launch(dc, lesson, { technique: "binary-translation" }, () =>
        dc.setBreakpointsRequest({ source: { path: lesson }, breakpoints: [{ line }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal((await topFrame(dc)).line, line, "stopped at the breakpoint, in translated code");
      const pc = await value(dc, "pc");
      // Breakpoints make the VMM enter the TC one instruction at a time, which never chains: run the
      // loop out without them, to the kernel's first UART write after it.
      await dc.setBreakpointsRequest({ source: { path: lesson }, breakpoints: [] });
      await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-mmio-write" }] });
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const tc = await repl(dc, `tc 0x${pc.toString(16)}`);
      assert.match(tc, /^0x[0-9a-f]+ +addi? s0,s0,1 +addi? s0,s0,1 +copied$/m);
      assert.match(tc, /^0x[0-9a-f]+ +bge s1,s0,[0-9a-f]+ +bge s1,s0,20000[0-9a-f]+ +chained: branches to the target's translation$/m);
      // The Translation Cache panel's list names where the back edge goes by guest pc: the loop's head, `round`.
      const body = (await dc.customRequest("hyperstep/translationCache", {})).body as TranslationCacheBody;
      const rows = blockRows(body);
      const loop = rows.find((r) => body.blocks.find((b) => b.guestPc === r.guestPc)!.rows.some((w) => BigInt(w.guestPc) === pc))!;
      assert.equal(loop.chainedTo.length, 1, `one chain: ${loop.chainedTo.join(", ")}`);
      assert.ok(loop.chainedTo[0].startsWith(`0x${(await value(dc, "round")).toString(16)} `), `the chain names round's guest pc: ${loop.chainedTo[0]}`);
      // How many times they ran: add_round once a round; round's head, inside the kernel's block, from its chain on.
      const round = `0x${(await value(dc, "round")).toString(16)}`;
      const head = body.blocks.flatMap((b) => b.rows).find((r) => r.guestPc === round && r.guest !== null)!;
      assert.equal(head.runs, 99, "rounds 2 to 100 came by the chain");
      assert.equal(rows.find((r) => r.symbol === "add_round")?.runs, 100, "called once a round");
      assert.equal(loop.runs, 100, "the block the call returns to, with the back edge");
    });
  });

  test("under native they say there is no VMM", async () => {
    await withClient(async (dc) => {
      await launch(dc, UART_MMIO, { technique: "native" });
      for (const cmd of ["exits", "stats", "shadow 0x80000000", "tc"]) assert.match(await repl(dc, cmd), /^no VMM/);
    });
  });
});

describe("panels under trap-and-emulate", () => {
  test("hyperstep/exits returns records and every reason with its count", async () => {
    await withClient(async (dc) => {
      await launch(dc, UART_MMIO, { technique: "trap-and-emulate" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-mmio-read", condition: 'register == "SCR"' }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const body = (await dc.customRequest("hyperstep/exits", { count: 50 })).body;
      assert.equal(body.technique, "trap-and-emulate");
      assert.equal(body.available, true);
      assert.ok(body.exits.length > 0);
      assert.equal(body.exits[0].reason, "mmio-read", "newest first: the exit that stopped us");
      assert.equal(body.exits[0].details.register, "SCR");
      const byId = new Map(body.reasons.map((r: { id: string; count: number }) => [r.id, r.count]));
      assert.ok((byId.get("mmio-write") as number) >= 6, "the line setup's writes are counted");
      assert.equal(byId.get("mmio-read"), body.exits.filter((e: { reason: string }) => e.reason === "mmio-read").length);
      const only = (await dc.customRequest("hyperstep/exits", { reasons: ["mmio-write"] })).body;
      assert.ok(only.exits.every((e: { reason: string }) => e.reason === "mmio-write"));
      const devices = (await dc.customRequest("hyperstep/devices", {})).body;
      assert.deepEqual(devices.devices.map((d: { id: string }) => d.id), ["uart", "clint", "plic"]);
    });
  });

  test("hyperstep/pageTables returns the guest tree and a shadow tree for the shadow-paging sample", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "trap-and-emulate" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-sfence" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const body = (await dc.customRequest("hyperstep/pageTables", {})).body;
      assert.equal(body.technique, "trap-and-emulate");
      const guest = body.trees.find((t: { id: string }) => t.id === "guest");
      assert.ok(guest, "the guest's own tree");
      assert.equal(guest.tableSpace, "gpa");
      const shadows = body.trees.filter((t: { kind: string }) => t.kind === "shadow");
      assert.ok(shadows.length >= 1);
      assert.ok(shadows.every((t: { id: string; tableSpace: string; output: string }) => t.id.startsWith("shadow:") && t.tableSpace === "hpa" && t.output === "hpa"));
      assert.equal(shadows.filter((t: { active: boolean }) => t.active).length, 1, "one shadow root is current");
      assert.ok(shadows.some((t: { root: { entries: unknown[] } }) => t.root.entries.length > 0), "a filled shadow");
      assert.ok(body.p2m.length >= 1);
      assert.ok(body.writeProtected.length >= 1, "the guest's page-table pages are write-protected");
    });
  });
});

describe("stepping into an exit", () => {
  test("an instruction step over an exiting instruction stops inside the VMM, and the next step returns to the guest", async () => {
    await withClient(async (dc) => {
      await launch(dc, SAMPLE("trap-and-emulate", "trap_and_emulate.S"), { technique: "trap-and-emulate" });
      let frames: DebugProtocol.StackFrame[] = [];
      for (let i = 0; i < 50; i++) {
        const stop = await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
        assert.equal(stop.body.reason, "step");
        frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
        if (frames[0].name.startsWith("vmm:")) break;
      }
      const [vmm, guest] = frames;
      assert.match(vmm.name, /^vmm: emulate \S+/);
      assert.ok(vmm.source?.sourceReference, "a generated document");
      assert.ok(!guest.name.startsWith("vmm:"), "the guest frame is below");
      const doc = (await dc.sourceRequest({ sourceReference: vmm.source!.sourceReference!, source: vmm.source })).body.content;
      assert.match(doc, /^VM exit \d+: \S+/);
      assert.match(doc, /^1\. decode/m);
      assert.match(doc, /^VMM: /m);
      const pcInside = guest.instructionPointerReference;
      await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      const back = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      assert.ok(!back[0].name.startsWith("vmm:"), "back in the guest");
      assert.equal(back[0].instructionPointerReference, pcInside, "leaving the VMM frame runs nothing");
    });
  });
});

describe("text that VS Code shows", () => {
  /** VS Code draws a colour swatch before what looks like a CSS colour, e.g. the "#233" of "exit #233". */
  const COLOUR = /#[0-9a-fA-F]{3,8}\b/;

  test("names exits without '#<digits>' (stop, exception widget, console, the VMM's narrative)", async () => {
    await withClient(async (dc) => {
      // The shadow-paging guest's sfence.vma is past its 200th exit: numbers of three digits.
      await launch(dc, SHADOW, { technique: "trap-and-emulate" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-sfence" }] }));
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      const shown: [string, string][] = [
        ["stop description", stop.body.description ?? ""],
        ["exception widget title", info.exceptionId],
        ["exception widget text", info.description ?? ""],
        ["exits", await repl(dc, "exits 20")],
        ["stats", await repl(dc, "stats")],
      ];
      assert.match(stop.body.description ?? "", /^VM exit \d{3}: /, "the test reaches an exit with a three-digit number");
      let frames: DebugProtocol.StackFrame[] = [];
      for (let i = 0; i < 50 && !frames[0]?.name.startsWith("vmm:"); i++) {
        await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
        frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      }
      const vmm = frames[0];
      assert.ok(vmm?.name.startsWith("vmm:"), "an instruction step went into the VMM");
      shown.push(["narrative tab", vmm.source!.name!]);
      shown.push(["narrative", (await dc.sourceRequest({ sourceReference: vmm.source!.sourceReference!, source: vmm.source })).body.content]);
      const back = await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      shown.push(["back in the guest", back.body.description ?? ""]);
      for (const [where, text] of shown) {
        assert.ok(text.length > 0, `${where}: some text`);
        assert.doesNotMatch(text, COLOUR, `${where} has a number VS Code reads as a colour`);
      }
      assert.match(shown.find(([w]) => w === "narrative")![1], /^VM exit \d{3}: /);
    });
  });
});
