import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import { launch, rawRequest, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

const HELLO = path.join(ROOT, "sample-guests/hello/hello.S");

/**
 * Arguments of the wrong type are answered with a message that names the argument (request_args.ts),
 * never with an exception's stack; counts and offsets are capped so that a request costs work in
 * proportion to its answer. The shapes are those issue 22's fuzzing found.
 */
const BAD: [string, unknown, RegExp][] = [
  ["evaluate", { expression: 5 }, /evaluate: 'expression' must be a string, not number 5/],
  ["setBreakpoints", {}, /setBreakpoints: 'source' is required/],
  ["setExceptionBreakpoints", { filters: [5] }, /'filters\[0\]' must be a string/],
  ["readMemory", { memoryReference: "0x80000000", offset: 1.5, count: 4 }, /readMemory: 'offset' must be an integer, not number 1.5/],
  ["writeMemory", { memoryReference: "0x80000000", data: 5 }, /writeMemory: 'data' must be a string/],
  ["completions", { text: 5, column: 1 }, /completions: 'text' must be a string/],
  ["variables", {}, /variables: 'variablesReference' is required/],
  ["variables", { variablesReference: "x" }, /'variablesReference' must be an integer/],
  ["stackTrace", { threadId: 1, levels: -1 }, /'levels' must be between 0 and/],
  ["setFunctionBreakpoints", { breakpoints: [{ name: 7 }] }, /'breakpoints\[0\]\.name' must be a string/],
  ["disassemble", { memoryReference: "0x80000000", instructionOffset: 1e15, instructionCount: 10 }, /'instructionOffset' must be between -100000 and 100000/],
  ["disassemble", { memoryReference: "0x80000000", instructionCount: 1e9 }, /'instructionCount' must be between 0 and 100000/],
  ["source", { sourceReference: "a" }, /source: 'sourceReference' must be an integer/],
];

describe("request arguments are checked where requests enter", () => {
  test(`${BAD.length} wrong shapes are answered with the argument's name, no stack, and the session goes on`, async () => {
    await withClient(async (dc) => {
      await launch(dc, HELLO);
      for (const [command, args, expected] of BAD) {
        const started = Date.now();
        const r = await dc.customRequest(command, args as never).then(() => undefined, (e: Error) => e);
        assert.ok(r, `${command} ${JSON.stringify(args)} succeeded`);
        assert.match(r.message, expected, `${command} ${JSON.stringify(args)}`);
        assert.doesNotMatch(r.message, /TypeError|\n\s+at /, "no exception text");
        assert.ok(Date.now() - started < 2000, `${command} answered at once`);
      }
      const ok = await dc.customRequest("disassemble", { memoryReference: "0x80000000", instructionOffset: 100_000, instructionCount: 10 });
      assert.equal(ok.body.instructions.length, 10, "the largest offset allowed is still answered");
    });
  });

  test("an initialize without pathFormat is answered as DAP's default, \"path\"", async () => {
    await withClient(async (dc) => {
      const r = await rawRequest(dc, "initialize", { adapterID: "hyperstep" });
      assert.equal(r.success, true, r.message);
      assert.equal((await rawRequest(dc, "initialize", { adapterID: "hyperstep", pathFormat: "uri" })).success, false, "other formats stay refused");
    });
  });
});
