import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { guest, launch, stopAfter, withClient } from "../support/dap";
import { buildWithGcc } from "../support/guests";

const SOURCE = guest("c_locals.c");
const T = { threadId: 1 };
let elf: string;
/** The same program without call frame information: the call stack follows the frame-pointer chain. */
let noCfi: string;

before(() => {
  elf = buildWithGcc(SOURCE, "c_locals", ["-O0", "-mcmodel=medany", "-march=rv64imac_zicsr", "-mabi=lp64"]);
  noCfi = elf.replace(/\.elf$/, "_nocfi.elf");
  execFileSync("riscv64-unknown-elf-objcopy", ["--remove-section=.debug_frame", elf, noCfi]);
});

/** The line of the C source holding `marker` (in a comment). */
function lineOf(marker: string): number {
  const i = readFileSync(SOURCE, "utf8").split("\n").findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, marker);
  return i + 1;
}

/** A symbol's address and size, as nm prints them. */
function symbol(name: string): bigint {
  return symbolExtent(name).address;
}

function symbolExtent(name: string): { address: bigint; size: bigint } {
  const nm = execFileSync("riscv64-unknown-elf-nm", ["-S", elf], { encoding: "utf8" });
  const m = new RegExp(`^([0-9a-f]+) ([0-9a-f]+) \\w ${name}$`, "m").exec(nm)!;
  return { address: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`) };
}

async function stopAt(dc: DebugClient, marker: string, program = elf): Promise<void> {
  await launch(dc, program, {}, () => dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: lineOf(marker) }] }));
  await stopAfter(dc, () => dc.continueRequest(T));
}

async function scopeOf(dc: DebugClient, frameId: number, name: string): Promise<DebugProtocol.Variable[]> {
  const s = (await dc.scopesRequest({ frameId })).body.scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name} of frame ${frameId}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

async function children(dc: DebugClient, v: DebugProtocol.Variable | undefined): Promise<Map<string, DebugProtocol.Variable>> {
  assert.ok(v && v.variablesReference > 0, `${v?.name} has children`);
  const vars = (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
  return new Map(vars.map((x) => [x.name, x]));
}

const summary = (vars: DebugProtocol.Variable[] | Map<string, DebugProtocol.Variable>) => [...vars.values()].map((v) => `${v.name}: ${v.type} = ${v.value}`);

describe("C variables from DWARF (gcc -g -O0)", () => {
  test("a stop in a C function shows its arguments and locals first, with types and the values the program computed", async () => {
    await withClient(async (dc) => {
      await stopAt(dc, "stop here");
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes.map((s) => s.name);
      assert.deepEqual(scopes, ["Locals", "Globals", "Registers", "Floating point", "CSRs", "TLB"]);
      const locals = await scopeOf(dc, 0, "Locals");
      const head = symbol("head");
      // sum = 10 + 20 + 30 (head's scores) + twice(4) + 'Q' (81); the loop's `i` is out of scope here.
      assert.deepEqual(summary(locals), [
        `n: struct node * = 0x${head.toString(16)} <head>`,
        "limit: int = 4",
        "local: struct node = {...}",
        "sum: int = 149",
        "letter: char = 81 'Q'",
        "count: size_t = 3",
      ]);
      const local = await children(dc, locals[2]);
      assert.deepEqual(summary(await children(dc, local.get("pos"))), ["x: int = 42", "y: long int = -9", "tag: unsigned char = 200 '\\310'"]);
      assert.equal(local.get("next")!.value, `0x${head.toString(16)} <head>`, "a pointer names the symbol it points into, as gdb does");
      assert.match(local.get("name")!.value, /^0x[0-9a-f]+ "local"$/);
      assert.deepEqual(summary(await children(dc, local.get("scores"))), ["[0]: short int = -1", "[1]: short int = 2", "[2]: short int = 300"]);
      assert.equal(local.get("c")!.value, "GREEN");
      // A pointer has its pointee as a child: *n is the global head.
      const deref = await children(dc, locals[0]);
      const pointee = await children(dc, deref.get("*n"));
      assert.equal(pointee.get("c")!.value, "BLUE");
      assert.match(pointee.get("name")!.value, /^0x[0-9a-f]+ "head"$/);
      assert.equal(deref.get("*n")!.memoryReference, `va:0x${head.toString(16)}`);
    });
  });

  test("Globals shows the unit's globals read from memory", async () => {
    await withClient(async (dc) => {
      await stopAt(dc, "stop here");
      const globals = await scopeOf(dc, 0, "Globals");
      // The stop is before `ticks = sum` runs: ticks still has its initial value.
      assert.deepEqual(summary(globals), ["ticks: volatile int = 7", "head: struct node = {...}", "stack: char [4096] = [4096]"]);
      assert.deepEqual(summary(await children(dc, (await children(dc, globals[1])).get("pos"))), ["x: int = 1", "y: long int = 2", "tag: unsigned char = 104 'h'"]);
    });
  });

  for (const [how, program] of [["CFI", () => elf], ["the frame-pointer chain", () => noCfi]] as const) {
    test(`a caller's locals come from ${how}`, async () => {
      await withClient(async (dc) => {
        await stopAt(dc, "in twice", program());
        const frames = (await dc.stackTraceRequest(T)).body.stackFrames;
        assert.deepEqual(frames.map((f) => f.name.replace(/\+.*/, "")), ["twice", "walk", "boot", "_start"]);
        assert.deepEqual(summary(await scopeOf(dc, 0, "Locals")), ["v: int = 4", "r: int = 8"]);
        const walk = await scopeOf(dc, 1, "Locals");
        assert.deepEqual(summary(walk).filter((s) => /^(limit|sum|letter)/.test(s)), ["limit: int = 4", "sum: int = 60", "letter: char = 81 'Q'"]);
        assert.deepEqual(summary(await scopeOf(dc, 2, "Locals")), []);
        // _start is assembly: no DWARF function, so only the machine's scopes.
        assert.deepEqual((await dc.scopesRequest({ frameId: 3 })).body.scopes.map((s) => s.name), ["Registers", "Floating point", "CSRs", "TLB"]);
      });
    });
  }

  test("above a leaf function, CFI finds the caller's frame: its locals show (r is not assigned yet)", async () => {
    await withClient(async (dc) => {
      await stopAt(dc, "in add");
      assert.deepEqual(summary(await scopeOf(dc, 1, "Locals")), ["v: int = 4", "r: int = 0"]);
    });
  });

  test("without CFI, above a leaf function (which saves no frame record) a caller's locals say why they are not shown", async () => {
    await withClient(async (dc) => {
      await stopAt(dc, "in add", noCfi);
      assert.deepEqual(summary(await scopeOf(dc, 0, "Locals")), ["a: int = 4", "b: int = 4"]);
      const twice = await scopeOf(dc, 1, "Locals");
      assert.deepEqual(summary(twice), ["v: int = <the frame-pointer chain does not reach this frame>", "r: int = <the frame-pointer chain does not reach this frame>"]);
    });
  });

  test("without CFI, in the prologue and the epilogue s0 is not the frame base: locals say so instead of showing garbage", async () => {
    await withClient(async (dc) => {
      const walk = symbolExtent("walk");
      // The first instruction, and the last (`ret`, after the caller's s0 is reloaded).
      const at = [walk.address, walk.address + walk.size - 2n].map((a) => ({ instructionReference: `0x${a.toString(16)}` }));
      await launch(dc, noCfi, {}, () => dc.customRequest("setInstructionBreakpoints", { breakpoints: at }));
      await stopAfter(dc, () => dc.continueRequest(T));
      const entry = await scopeOf(dc, 0, "Locals");
      assert.equal(entry[0].name, "n");
      assert.equal(entry[0].value, "<the frame is not set up yet (pc is in the prologue)>");
      await stopAfter(dc, () => dc.continueRequest(T));
      const exit = await scopeOf(dc, 0, "Locals");
      assert.equal(exit[0].value, "<the frame is being torn down (pc is in the epilogue)>");
      assert.equal((await scopeOf(dc, 0, "Globals"))[0].value, "149", "globals do not depend on the frame");
    });
  });
});

describe("Step Out of optimized C (gcc -g -Og)", () => {
  test("leaves a function that keeps no frame pointer for the caller CFI finds, with the caller's locals", async () => {
    const source = guest("c_optimized.c");
    const og = buildWithGcc(source, "c_optimized_step_out", ["-Og", "-mcmodel=medany", "-march=rv64gc", "-mabi=lp64d"]);
    const line = readFileSync(source, "utf8").split("\n").findIndex((l) => l.includes("stop: mid loop")) + 1;
    await withClient(async (dc) => {
      await launch(dc, og, {}, () => dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      // mid keeps its variables in s-registers: s0 is no frame pointer, so only CFI finds top.
      const before = (await dc.stackTraceRequest(T)).body.stackFrames;
      assert.deepEqual(before.map((f) => f.name.replace(/\+.*/, "")), ["mid", "top", "boot", "_start"]);
      await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
      await stopAfter(dc, () => dc.stepOutRequest(T));
      const after = (await dc.stackTraceRequest(T)).body.stackFrames;
      assert.equal(after[0].instructionPointerReference, before[1].instructionPointerReference, "stopped at the return address");
      assert.deepEqual(after.map((f) => f.name.replace(/\+.*/, "")), ["top", "boot", "_start"]);
      // Back in top: k is still its value on entry (from boot's call site, `top(3, …)`); t is
      // returned in a0 but its location list starts only where it is moved to s0, one instruction on.
      const top = summary(await scopeOf(dc, 0, "Locals"));
      assert.ok(top.includes("k: int = 3"), top.join("\n"));
      assert.ok(top.includes("t: long int = <optimized out>"), top.join("\n"));
    });
  });
});
