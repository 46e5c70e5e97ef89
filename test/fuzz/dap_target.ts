/**
 * The debug adapter under fuzzing, in-process: a HyperstepSession fed request messages as the
 * transport (transport.ts) would feed them, and its messages collected. A guest is launched and
 * stopped at its entry, then the case's requests are sent one after the other, each answered before
 * the next (the guest may be running meanwhile).
 *
 * The promise checked: every request gets exactly one response, within RESPONSE_MS; no exception
 * escapes the session; no response's message is an internal error (a stack or an exception's text).
 */
import * as path from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { HyperstepSession } from "../../src/debug/session";
import type { Technique } from "../../src/target/techniques";
import { writeFileSync } from "node:fs";
import { dapCase } from "./dap_cases";
import type { FuzzTarget, Verdict } from "./target";
import { badMessage } from "./verdicts";

export interface DapRequest {
  command: string;
  arguments: unknown;
}

export interface DapInput {
  /** A guest of test/dap/guests. */
  guest: string;
  technique: Technique;
  requests: DapRequest[];
}

export interface DapReport {
  /** Per request: whether it succeeded, or its error message. */
  answers: (true | string)[];
}

/** How long a request may go unanswered: a bound on the work any request may do. */
export const RESPONSE_MS = 3000;
const GUESTS = path.resolve(__dirname, "../dap/guests");

export const dapTarget: FuzzTarget<DapInput, DapReport> = {
  run: runDap,
  ciCases: 60,
  cases: () => dapCase,
  save(input, base) {
    writeFileSync(`${base}.json`, JSON.stringify(input, null, 1));
    return [`${base}.json`];
  },
};

/** One session and what it sent: responses by the seq of their request, and events by name. */
class Client {
  readonly session = new HyperstepSession();
  private seq = 1;
  private readonly responses = new Map<number, DebugProtocol.Response[]>();
  private readonly waiting = new Map<number, () => void>();
  private readonly eventWaiters: { event: string; resolve: () => void }[] = [];

  constructor() {
    this.session.onDidSendMessage((m) => {
      const msg = m as DebugProtocol.ProtocolMessage;
      if (msg.type === "response") {
        const r = msg as DebugProtocol.Response;
        this.responses.set(r.request_seq, [...(this.responses.get(r.request_seq) ?? []), r]);
        this.waiting.get(r.request_seq)?.();
      } else if (msg.type === "event") {
        const name = (msg as DebugProtocol.Event).event;
        for (const w of this.eventWaiters.filter((w) => w.event === name)) w.resolve();
      }
    });
  }

  /**
   * Sends a request; resolves to its first response, or undefined when none came in time, and how
   * long the answer took: measured, since a handler that blocks the event loop delays the timeout too.
   */
  async send(command: string, args: unknown): Promise<{ response?: DebugProtocol.Response; ms: number }> {
    const seq = this.seq++;
    const answered = new Promise<void>((resolve) => this.waiting.set(seq, resolve));
    const started = performance.now();
    this.session.handleMessage({ seq, type: "request", command, arguments: args } as DebugProtocol.Request);
    await within(answered, RESPONSE_MS);
    this.waiting.delete(seq);
    return { response: this.responses.get(seq)?.[0], ms: performance.now() - started };
  }

  event(name: string): Promise<void> {
    return new Promise((resolve) => this.eventWaiters.push({ event: name, resolve }));
  }

  /** How many responses each request got. */
  counts(): Map<number, number> {
    return new Map([...this.responses].map(([seq, rs]) => [seq, rs.length]));
  }
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([p.then(() => true), late]).finally(() => clearTimeout(timer));
}

async function runDap(input: DapInput): Promise<Verdict<DapReport>> {
  const problems: string[] = [];
  const client = new Client();
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on("uncaughtException", onEscape);
  process.on("unhandledRejection", onEscape);
  const answers: (true | string)[] = [];
  try {
    await client.send("initialize", { adapterID: "hyperstep", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const stopped = client.event("stopped");
    const launch = client.send("launch", { program: path.join(GUESTS, input.guest), technique: input.technique, stopOnEntry: true });
    await client.send("configurationDone", {});
    const launched = (await launch).response;
    if (!launched?.success) return { report: { answers }, problems: [`the guest did not launch: ${launched?.message ?? "no answer"}`] };
    if (!(await within(stopped, RESPONSE_MS))) problems.push("the guest did not stop at its entry");
    const late = (what: string, ms: number) => ms > RESPONSE_MS && problems.push(`${what} was answered after ${Math.round(ms)} ms`);
    for (const [i, r] of input.requests.entries()) {
      const { response, ms } = await client.send(r.command, r.arguments);
      const what = `request ${i} '${r.command}'`;
      if (!response) {
        problems.push(`${what} got no response within ${RESPONSE_MS} ms`);
        break;
      }
      late(what, ms);
      answers.push(response.success || (response.message ?? ""));
      if (!response.success) {
        const bad = badMessage(response.message ?? "", `${what}'s error`) ?? internal(response, what);
        if (bad) problems.push(bad);
      }
    }
    const disconnect = await client.send("disconnect", { terminateDebuggee: true });
    // The guest may still be running: a slice that blocks the event loop shows here.
    if (!disconnect.response) problems.push(`disconnect got no response within ${RESPONSE_MS} ms`);
    late("disconnect", disconnect.ms);
  } finally {
    client.session.shutdown();
    // Late answers and late exceptions surface on the next turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off("uncaughtException", onEscape);
    process.off("unhandledRejection", onEscape);
  }
  for (const [seq, n] of client.counts()) if (n > 1) problems.push(`the request with seq ${seq} got ${n} responses`);
  for (const e of escaped) problems.push(`an exception escaped the session: ${e instanceof Error ? e.stack : String(e)}`);
  return { report: { answers }, problems };
}

/** The adapter's own wrapping of a handler's exception (error 1104) is an internal error, whatever its text. */
function internal(response: DebugProtocol.Response, what: string): string | undefined {
  const id = (response.body as { error?: { id?: number } } | undefined)?.error?.id;
  return id === 1104 ? `${what} threw inside its handler: ${response.message}` : undefined;
}
