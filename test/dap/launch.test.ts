import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import { ROOT, buildWithGcc } from "../support/guests";

const ADAPTER = path.join(ROOT, "dist/hyperstep-dap.js");
const HELLO_S = path.join(ROOT, "sample-guests/hello/hello.S");

async function withClient(fn: (dc: DebugClient) => Promise<void>): Promise<void> {
  const dc = new DebugClient("node", ADAPTER, "hyperstep");
  dc.defaultTimeout = 10_000;
  await dc.start();
  try {
    await fn(dc);
  } finally {
    await dc.stop();
  }
}

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
    ["a technique not built yet", { program: HELLO_S, technique: "paravirtual" }, /'technique' "paravirtual" is not yet available/],
    ["a wrongly typed stopOnEntry", { program: HELLO_S, stopOnEntry: "yes" }, /'stopOnEntry' must be a boolean/],
    ["a bad memory size", { program: HELLO_S, memory: "lots" }, /'memory'/],
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

});
