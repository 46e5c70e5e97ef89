import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import { ADAPTER, listen } from "../support/dap";
import { ROOT } from "../support/guests";

const HELLO = path.join(ROOT, "sample-guests/hello/hello.S");

/** A TCP connection that speaks raw DAP framing. */
async function rawClient(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let text = "";
  socket.setEncoding("utf8").on("data", (d: string) => (text += d));
  socket.on("error", () => {});
  const closed = new Promise((resolve) => socket.once("close", resolve));
  return {
    socket,
    closed,
    send: (m: object) => {
      const json = JSON.stringify(m);
      socket.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    },
    /** The first `n` responses (events skipped). */
    async responses(n: number): Promise<{ success: boolean; message: string }[]> {
      for (let waited = 0; waited < 10_000; waited += 50) {
        const found = text.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean).map((j) => JSON.parse(j)).filter((m) => m.type === "response");
        if (found.length >= n) return found.slice(0, n);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`fewer than ${n} responses: ${text}`);
    },
  };
}

let server: { child: ChildProcess; port: number; token: string } | undefined;
async function ensureServer() {
  server ??= await listen();
  return server;
}

describe("hyperstep-dap standalone", () => {
  after(() => server?.child.kill());

  test("serves sessions over TCP with --port, one per connection", async () => {
    const { port, token } = await ensureServer();
    for (let i = 0; i < 2; i++) {
      const dc = new DebugClient("node", ADAPTER, "hyperstep");
      dc.defaultTimeout = 10_000;
      await dc.start(port);
      try {
        const output: string[] = [];
        dc.on("output", (e) => output.push(e.body.output));
        await Promise.all([dc.configurationSequence(), dc.launch({ program: HELLO, token } as never), dc.waitForEvent("terminated")]);
        assert.match(output.join(""), /Hello from a RISC-V guest!/);
      } finally {
        await dc.stop();
      }
    }
  });

  test("survives any bytes: a malformed message or a huge Content-Length ends only that connection", async () => {
    const { port, token } = await ensureServer();
    const good = new DebugClient("node", ADAPTER, "hyperstep");
    good.defaultTimeout = 10_000;
    await good.start(port);
    try {
      await good.initializeRequest();
      for (const bytes of ["Content-Length: 5\r\n\r\n{{{{{", "Content-Length: 4\r\n\r\nnull", "Content-Length: 104857600\r\n\r\nxxxx", "no header at all\r\n\r\n"]) {
        const raw = await rawClient(port);
        raw.socket.write(bytes);
        raw.socket.end();
        await raw.closed;
      }
      const bad = await rawClient(port);
      bad.socket.destroy();
      await bad.closed;
      // The first client's session is untouched: it launches and runs to the end.
      const output: string[] = [];
      good.on("output", (e) => output.push(e.body.output));
      await Promise.all([good.waitForEvent("initialized").then(() => good.configurationDoneRequest()), good.launchRequest({ program: HELLO, token } as never), good.waitForEvent("terminated")]);
      assert.match(output.join(""), /Hello from a RISC-V guest!/);
    } finally {
      await good.stop();
    }
  });

  test("answers nothing but initialize until the launch configuration carries the token it printed", async () => {
    const { port } = await ensureServer();
    const raw = await rawClient(port);
    raw.send({ seq: 1, type: "request", command: "initialize", arguments: { adapterID: "hyperstep", pathFormat: "path" } });
    raw.send({ seq: 2, type: "request", command: "source", arguments: { sourceReference: 1, source: { path: "/etc/passwd" } } });
    raw.send({ seq: 3, type: "request", command: "launch", arguments: { program: HELLO, token: "0".repeat(32) } });
    const [init, source, launch] = await raw.responses(3);
    assert.equal(init.success, true);
    assert.equal(source.success, false);
    assert.match(source.message, /needs its token first/);
    assert.equal(launch.success, false);
    assert.match(launch.message, /'token' must be the token hyperstep-dap printed/);
    raw.socket.destroy();
  });

  test("a port in use is a clear error", async () => {
    const { port } = await ensureServer();
    const r = spawnSync(process.execPath, [ADAPTER, "--port", String(port)], { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`port ${port} on 127.0.0.1 is in use`));
  });

  test("over stdio it exits when its client closes the stream, even while the guest runs", async () => {
    const child = spawn(process.execPath, [ADAPTER], { stdio: ["pipe", "ignore", "pipe"] });
    const frame = (m: object) => { const j = JSON.stringify(m); return `Content-Length: ${Buffer.byteLength(j)}\r\n\r\n${j}`; };
    child.stdin!.write(frame({ seq: 1, type: "request", command: "initialize", arguments: { adapterID: "hyperstep" } }));
    child.stdin!.write(frame({ seq: 2, type: "request", command: "launch", arguments: { program: path.join(ROOT, "test/dap/guests/spin.S") } }));
    child.stdin!.write(frame({ seq: 3, type: "request", command: "configurationDone" }));
    await new Promise((r) => setTimeout(r, 1000));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdin!.end();
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running"), 5000))]);
    if (code === "still running") child.kill("SIGKILL");
    assert.equal(code, 0);
  });

  test("bad arguments are usage errors, not crashes", () => {
    const r = spawnSync(process.execPath, [ADAPTER, "--port", "lots"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port needs a port number 0-65535, got 'lots'/);
    const help = spawnSync(process.execPath, [ADAPTER, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /usage: hyperstep-dap \[--port N\]/);
  });
});
