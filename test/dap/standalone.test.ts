import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import { ADAPTER } from "../support/dap";
import { ROOT } from "../support/guests";

const HELLO = path.join(ROOT, "sample-guests/hello/hello.S");

/** Starts `hyperstep-dap --port 0` and resolves with the port it says it listens on. */
function listen(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [ADAPTER, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`hyperstep-dap exited with ${code}: ${err}`)));
  });
}

describe("hyperstep-dap standalone", () => {
  let server: ChildProcess | undefined;
  after(() => server?.kill());

  test("serves sessions over TCP with --port, one per connection", async () => {
    const { child, port } = await listen();
    server = child;
    for (let i = 0; i < 2; i++) {
      const dc = new DebugClient("node", ADAPTER, "hyperstep");
      dc.defaultTimeout = 10_000;
      await dc.start(port);
      try {
        const output: string[] = [];
        dc.on("output", (e) => output.push(e.body.output));
        await Promise.all([dc.configurationSequence(), dc.launch({ program: HELLO } as never), dc.waitForEvent("terminated")]);
        assert.match(output.join(""), /Hello from a RISC-V guest!/);
      } finally {
        await dc.stop();
      }
    }
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
