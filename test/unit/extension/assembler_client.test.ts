import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildSync } from "esbuild";
import { AssemblerClient, type AssemblyRequest } from "../../../src/extension/assembler_client";

/** 5 to 20 s of assembly (by the machine's speed and load) when the assembler does not stop itself. */
const SLOW = "_start:\n.rept 990000\n  li a0, 0x123456789abcdef\n.endr\n";
/** Limits under which only the worker's stop can end SLOW early. */
const ASSEMBLER_NEVER_STOPS = 600_000;
const BROKEN = "_start:\n  addi a0, a0\n";

const request = (fileName: string, text: string, unsaved = new Map<string, string>()): AssemblyRequest => ({ fileName, text, unsaved });

/**
 * The largest lateness of a 10 ms interval timer on this thread while `work` runs. Had the assembly
 * run on this thread, the timer would wait for all of it: seconds.
 */
async function timerLateness<T>(work: Promise<T>): Promise<{ result: T; lateMs: number }> {
  let last = performance.now();
  let lateMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lateMs = Math.max(lateMs, now - last - 10);
    last = now;
  }, 10);
  try {
    return { result: await work, lateMs };
  } finally {
    clearInterval(timer);
  }
}

describe("the editor's assemblies in a worker thread", () => {
  // The worker as the extension ships it: a bundle of its own (Node's workers do not load .ts).
  let dir: string;
  let workerFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hyperstep-worker-"));
    workerFile = join(dir, "assembler_worker.js");
    buildSync({ entryPoints: [join(import.meta.dirname, "../../../src/extension/assembler_worker.ts")], bundle: true, platform: "node", format: "cjs", outfile: workerFile, logLevel: "warning" });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("answers with the assembler's problems, reading an include from the unsaved texts before the disk, within its time limit", async () => {
    const client = new AssemblerClient(workerFile);
    try {
      const broken = await client.assemble("a", request("/w/a.S", BROKEN));
      assert.deepEqual(broken?.problems.map((p) => [p.file, p.range.line, p.range.start, p.range.end]), [["/w/a.S", 1, 2, 6]]);
      assert.match(broken!.problems[0]!.message, /'addi' takes two registers and an immediate/);
      const ok = await client.assemble("b", request("/w/b.S", '#include "inc.h"\n_start: li a0, VALUE\n', new Map([["/w/inc.h", "#define VALUE 0x1234\n"]])));
      assert.deepEqual(ok?.problems, []);
      assert.deepEqual(ok!.names.map((n) => [n.name, n.value]), [["_start", 0x80000000n]]);
      assert.deepEqual(ok!.defines.map((d) => [d.name, d.value]), [["VALUE", 0x1234n]]);
      const slow = await client.assemble("c", request("/w/c.S", SLOW));
      assert.match(slow!.problems[0]!.message, /^assembly stopped here after 1000 ms, the time limit for checking as you type/, "the assembler stops itself first, at the line it reached");
    } finally {
      client.dispose();
    }
  });

  it("stops an assembly that a newer request for the same document supersedes, without blocking the caller", async () => {
    const client = new AssemblerClient(workerFile, { assemblerMs: ASSEMBLER_NEVER_STOPS, workerMs: ASSEMBLER_NEVER_STOPS });
    try {
      let started = performance.now();
      await client.assemble("warm-up", request("/w/w.S", "_start: nop\n"));
      const coldMs = performance.now() - started;

      started = performance.now();
      const older = client.assemble("a", request("/w/a.S", SLOW));
      let olderSettled = false;
      void older.then(() => (olderSettled = true));
      await new Promise((r) => setTimeout(r, 50));
      const { result: newer, lateMs } = await timerLateness((async () => {
        const newer = client.assemble("a", request("/w/a.S", BROKEN));
        await Promise.resolve();
        assert.ok(olderSettled, "the older request is answered at once");
        return newer;
      })());
      const supersededMs = performance.now() - started;
      assert.equal(await older, undefined, "a superseded request has no answer");
      assert.match(newer!.problems[0]!.message, /'addi' takes two registers/);
      // The older assembly was stopped, not waited for (seconds): the newer one took about a worker's
      // start (the margin is for a loaded machine).
      assert.ok(supersededMs < coldMs + 2000, `the newer answer took ${supersededMs.toFixed(0)} ms; a worker starts and answers in ${coldMs.toFixed(0)} ms`);
      assert.ok(lateMs < 250, `a timer on the caller's thread was ${lateMs.toFixed(0)} ms late`);
    } finally {
      client.dispose();
    }
  });

  it("stops an assembly past the time limit with one problem that says so, and still answers for other documents", async () => {
    const client = new AssemblerClient(workerFile, { assemblerMs: ASSEMBLER_NEVER_STOPS, workerMs: 300 });
    try {
      const { result: [slow, other], lateMs } = await timerLateness(Promise.all([
        client.assemble("slow", request("/w/slow.S", SLOW)),
        client.assemble("other", request("/w/other.S", BROKEN)),
      ]));
      assert.deepEqual(slow?.problems.map((p) => [p.file, p.range]), [["/w/slow.S", { line: 0, start: 0, end: 7 }]]);
      assert.match(slow!.problems[0]!.message, /^assembling this file took more than 0.3 s, so it was stopped and not checked/);
      assert.deepEqual(other?.problems.map((p) => [p.file, p.range.line]), [["/w/other.S", 1]], "the queued document is answered by the restarted worker");
      assert.ok(lateMs < 250, `a timer on the caller's thread was ${lateMs.toFixed(0)} ms late`);
      assert.deepEqual((await client.assemble("slow", request("/w/slow.S", BROKEN)))?.problems.length, 1, "the next request for it is answered");
    } finally {
      client.dispose();
    }
  });

  it("answers nothing for a cancelled document, and every pending request on dispose", async () => {
    const client = new AssemblerClient(workerFile, { assemblerMs: ASSEMBLER_NEVER_STOPS, workerMs: ASSEMBLER_NEVER_STOPS });
    const a = client.assemble("a", request("/w/a.S", SLOW));
    const b = client.assemble("b", request("/w/b.S", BROKEN));
    client.cancel("a");
    assert.equal(await a, undefined);
    assert.equal((await b)?.problems.length, 1);
    const c = client.assemble("c", request("/w/c.S", SLOW));
    client.dispose();
    assert.equal(await c, undefined);
  });
});
