import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import {
  assemblyErrorsIn, forTerminal, isResumeRequest, isStopped, launchProblems, launchSucceeded, uartOutputIn,
} from "../../../src/extension/adapter_messages";

const ERRORS = [
  { file: "/w/bad.S", line: 3, column: 3, message: "'addi' takes two registers and an immediate" },
  { file: "/w/bad.S", line: 4, column: 12, endColumn: 14, message: "expected a base register" },
];

const output = (body: Record<string, unknown>): DebugProtocol.ProtocolMessage =>
  ({ seq: 1, type: "event", event: "output", body } as DebugProtocol.OutputEvent);
const launchResponse = (success: boolean, body?: unknown, command = "launch"): DebugProtocol.ProtocolMessage =>
  ({ seq: 2, type: "response", request_seq: 1, command, success, body } as DebugProtocol.Response);
const request = (command: string): DebugProtocol.ProtocolMessage => ({ seq: 3, type: "request", command } as DebugProtocol.Request);

describe("reading the adapter's messages", () => {
  it("finds assembly errors in the tagged output event and in the failed launch or restart response", () => {
    assert.deepEqual(assemblyErrorsIn(output({ category: "stderr", output: "x", data: { hyperstep: "assemblyErrors", diagnostics: ERRORS } })), ERRORS);
    assert.deepEqual(assemblyErrorsIn(launchResponse(false, { diagnostics: ERRORS })), ERRORS);
    assert.deepEqual(assemblyErrorsIn(launchResponse(false, { diagnostics: ERRORS }, "restart")), ERRORS);
  });

  it("ignores messages without well-formed errors", () => {
    assert.equal(assemblyErrorsIn(output({ category: "stderr", output: "x" })), undefined);
    assert.equal(assemblyErrorsIn(output({ category: "stderr", output: "x", data: { hyperstep: "other", diagnostics: ERRORS } })), undefined);
    assert.equal(assemblyErrorsIn(launchResponse(true, { diagnostics: ERRORS })), undefined, "a successful launch has no errors");
    assert.equal(assemblyErrorsIn(launchResponse(false, { diagnostics: [] })), undefined);
    assert.equal(assemblyErrorsIn(launchResponse(false, { diagnostics: [{ ...ERRORS[0], line: 0 }] })), undefined, "lines are 1-based");
    assert.equal(assemblyErrorsIn(launchResponse(false, { diagnostics: [{ ...ERRORS[0], file: 7 }] })), undefined);
    assert.equal(assemblyErrorsIn(launchResponse(false, "not an object")), undefined);
    assert.equal(assemblyErrorsIn(launchResponse(false, { diagnostics: ERRORS }, "evaluate")), undefined);
  });

  it("tells a successful launch or restart from anything else", () => {
    assert.equal(launchSucceeded(launchResponse(true)), true);
    assert.equal(launchSucceeded(launchResponse(true, undefined, "restart")), true);
    assert.equal(launchSucceeded(launchResponse(false)), false);
    assert.equal(launchSucceeded(launchResponse(true, undefined, "threads")), false);
    assert.equal(launchSucceeded(request("launch")), false);
  });

  it("takes UART output from stdout output events only", () => {
    assert.equal(uartOutputIn(output({ category: "stdout", output: "Hello\n" })), "Hello\n");
    assert.equal(uartOutputIn(output({ category: "console", output: "hyperstep: guest exited\n" })), undefined);
    assert.equal(uartOutputIn(output({ category: "stderr", output: "oops" })), undefined);
    assert.equal(uartOutputIn(output({ category: "stdout" })), undefined);
    assert.equal(uartOutputIn(launchResponse(true)), undefined);
  });

  it("recognises stops and the requests that resume the guest", () => {
    assert.equal(isStopped({ seq: 1, type: "event", event: "stopped", body: { reason: "step" } } as DebugProtocol.StoppedEvent), true);
    assert.equal(isStopped(output({ category: "stdout", output: "" })), false);
    for (const c of ["continue", "next", "stepIn", "stepOut", "restart"]) assert.equal(isResumeRequest(request(c)), true, c);
    for (const c of ["evaluate", "threads", "pause"]) assert.equal(isResumeRequest(request(c)), false, c);
    assert.equal(isResumeRequest(launchResponse(true, undefined, "continue")), false, "a response is not a request");
  });
});

describe("launch errors as problems", () => {
  it("gives exact 0-based ranges, widening an error without an end column to its word", () => {
    const lines: Record<number, string> = { 3: "  addi a0, a0", 4: "  lw a1, 0(a9)" };
    const problems = launchProblems(ERRORS, (file, line) => (file === "/w/bad.S" ? lines[line] ?? "" : ""));
    assert.deepEqual(problems, [
      { file: "/w/bad.S", range: { line: 2, start: 2, end: 6 }, message: ERRORS[0]!.message },
      { file: "/w/bad.S", range: { line: 3, start: 11, end: 13 }, message: ERRORS[1]!.message },
    ]);
  });

  it("still marks something when the file cannot be read", () => {
    const [p] = launchProblems([ERRORS[0]!], () => "");
    assert.deepEqual(p!.range, { line: 2, start: 0, end: 0 });
  });
});

describe("guest text for a terminal", () => {
  it("turns a guest's new lines into the terminal's CR LF, leaving CR LF alone", () => {
    assert.equal(forTerminal("Hello\nworld\n"), "Hello\r\nworld\r\n");
    assert.equal(forTerminal("a\r\nb"), "a\r\nb");
    assert.equal(forTerminal("no newline"), "no newline");
    assert.equal(forTerminal("\r"), "\r");
  });
});
