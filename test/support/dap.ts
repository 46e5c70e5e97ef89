import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ROOT } from "./guests";

/** The standalone adapter bundle (`node scripts/build.mjs` makes it), driven over stdio as VS Code does. */
export const ADAPTER = path.join(ROOT, "dist/hyperstep-dap.js");
export const GUESTS = path.join(ROOT, "test/dap/guests");

export const guest = (name: string): string => path.join(GUESTS, name);

/** The 1-based line of the `# @marker` comment in a guest source. */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(file, "utf8").split("\n");
  const i = lines.findIndex((l) => new RegExp(`# @${marker}(\\s|$)`).test(l));
  assert.ok(i >= 0, `no '# @${marker}' in ${file}`);
  return i + 1;
}

/** Starts `hyperstep-dap --port 0` and resolves with the port it says it listens on and its token. */
export function listen(): Promise<{ child: ChildProcess; port: number; token: string }> {
  const child = spawn(process.execPath, [ADAPTER, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)\n[^]*token ([0-9a-f]{32})/.exec(err);
      if (m) resolve({ child, port: Number(m[1]), token: m[2] });
    });
    child.on("exit", (code) => reject(new Error(`hyperstep-dap exited with ${code}: ${err}`)));
  });
}

export async function withClient(fn: (dc: DebugClient) => Promise<void>): Promise<void> {
  const dc = new DebugClient("node", ADAPTER, "hyperstep");
  dc.defaultTimeout = 10_000;
  await dc.start();
  try {
    await fn(dc);
  } finally {
    await dc.stop();
  }
}

export const CLIENT_CAPABILITIES: DebugProtocol.InitializeRequestArguments = {
  adapterID: "hyperstep",
  linesStartAt1: true,
  columnsStartAt1: true,
  pathFormat: "path",
  supportsInvalidatedEvent: true,
  supportsMemoryEvent: true,
  supportsProgressReporting: true,
  supportsVariableType: true,
  supportsMemoryReferences: true,
};

/**
 * Initializes like VS Code, launches `program`, runs `configure` (set breakpoints) between the
 * `initialized` event and `configurationDone`, and waits for the first stop (entry, unless
 * stopOnEntry is false, then whatever stops the guest first). Returns that stopped event.
 */
export async function launch(
  dc: DebugClient,
  program: string,
  extra: Record<string, unknown> = {},
  configure: () => Promise<unknown> = async () => {},
): Promise<DebugProtocol.StoppedEvent> {
  await dc.initializeRequest(CLIENT_CAPABILITIES);
  const stopped = dc.waitForEvent("stopped");
  await Promise.all([
    dc.waitForEvent("initialized").then(configure).then(() => dc.configurationDoneRequest()),
    dc.launchRequest({ program, stopOnEntry: true, ...extra } as DebugProtocol.LaunchRequestArguments),
  ]);
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** Sends a request and expects it to fail; returns the error message. */
export async function failing(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("the request succeeded but should have failed");
}

/** Waits for the next `stopped` event after `action`. */
export async function stopAfter(dc: DebugClient, action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent("stopped");
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  return st.body.stackFrames[0];
}

/** Evaluates in the debug console; returns the result text. */
export async function repl(dc: DebugClient, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, context: "repl" })).body.result;
}

/** The value of an expression as a bigint (evaluated in the watch context, hex). */
export async function value(dc: DebugClient, expression: string): Promise<bigint> {
  return BigInt((await dc.evaluateRequest({ expression, context: "watch" })).body.result);
}

/** The variables of the top frame's scope `name` (Registers, CSRs, TLB). */
export async function scope(dc: DebugClient, name: string): Promise<DebugProtocol.Variable[]> {
  const scopes = await dc.scopesRequest({ frameId: 0 });
  const s = scopes.body.scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

/** The CSRs of one group of the CSRs scope. */
export async function csrGroup(dc: DebugClient, group: string): Promise<DebugProtocol.Variable[]> {
  const g = (await scope(dc, "CSRs")).find((v) => v.name === group);
  assert.ok(g, `group ${group}`);
  return (await dc.variablesRequest({ variablesReference: g.variablesReference })).body.variables;
}

/**
 * Sends a request and resolves with the adapter's whole response, failed or not: DebugClient's own
 * requests reject a failure with its message alone, which hides the error body.
 */
export function rawRequest(dc: DebugClient, command: string, args: object): Promise<DebugProtocol.Response> {
  const client = dc as unknown as { doSend(command: string, args: object, done: (r: DebugProtocol.Response) => void): void };
  return new Promise((resolve) => client.doSend(command, args, resolve));
}
