/**
 * The request sequences that once broke the debug adapter's promises under the DAP fuzzer
 * (test/fuzz/dap_target.ts): each is sent to a session in-process after a guest is launched, and
 * every request must get exactly one response, in time, with no internal error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dapTarget, type DapInput } from "../../fuzz/dap_target";

async function assertKeepsPromises(input: DapInput): Promise<(true | string)[]> {
  const { report, problems } = await dapTarget.run(input);
  assert.deepEqual(problems, []);
  assert.equal(report.answers.length, input.requests.length, "every request was answered");
  return report.answers;
}

describe("DAP requests found by the DAP fuzzer (issue 22)", () => {
  it("a request without arguments is answered as one with empty arguments (seed 7, case 25)", async () => {
    const answers = await assertKeepsPromises({ guest: "spin.S", technique: "trap-and-emulate", requests: [{ command: "source", arguments: undefined }, { command: "threads", arguments: undefined }] });
    assert.equal(answers[0], "source needs 'sourceReference', or 'source' with a path or a sourceReference");
    assert.equal(answers[1], true);
  });

  it("stepping after fast steps does not block the event loop: step slices keep their measured size (seed 1390110834, case 736)", async () => {
    // Each `next` ended within its first slice, which used to double the slice budget; the stepOut
    // (single-stepping: echo.S shows no caller) then ran one slice of millions of steps, 15 s and 1.4 GB.
    const next = { command: "next", arguments: { threadId: 1, granularity: "statement" } };
    await assertKeepsPromises({ guest: "echo.S", technique: "trap-and-emulate", requests: [next, next, next, { command: "stepOut", arguments: { threadId: 1 } }] });
  });

  it("setDataBreakpoints refuses more than 1024 breakpoints at once instead of spending minutes on them (seed 1529689900, case 409)", async () => {
    const watch = { dataId: "0x80001000/8", accessType: "readWrite" };
    const answers = await assertKeepsPromises({ guest: "echo.S", technique: "native", requests: [
      { command: "setDataBreakpoints", arguments: { breakpoints: new Array(95_576).fill(watch) } },
      { command: "setDataBreakpoints", arguments: { breakpoints: new Array(1024).fill(watch) } },
    ] });
    assert.deepEqual(answers, ["setDataBreakpoints: 'breakpoints' may have at most 1024 elements, not 95576", true]);
  });
});
