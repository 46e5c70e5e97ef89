import { timingSafeEqual } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { HyperstepSession } from "./session";

/**
 * The standalone adapter's wire: DAP's `Content-Length` framing between a byte stream and one
 * session, for stdio and for each TCP connection.
 *
 * It replaces the library's own framing (ProtocolServer.start), which turns a malformed message into
 * an unhandled 'error' event that ends the process, buffers a message of any announced length, and
 * copies everything received so far on every chunk. Here any bytes are survivable: a message that is
 * not JSON, or not a request, is reported on the log and dropped; a message larger than
 * MAX_MESSAGE_BYTES, or a header without a length, ends this connection only. Chunks are kept in a
 * list and joined once per message.
 */
export const MAX_MESSAGE_BYTES = 16 << 20;
const HEADER_MAX = 1024;

export interface ServeOptions {
  /** Where problems with the client's bytes are reported (stderr). */
  log: (line: string) => void;
  /** The token a TCP client must give in its launch configuration (`token`) before anything else but initialize. */
  token?: string;
  /** The connection is over: the client closed it, broke the framing, or the session shut down. */
  closed: () => void;
}

/** Serves `session` over `input`/`output` until either side ends. */
export function serve(session: HyperstepSession, input: Readable, output: Writable, opts: ServeOptions): void {
  let ended = false;
  const end = (why?: string) => {
    if (ended) return;
    ended = true;
    if (why) opts.log(why);
    session.shutdown();
    output.end();
    opts.closed();
  };
  const gate = opts.token === undefined ? undefined : new TokenGate(opts.token);
  const send = (m: DebugProtocol.ProtocolMessage) => {
    if (ended) return;
    const json = JSON.stringify(m);
    output.write(`Content-Length: ${Buffer.byteLength(json, "utf8")}\r\n\r\n${json}`, "utf8");
  };
  session.onDidSendMessage((m) => send(m as DebugProtocol.ProtocolMessage));
  // The library reports trouble as 'error' events; without a listener they would end the process.
  session.on("error", (e: { body?: unknown }) => opts.log(`hyperstep-dap: ${String(e?.body ?? e)}`));
  session.onShutdown(() => end());
  const framer = new Framer((text) => {
    const request = parseRequest(text);
    if (typeof request === "string") return opts.log(`hyperstep-dap: dropped a message: ${request}`);
    const refused = gate?.check(request);
    if (refused) return send({ type: "response", seq: 0, request_seq: request.seq, command: request.command, success: false, message: refused } as DebugProtocol.Response);
    session.handleMessage(request);
  });
  input.on("data", (chunk: Buffer) => {
    if (ended) return;
    const problem = framer.push(chunk);
    if (problem) end(`hyperstep-dap: closing the connection: ${problem}`);
  });
  input.on("end", () => end());
  input.on("close", () => end());
  input.on("error", (e) => end(`hyperstep-dap: input: ${e.message}`));
  output.on("error", (e) => end(`hyperstep-dap: output: ${e.message}`));
}

/** A request, or why the text is not one. */
function parseRequest(text: string): DebugProtocol.Request | string {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return "not a JSON object";
  const m = msg as Record<string, unknown>;
  if (m.type !== "request") return `type must be "request", not ${JSON.stringify(m.type)}`;
  if (typeof m.command !== "string" || !Number.isSafeInteger(m.seq)) return "a request needs a string 'command' and an integer 'seq'";
  return m as unknown as DebugProtocol.Request;
}

/** Splits a byte stream into message bodies; push answers why the stream cannot go on, if so. */
export class Framer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private length = -1;

  constructor(private readonly onMessage: (text: string) => void) {}

  push(chunk: Buffer): string | undefined {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.length < 0) {
        const all = this.take(Math.min(this.buffered, HEADER_MAX + 4), false);
        const idx = all.indexOf("\r\n\r\n");
        if (idx < 0) return this.buffered > HEADER_MAX ? `a header longer than ${HEADER_MAX} bytes` : undefined;
        const m = /^Content-Length: *(\d+) *$/im.exec(all.toString("latin1", 0, idx));
        if (!m) return "a header without Content-Length";
        this.length = Number(m[1]);
        if (this.length > MAX_MESSAGE_BYTES) return `a message of ${this.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`;
        this.take(idx + 4, true);
      }
      if (this.buffered < this.length) return undefined;
      const body = this.take(this.length, true).toString("utf8");
      this.length = -1;
      if (body.length > 0) this.onMessage(body);
    }
  }

  /** The first `n` buffered bytes, removed from the buffer when `consume`. */
  private take(n: number, consume: boolean): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [all];
    const out = all.subarray(0, n);
    if (consume) {
      this.chunks = all.length > n ? [all.subarray(n)] : [];
      this.buffered -= n;
    }
    return out;
  }
}

/**
 * TCP sessions are reachable by every local user, so a session does nothing but `initialize` until
 * its `launch` (or `attach`) arguments carry the token the adapter printed at start: no program is
 * loaded and no file is read for a client that has not shown it.
 */
class TokenGate {
  private open = false;

  constructor(private readonly token: string) {}

  check(request: DebugProtocol.Request): string | undefined {
    if (this.open || request.command === "initialize") return undefined;
    if (request.command === "launch" || request.command === "attach") {
      const given = (request.arguments as { token?: unknown } | undefined)?.token;
      if (typeof given === "string" && given.length === this.token.length && timingSafeEqual(Buffer.from(given), Buffer.from(this.token))) {
        this.open = true;
        return undefined;
      }
      return `${request.command}: 'token' must be the token hyperstep-dap printed when it started`;
    }
    return `${request.command}: this adapter needs its token first, in the launch configuration's 'token'`;
  }
}
