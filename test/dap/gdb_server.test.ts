/**
 * The launch attribute `gdbServer`: gdb-multiarch attaches read-only beside the DAP client, which
 * keeps control of the guest.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { failing, launch, stopAfter, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

function timerElf(): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "hyperstep-gdbserver-")), "timer.elf");
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist/hyperstep.js"), "asm", path.join(ROOT, "sample-guests/timer-interrupts/timer_interrupts.S"), "-o", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

function gdb(program: string, port: number, commands: string[]) {
  const args = ["-batch", "-nx", program, "-ex", `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ["-ex", c])];
  const r = spawnSync("gdb-multiarch", args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.error, undefined, "gdb-multiarch runs (apt-get install gdb-multiarch)");
  return r;
}

describe("launch attribute gdbServer", { timeout: 120_000 }, () => {
  it("GDB reads registers, CSRs and memory where VS Code stopped the guest, runs monitor, and may not run it", async () => {
    const program = timerElf();
    await withClient(async (dc) => {
      const announced = new Promise<number>((resolve) => {
        dc.on("output", (e: DebugProtocol.OutputEvent) => {
          const m = /GDB server \(read-only\) on 127\.0\.0\.1:(\d+)/.exec(e.body.output);
          if (m) resolve(Number(m[1]));
        });
      });
      await launch(dc, program, { gdbServer: 0 }, () => dc.customRequest("setInstructionBreakpoints", { breakpoints: [{ instructionReference: "0x80000074" }] }));
      const port = await announced;
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, "breakpoint");

      const r = gdb(program, port, ["p $pc", "p/x $mcause", "p $priv", "x/s &msg_tick", "monitor info registers pc", "stepi", "set var $a0 = 5", "p $pc", "p/x $a0"]);
      assert.match(r.stdout, /^\$1 = \(void \(\*\)\(\)\) 0x80000074 <timer_handler>$/m, "where VS Code stopped it");
      assert.match(r.stdout, /^\$2 = 0x8000000000000007$/m);
      assert.match(r.stdout, /^\$3 = 3$/m);
      assert.match(r.stdout, /"tick \?\\n"/);
      assert.match(r.stderr, /^pc\s+0x0*80000074\b/m, "monitor output");
      assert.match(r.stderr, /^Cannot insert breakpoint 0\.$/m, "stepi is refused (GDB steps with a temporary breakpoint)");
      assert.match(r.stderr, /^Could not write register "a0"; remote failure reply 'E01'$/m);
      assert.match(r.stdout, /^\$4 = \(void \(\*\)\(\)\) 0x80000074 <timer_handler>$/m, "the guest has not moved");
      const a0 = /^\$5 = (0x[0-9a-f]+)$/m.exec(r.stdout)?.[1];
      assert.ok(a0 !== undefined && a0 !== "0x5", "the write to a0 is refused");

      // VS Code still drives: the guest is where it stopped, a0 as it was, and it runs to its end.
      const frames = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(BigInt(frames.body.stackFrames[0].instructionPointerReference!), 0x80000074n);
      const value = await dc.evaluateRequest({ expression: "p/x a0", context: "repl", frameId: frames.body.stackFrames[0].id });
      assert.equal(value.body.result, a0);
      await dc.customRequest("setInstructionBreakpoints", { breakpoints: [] });
      await Promise.all([dc.waitForEvent("terminated"), dc.continueRequest({ threadId: 1 })]);
    });
  });

  it("a restart serves the new guest on the same port", async () => {
    const program = timerElf();
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    await withClient(async (dc) => {
      await launch(dc, program, { gdbServer: port }, () => dc.customRequest("setInstructionBreakpoints", { breakpoints: [{ instructionReference: "0x80000074" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.match(gdb(program, port, ["p $pc"]).stdout, /^\$1 = .* <timer_handler>$/m);
      await stopAfter(dc, () => dc.restartRequest({}));
      assert.match(gdb(program, port, ["p $pc"]).stdout, /^\$1 = .* <_start>$/m);
    });
  });

  it("a port in use fails the launch, naming gdbServer", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await withClient(async (dc) => {
        await dc.initializeRequest();
        const message = await failing(dc.launchRequest({ program: path.join(ROOT, "sample-guests/hello/hello.S"), gdbServer: port } as DebugProtocol.LaunchRequestArguments));
        assert.match(message, new RegExp(`'gdbServer' port ${port} on 127\\.0\\.0\\.1 is in use`));
      });
    } finally {
      taken.close();
    }
  });
});
