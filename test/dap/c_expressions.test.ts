/**
 * C expressions in a C frame (Watch, hovers, the Debug Console), on the lesson c-guest, which the
 * adapter builds from its .c with Debian's gcc. Each value and type is checked against what
 * gdb-multiarch prints for the same expression, attached to the same stop through `gdbServer`.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { CLIENT_CAPABILITIES, launch, stopAfter, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

const KERNEL = path.join(ROOT, "sample-guests/c-guest/kernel.c");
const T = { threadId: 1 };

function lineOf(marker: string): number {
  const i = readFileSync(KERNEL, "utf8").split("\n").findIndex((l) => l.includes(`/* @${marker} */`));
  assert.ok(i >= 0, marker);
  return i + 1;
}

interface Server {
  port: number;
  /** The ELF the adapter had gcc build. */
  elf: string;
}

/** Launches the kernel with a GDB server and stops at its entry, or at `marker` (the `hit`th time). */
async function stopAt(dc: DebugClient, marker?: string, hit = 1): Promise<Server> {
  const server = new Promise<Server>((resolve) => {
    dc.on("output", (e: DebugProtocol.OutputEvent) => {
      const m = /127\.0\.0\.1:(\d+): gdb-multiarch .* (\S+\.elf)\n/.exec(e.body.output);
      if (m) resolve({ port: Number(m[1]), elf: m[2] });
    });
  });
  await launch(dc, KERNEL, { gdbServer: 0 }, () => dc.setBreakpointsRequest({ source: { path: KERNEL }, breakpoints: marker ? [{ line: lineOf(marker) }] : [] }));
  for (let i = 0; marker && i < hit; i++) await stopAfter(dc, () => dc.continueRequest(T));
  return server;
}

/** A symbol's address in the built kernel, as nm prints it. */
function address(server: Server, name: string): bigint {
  const nm = execFileSync("riscv64-unknown-elf-nm", [server.elf], { encoding: "utf8" });
  const m = new RegExp(`^([0-9a-f]+) \\w ${name}$`, "m").exec(nm);
  assert.ok(m, name);
  return BigInt(`0x${m[1]}`);
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** gdb-multiarch's output for `commands`, run against the stopped guest (stdout and stderr apart). */
function gdb(server: { port: number; elf: string }, commands: string[]): { stdout: string; stderr: string } {
  const args = ["-batch", "-nx", server.elf, "-ex", `target remote 127.0.0.1:${server.port}`, ...commands.flatMap((c) => ["-ex", c])];
  const r = spawnSync("gdb-multiarch", args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.error, undefined, "gdb-multiarch runs (apt-get install gdb-multiarch)");
  return r;
}

/** gdb's `$N = value` lines in order, the `(type *)` it puts before a pointer taken off. */
function printed(stdout: string): string[] {
  return [...stdout.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1].replace(/^\([^()]*\) (?=0x)/, ""));
}

async function evaluate(dc: DebugClient, expression: string, context = "watch"): Promise<DebugProtocol.EvaluateResponse["body"]> {
  return (await dc.evaluateRequest({ expression, context, frameId: 0 })).body;
}

async function failure(dc: DebugClient, expression: string): Promise<string> {
  try {
    await dc.evaluateRequest({ expression, context: "watch", frameId: 0 });
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`'${expression}' evaluated`);
}

// Stopped in run(p = &proc[0], slice = 10) on its first call, charged but before a0 counts the turn; sh and cat wait in the run queue.
const EXPRESSIONS = [
  "p", "slice", "tf", "p->pid", "p->name", "p->state", "*p", "p.pid",
  "*(struct trapframe *)p->trapframe", "((struct trapframe *)p->trapframe)->a0", "(struct trapframe *)p->trapframe",
  "runq", "runq->next->name", "runq->next->next", "proc[1].name[0]", "&proc[2]", "runq == &proc[1]", "p - proc", "p + 2",
  "sizeof(struct proc)", "sizeof p->name", "slice * p->pid + 1", "proc", "trapframes", "trapframes[1].sp - 0x1000",
  "magic", "magic.bytes[7]", "proc[3].state", "(long)p->state", "-slice", "~0", "1 << 31", "(char)65", "-7 % 3", "7 / 2",
  "0x80000000", "4294967295", "total_ticks", "load", "nextpid > 3 && runq != 0", "!runq", "*tf",
];

describe("C expressions in a C frame (the lesson c-guest)", { timeout: 120_000 }, () => {
  test("values and types are what gdb prints for the same expressions", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "run");
      const ours: DebugProtocol.EvaluateResponse["body"][] = [];
      for (const e of EXPRESSIONS) ours.push(await evaluate(dc, e));
      const g = gdb(server, EXPRESSIONS.flatMap((e) => [`print ${e}`, `whatis ${e}`]));
      assert.deepEqual(ours.map((o) => o.result), printed(g.stdout), g.stderr);
      assert.deepEqual(ours.map((o) => `type = ${o.type}`), [...g.stdout.matchAll(/^type = .*$/gm)].map((m) => m[0]));
      // A few exactly, so that the test says what the lesson shows.
      const at = (e: string) => ours[EXPRESSIONS.indexOf(e)].result;
      const trapframes = address(server, "trapframes");
      assert.equal(at("*p"), `{pid = 1, state = RUNNING, name = "init", '\\000' <repeats 11 times>, trapframe = ${trapframes}, next = ${hex(address(server, "proc") + 48n)} <proc+48>, ticks = 10}`);
      assert.equal(at("*(struct trapframe *)p->trapframe"), "{epc = 4096, sp = 2147610624, a0 = 0}");
      assert.equal(at("runq->next->name"), "\"cat\", '\\000' <repeats 12 times>");
      assert.equal(at("magic"), "{value = 1234605616436508552, bytes = \"\\210wfUD3\\\"\\021\"}");
    });
  });

  test("errors say what is wrong, in gdb's words", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "run");
      const bad = ["nosuch", "p->nosuch", "slice[1]", "&5", "1/0", "slice->x", "(struct nosuch *)p", "*(int *)0", "p->"];
      const ours: string[] = [];
      for (const e of bad) ours.push(await failure(dc, e));
      assert.deepEqual(ours, [
        'No symbol "nosuch" in current context.',
        "There is no member named nosuch.",
        "cannot subscript something of type `int'",
        "Attempt to take address of value not located in memory.",
        "Division by zero",
        "Attempt to extract a component of a value that is not a structure pointer.",
        "No struct type named nosuch.",
        "Cannot access memory at address 0x0",
        "A syntax error in expression, near the end (expected a member name).",
      ]);
      const g = gdb(server, bad.map((e) => `print ${e}`));
      assert.deepEqual(g.stderr.trim().split("\n"), [...ours.slice(0, -1), "A syntax error in expression, near `'."], "as gdb words them (a syntax error says where)");
      // Text that is the machine language's and not C is that language's to explain.
      assert.equal(await failure(dc, "$nosuch"), "no convenience value '$nosuch'; there are $priv, $instret");
      // Where gdb would read memory at an int's value, Hyperstep says why it will not.
      assert.equal(await failure(dc, "*slice"), "Attempt to take contents of a non-pointer value.");
    });
  });

  test("a struct, a pointer and an array expand; children carry the C expression that names them", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "run");
      const proc = address(server, "proc");
      const trapframes = address(server, "trapframes");
      const children = async (ref: number) => (await dc.variablesRequest({ variablesReference: ref })).body.variables;
      const star = await evaluate(dc, "*p");
      assert.equal(star.type, "struct proc");
      assert.equal(star.memoryReference, `va:${hex(proc)}`);
      const members = await children(star.variablesReference);
      assert.deepEqual(members.map((m) => `${m.name} = ${m.value} (${m.evaluateName})`), [
        "pid = 1 ((*p).pid)", "state = RUNNING ((*p).state)", "name = [16] ((*p).name)", `trapframe = ${trapframes} ((*p).trapframe)`,
        `next = ${hex(proc + 48n)} <proc+48> ((*p).next)`, "ticks = 10 ((*p).ticks)",
      ]);
      // The pointer's child is its pointee; the pointee's members name their path from the expression.
      const sh = (await children(members[4].variablesReference))[0];
      assert.equal(sh.name, "*next");
      assert.equal(sh.evaluateName, "*((*p).next)");
      const shName = (await children(sh.variablesReference)).find((m) => m.name === "name")!;
      assert.equal(shName.evaluateName, "(*((*p).next)).name");
      assert.equal((await evaluate(dc, shName.evaluateName!)).result, "\"sh\", '\\000' <repeats 13 times>", "a child's evaluateName evaluates to it");
      const name = await children((await evaluate(dc, "p->name")).variablesReference);
      assert.deepEqual(name.slice(0, 5).map((c) => c.value), ["105 'i'", "110 'n'", "105 'i'", "116 't'", "0 '\\000'"]);
      assert.equal((await evaluate(dc, "p->name")).indexedVariables, 16);
      const tf = await evaluate(dc, "(struct trapframe *)p->trapframe");
      assert.equal(tf.result, `${hex(trapframes)} <trapframes>`);
      const pointee = (await children(tf.variablesReference))[0];
      assert.equal(pointee.name, "*(struct trapframe *)p->trapframe");
      assert.deepEqual((await children(pointee.variablesReference)).map((m) => `${m.name} = ${m.value}`), ["epc = 4096", "sp = 2147610624", "a0 = 0"]);
    });
  });

  test("hovers, the Debug Console and p/FMT read C; what is not C is the machine's expression language", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "run");
      assert.equal((await evaluate(dc, "p->state", "hover")).result, "RUNNING");
      assert.equal((await evaluate(dc, "runq->name", "repl")).result, "\"sh\", '\\000' <repeats 13 times>");
      assert.equal((await evaluate(dc, "p runq->pid + 40", "repl")).result, "42");
      assert.equal((await evaluate(dc, "p/x p->trapframe", "repl")).result, hex(address(server, "trapframes")));
      assert.equal((await evaluate(dc, "p/x -slice", "repl")).result, "0xfffffff6");
      assert.equal((await evaluate(dc, "p/c proc[1].name[1]", "repl")).result, "104 'h'");
      // x, walk and disas take C addresses: an array is where it is, a pointer where it points.
      assert.equal((await evaluate(dc, "x/s p->name", "repl")).result, `${hex(address(server, "proc") + 8n)}:\t"init"`);
      const trapframes = address(server, "trapframes");
      assert.equal((await evaluate(dc, "x/3xg tf", "repl")).result,
        `${hex(trapframes)} <trapframes>:\t0x0000000000001000\t0x000000008001f000\n${hex(trapframes + 16n)} <trapframes+0x10>:\t0x0000000000000000`);
      assert.match((await evaluate(dc, "x/i kmain", "repl")).result, /^0x0*([0-9a-f]+) <kmain>:\n {3}0x\1 <kmain>:\t/, "kmain is no C variable: the machine's symbol");
      // Registers, CSRs and the machine's loads are not C: they keep working.
      const sp = BigInt((await evaluate(dc, "sp")).result);
      assert.equal(BigInt((await evaluate(dc, "sp + 8")).result), sp + 8n);
      assert.match((await evaluate(dc, "$priv", "repl")).result, /^0x3 /);
      assert.match((await evaluate(dc, "mstatus.FS", "repl")).result, /^0x1 /, "_start turned the FPU on");
      assert.equal((await evaluate(dc, "*(u32*)nextpid", "repl")).result.split(" ")[0], "0x4");
      // An assignment is the machine's (C variables are not written yet).
      assert.match((await evaluate(dc, "a5 = 7", "repl")).result, /^0x7\b/);
    });
  });

  test("a caller's frame sees its own locals", async () => {
    await withClient(async (dc) => {
      await stopAt(dc, "run", 2);
      const frames = (await dc.stackTraceRequest(T)).body.stackFrames;
      assert.deepEqual(frames.slice(0, 2).map((f) => f.name.replace(/\+.*/, "")), ["run", "kmain"]);
      const inKmain = (expression: string) => dc.evaluateRequest({ expression, context: "watch", frameId: frames[1].id });
      assert.equal((await inKmain("round")).body.result, "1");
      assert.equal((await inKmain("p->name")).body.result, "\"sh\", '\\000' <repeats 13 times>");
      assert.equal((await evaluate(dc, "p->pid")).result, "2", "frame 0 is run(sh)");
    });
  });

  test("in an assembly frame (no DWARF function) expressions are the machine's: a symbol is its address", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc);
      assert.equal(BigInt((await evaluate(dc, "nextpid")).result), address(server, "nextpid"));
      assert.equal(await failure(dc, "p->pid"), "unexpected '>' at column 3");
    });
  });
});

describe("conditions and logpoints in C", { timeout: 60_000 }, () => {
  test("a breakpoint's condition and a logpoint's {expressions} read C in a C frame", async () => {
    await withClient(async (dc) => {
      const logged: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => {
        if (e.body.category !== "telemetry" && /ran/.test(e.body.output)) logged.push(e.body.output.trim());
      });
      const run = lineOf("run");
      await launch(dc, KERNEL, {}, () => dc.setBreakpointsRequest({
        source: { path: KERNEL },
        breakpoints: [{ line: run - 1, logMessage: "{p->name} ran {slice} ticks, pid {p->pid:x}" }, { line: run, condition: "p->pid == 3 && runq->pid == 1" }],
      }));
      await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal((await evaluate(dc, "p->name")).result, "\"cat\", '\\000' <repeats 12 times>", "the condition held for cat");
      assert.deepEqual(logged, [
        "\"init\", '\\000' <repeats 11 times> ran 10 ticks, pid 0x1",
        "\"sh\", '\\000' <repeats 13 times> ran 10 ticks, pid 0x2",
        "\"cat\", '\\000' <repeats 12 times> ran 10 ticks, pid 0x3",
      ]);
    });
  });
});

describe("data breakpoints on C objects", { timeout: 60_000 }, () => {
  test("a C variable in the Variables view, or a C expression, is the memory of its object, its size", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "run");
      const scope = (await dc.scopesRequest({ frameId: 0 })).body.scopes.find((s) => s.name === "Globals")!;
      const fromView = await dc.dataBreakpointInfoRequest({ variablesReference: scope.variablesReference, name: "total_ticks", frameId: 0 });
      assert.equal(fromView.body.dataId, `va:${hex(address(server, "total_ticks"))}/4`);
      const fromExpression = await dc.dataBreakpointInfoRequest({ name: "proc[1].ticks", frameId: 0 });
      assert.equal(fromExpression.body.dataId, `va:${hex(address(server, "proc") + 48n + 40n)}/4`);
      assert.equal((await dc.dataBreakpointInfoRequest({ name: "slice + 1", frameId: 0 })).body.dataId, null, "a computed value is no memory");
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: fromExpression.body.dataId!, accessType: "write" }] });
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "data breakpoint");
      assert.equal((await dc.stackTraceRequest(T)).body.stackFrames[0].name.replace(/\+.*/, ""), "charge", "sh is charged");
      assert.equal((await evaluate(dc, "p->ticks")).result, "20");
    });
  });
});

describe("the Variables view on the lesson c-guest", { timeout: 120_000 }, () => {
  test("globals of every kind show their C types and values, a double as gdb prints it, each with the expression that names it", async () => {
    await withClient(async (dc) => {
      const server = await stopAt(dc, "done");
      const scope = (await dc.scopesRequest({ frameId: 0 })).body.scopes.find((s) => s.name === "Globals")!;
      const globals = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
      assert.deepEqual(globals.map((v) => `${v.evaluateName}: ${v.type} = ${v.value}`), [
        "proc: struct proc [4] = [4]",
        "trapframes: struct trapframe [4] = [4]",
        `runq: struct proc * = ${hex(address(server, "proc") + 48n)} <proc+48>`,
        "nextpid: int = 4",
        "total_ticks: unsigned int = 70",
        "load: double = 23.333333333333332",
        "magic: union word = {...}",
        "stack: char [4096] = [4096]",
      ]);
      const magic = (await dc.variablesRequest({ variablesReference: globals[6].variablesReference })).body.variables;
      assert.deepEqual(magic.map((v) => `${v.evaluateName}: ${v.type} = ${v.value}`), ["magic.value: uint64 = 1234605616436508552", "magic.bytes: unsigned char [8] = [8]"]);
      const zombie = (await dc.evaluateRequest({ expression: "proc[2].state", context: "watch", frameId: 0 })).body.result;
      assert.equal(zombie, "ZOMBIE");
      assert.deepEqual(printed(gdb(server, ["print load", "print proc[2].state"]).stdout), ["23.333333333333332", "ZOMBIE"]);
    });
  });
});

describe("a .c program", { timeout: 60_000 }, () => {
  test("that does not compile fails to launch with gcc's errors, located, for the Problems panel", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "hyperstep-c-error-")), "broken.c");
    writeFileSync(file, "void _start(void) {\n  int x = ;\n}\n");
    await withClient(async (dc) => {
      const reported = new Promise<unknown>((resolve) => dc.on("output", (e: DebugProtocol.OutputEvent) => e.body.data && resolve(e.body.data)));
      await dc.initializeRequest(CLIENT_CAPABILITIES);
      const response = await dc.launchRequest({ program: file } as DebugProtocol.LaunchRequestArguments).catch((e: Error) => e);
      assert.ok(response instanceof Error);
      assert.equal(response.message, "broken.c does not compile: 1 error (see Problems)");
      assert.deepEqual(await reported, { hyperstep: "assemblyErrors", diagnostics: [{ file, line: 2, column: 11, message: "expected expression before ';' token" }] });
    });
  });
});
