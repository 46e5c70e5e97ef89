import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { assemble } from "../../src/asm/assemble";
import { ROOT, buildWithGcc } from "../support/guests";
import { failing, guest, launch, lineOf, stopAfter, topFrame, value, withClient, rawRequest } from "../support/dap";

const HELLO_S = path.join(ROOT, "sample-guests/hello/hello.S");

/** Launches with bad arguments and returns the error message; the adapter must answer, not crash. */
async function launchError(dc: DebugClient, args: Record<string, unknown>): Promise<string> {
  await dc.initializeRequest();
  try {
    await dc.launch(args as never);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`launch with ${JSON.stringify(args)} succeeded`);
}

describe("launch", () => {
  let helloElf: string;
  before(() => {
    helloElf = buildWithGcc(HELLO_S, "hello");
  });

  test("stops on entry, runs to the end, and terminates cleanly", async () => {
    await withClient(async (dc) => {
      const output: string[] = [];
      dc.on("output", (e) => output.push(e.body.output));
      await Promise.all([
        dc.configurationSequence(),
        dc.launch({ program: helloElf, stopOnEntry: true } as never),
        dc.assertStoppedLocation("entry", {}),
      ]);
      const stack = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(stack.body.stackFrames[0].name, "_start");
      assert.equal(stack.body.stackFrames[0].instructionPointerReference, "0x0000000080000000");
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      const text = output.join("");
      assert.match(text, /Hello from a RISC-V guest!\nBack from the trap handler\. Goodbye\.\n/);
      assert.match(text, /exited with code 0/);
    });
  });

  test("terminate ends a session stopped on entry", async () => {
    await withClient(async (dc) => {
      await Promise.all([
        dc.configurationSequence(),
        dc.launch({ program: helloElf, stopOnEntry: true } as never),
        dc.assertStoppedLocation("entry", {}),
      ]);
      await Promise.all([dc.terminateRequest(), dc.waitForEvent("terminated")]);
    });
  });

  test("registers are readable when stopped", async () => {
    await withClient(async (dc) => {
      await Promise.all([dc.configurationSequence(), dc.launch({ program: helloElf, stopOnEntry: true } as never), dc.assertStoppedLocation("entry", {})]);
      const scopes = await dc.scopesRequest({ frameId: 0 });
      const vars = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const pc = vars.body.variables.find((v) => v.name === "pc");
      assert.equal(pc?.value, "0x0000000080000000");
      assert.equal(vars.body.variables.find((v) => v.name === "a0")?.value, "0x0000000000000000", "a0 = hartid at boot");
    });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["a missing program", {}, /'program' is required/],
    ["a program of the wrong type", { program: 7 }, /'program' must be a string/],
    ["an unreadable program", { program: "/nonexistent/guest.S" }, /'program' cannot be read: no such file/],
    ["a program that is not a guest", { program: path.join(ROOT, "package.json") }, /'program'/],
    ["an unknown technique", { program: HELLO_S, technique: "teleport" }, /'technique' must be one of native, trap-and-emulate/],
    ["a paravirtual kernel's technique for an ordinary guest", { program: HELLO_S, technique: "paravirtual" }, /technique "paravirtual" runs only a kernel written for the VMM/],
    ["a wrongly typed stopOnEntry", { program: HELLO_S, stopOnEntry: "yes" }, /'stopOnEntry' must be a boolean/],
    ["a bad memory size", { program: HELLO_S, memory: "lots" }, /'memory'/],
    ["a missing disk image", { program: HELLO_S, disk: "/nonexistent/fs.img" }, /'disk' cannot open '\/nonexistent\/fs.img' for reading and writing: no such file/],
    ["a disk image that is not whole sectors", { program: HELLO_S, disk: { path: path.join(ROOT, "package.json"), snapshot: true } }, /'disk' .* bytes, not a whole number of 512-byte sectors/],
  ];
  for (const [what, args, expected] of bad) {
    test(`rejects ${what} with an error naming the field`, async () => {
      await withClient(async (dc) => {
        assert.match(await launchError(dc, args), expected);
        // The adapter is still alive and answering after the failed launch.
        const threads = await dc.threadsRequest();
        assert.ok(Array.isArray(threads.body.threads));
      });
    });
  }


  test("an assembly source is assembled and debugged at source level", async () => {
    await withClient(async (dc) => {
      const output: string[] = [];
      dc.on("output", (e) => output.push(e.body.output));
      await launch(dc, HELLO_S);
      const frame = await topFrame(dc);
      assert.equal(frame.name, "_start");
      assert.equal(frame.source?.path, HELLO_S);
      assert.equal(frame.line, 17);
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      assert.match(output.join(""), /Hello from a RISC-V guest!\nBack from the trap handler\. Goodbye\.\n/);
    });
  });

  test("an ELF guest built with -g is debugged at source level through its DWARF line table", async () => {
    await withClient(async (dc) => {
      await launch(dc, helloElf);
      const frame = await topFrame(dc);
      assert.equal(frame.source?.path, HELLO_S);
      assert.equal(frame.line, 17);
      const r = await dc.setBreakpointsRequest({ source: { path: HELLO_S }, breakpoints: [{ line: 36 }] });
      assert.equal(r.body.breakpoints[0].verified, true);
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal((await topFrame(dc)).name, "puts");
    });
  });

  test("an ELF without line information has symbols; line steps fall back to instructions", async () => {
    const stripped = helloElf.replace(/\.elf$/, "-stripped.elf");
    execFileSync("riscv64-unknown-elf-objcopy", ["--strip-debug", helloElf, stripped]);
    await withClient(async (dc) => {
      await launch(dc, stripped);
      const frame = await topFrame(dc);
      assert.equal(frame.source, undefined);
      assert.equal(frame.presentationHint, "subtle");
      const r = await dc.setBreakpointsRequest({ source: { path: HELLO_S }, breakpoints: [{ line: 20 }] });
      assert.equal(r.body.breakpoints[0].verified, false);
      assert.match(r.body.breakpoints[0].message ?? "", /no line information/);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "puts" }] });
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal((await topFrame(dc)).name, "puts");
      await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
      assert.equal((await topFrame(dc)).name, "puts+0x4");
    });
  });

  test("assembly errors abort the launch, listing every error with file:line:col", async () => {
    await withClient(async (dc) => {
      const bad = guest("bad.S");
      await dc.initializeRequest();
      const output = dc.waitForEvent("output");
      const response = (await rawRequest(dc, "launch", { program: bad })) as DebugProtocol.ErrorResponse;
      assert.equal(response.success, false);
      assert.equal(response.message, "bad.S does not assemble: 2 errors (see Problems)", "the file, not the launch configuration, is at fault");
      assert.equal(response.body.error?.url, "command:workbench.actions.view.problems", "the dialog's button shows the Problems panel");
      const event = (await output) as DebugProtocol.OutputEvent;
      assert.equal(event.body.category, "stderr");
      assert.match(event.body.output, new RegExp(`${bad}:5:9: error: 'addi' takes two registers`));
      assert.match(event.body.output, new RegExp(`${bad}:6:9: error: unknown instruction 'frobnicate'`));
      const diagnostics = (event.body.data as { diagnostics: { file: string; line: number; column: number }[] }).diagnostics;
      assert.deepEqual(diagnostics.map((d) => [d.file, d.line, d.column]), [[bad, 5, 9], [bad, 6, 9]]);
      assert.equal((response.body as unknown as { diagnostics: unknown[] }).diagnostics.length, 2);
      assert.match((await failing(dc.stackTraceRequest({ threadId: 1 }))), /no program/, "no half-started session");
    });
  });

  test("march chooses the architecture the program is assembled for", async () => {
    const src = guest("calls.S");
    const text = (p: string) => (p === src ? readFileSync(src, "utf8") : undefined);
    const bytesFor = (march?: string) => assemble(src, text, { march }).program!.segments[0]!.data.subarray(0, 32);
    const loaded = async (extra: Record<string, unknown>) => {
      let bytes = new Uint8Array();
      await withClient(async (dc) => {
        await launch(dc, src, extra);
        const r = (await dc.customRequest("readMemory", { memoryReference: "pa:0x80000000", count: 32 })).body;
        bytes = Uint8Array.from(Buffer.from(r.data, "base64"));
      });
      return bytes;
    };
    const plain = await loaded({ march: "rv64ima_zicsr_zifencei" });
    assert.deepEqual(plain, bytesFor("rv64ima_zicsr_zifencei"));
    assert.deepEqual(await loaded({}), bytesFor(undefined));
    assert.notDeepEqual(plain, bytesFor(undefined), "without C nothing is compressed");
    await withClient(async (dc) => {
      assert.match(await launchError(dc, { program: src, march: "rv64q" }), /'march' architecture 'rv64q' must start with rv64i or rv64g/);
    });
  });

  test("cwd resolves a relative program; memory sets the RAM size", async () => {
    await withClient(async (dc) => {
      await launch(dc, "calls.S", { cwd: path.join(ROOT, "test/dap/guests"), memory: "64K" });
      assert.equal((await topFrame(dc)).line, lineOf(guest("calls.S"), "entry"));
      const end = (await dc.customRequest("readMemory", { memoryReference: "pa:0x8000fff8", count: 16 })).body;
      assert.equal(end.unreadableBytes, 8, "RAM ends at 0x80010000");
      assert.equal(await value(dc, "sp"), 0n);
    });
  });
});
