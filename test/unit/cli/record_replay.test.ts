import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const MAIN = path.join(repo, "src/cli/main.ts");
const ECHO = path.join(repo, "sample-guests/uart-echo/uart_echo.S");

function hyperstep(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { encoding: "latin1", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `hyperstep run … --record` with stdin a pipe fed in chunks, each sent once the guest has echoed
 * the one before: the input reaches the guest at several points of the run.
 */
function recordTyping(args: string[], chunks: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let sent = 0;
  // What must appear on stdout (after `mark`) before the next chunk: the banner, then each echo.
  let expect = "Ctrl-D ends.";
  let mark = 0;
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("latin1");
    if (sent === chunks.length || !stdout.slice(mark).includes(expect)) return;
    const chunk = chunks[sent++];
    mark = stdout.length;
    expect = [...chunk].filter((c) => c >= " ").join("");
    child.stdin.write(chunk);
    if (sent === chunks.length) child.stdin.end();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("latin1")));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

const tmp = () => mkdtempSync(path.join(tmpdir(), "hyperstep-record-"));

describe("hyperstep run --record and hyperstep replay", () => {
  for (const technique of ["native", "trap-and-emulate"]) {
    it(`${technique}: a run fed through a pipe replays to the same output and end state`, async () => {
      const file = path.join(tmp(), "run.json");
      const run = await recordTyping(["run", ECHO, "--technique", technique, "--record", file], ["ab", "cd\r", "\x04"]);
      assert.equal(run.status, 0, run.stderr);
      const record = JSON.parse(readFileSync(file, "utf8"));
      assert.equal(record.format, "hyperstep-record");
      assert.equal(record.version, 1);
      assert.equal(record.program.path, ECHO);
      assert.match(record.program.sha256, /^[0-9a-f]{64}$/);
      assert.equal(record.options.technique, technique);
      assert.equal(record.options.memoryBytes, 128 * 1024 * 1024);
      const typed = record.input.map((i: { bytes: string }) => i.bytes).join("");
      assert.equal(Buffer.from(typed, "hex").toString("latin1"), "abcd\r\x04", "every byte read, in order");
      assert.ok(record.input.length >= 3, `the chunks reached the guest at ${record.input.length} points`);
      const steps = record.input.map((i: { step: number }) => i.step);
      assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
      assert.ok(record.input.every((i: { instret: number; step: number }) => i.instret <= i.step));
      assert.equal(record.end.kind, "halt");
      assert.equal(record.end.exitCode, 0);
      assert.equal(record.end.outputBytes, run.stdout.length);

      const replayed = hyperstep(["replay", file]);
      assert.equal(replayed.status, 0, replayed.stderr);
      assert.equal(replayed.stdout, run.stdout, "the same output");
      assert.match(replayed.stderr, new RegExp(`replay matches the recording: ${record.end.instret} instructions, pc ${record.end.pc}`));
    });
  }

  it("a run stopped from outside (--max-instructions) replays to the same step", () => {
    const file = path.join(tmp(), "limit.json");
    const run = hyperstep(["run", ECHO, "--technique", "hardware-assisted", "--max-instructions", "20000", "--record", file]);
    assert.equal(run.status, 124, run.stderr);
    const replayed = hyperstep(["replay", file]);
    assert.equal(replayed.status, 124, replayed.stderr);
    assert.match(replayed.stderr, /replay matches the recording: 20000 instructions/);
  });

  it("says clearly what is wrong with a missing, damaged or other-version record, a changed program or a different end", () => {
    const dir = tmp();
    const guest = path.join(dir, "echo.S");
    copyFileSync(ECHO, guest);
    const file = path.join(dir, "run.json");
    const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "run", guest, "--record", file], { input: "hi\x04", encoding: "latin1" });
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(file, "utf8");

    const missing = hyperstep(["replay", path.join(dir, "none.json")]);
    assert.deepEqual([missing.status, missing.stderr.trim()], [1, `hyperstep: cannot read the record ${path.join(dir, "none.json")}: no such file`]);

    const cut = path.join(dir, "cut.json");
    writeFileSync(cut, text.slice(0, text.length / 2));
    const damaged = hyperstep(["replay", cut]);
    assert.equal(damaged.status, 1);
    assert.match(damaged.stderr, /cut\.json is not a Hyperstep record: it is not JSON .*cut short or damaged/);

    const field = path.join(dir, "field.json");
    writeFileSync(field, text.replace(/"outputSha256": "[0-9a-f]+"/, '"outputSha256": 7'));
    assert.match(hyperstep(["replay", field]).stderr, /field\.json is damaged: end must have priv, registersSha256, outputBytes and outputSha256/);

    const other = path.join(dir, "v2.json");
    writeFileSync(other, text.replace('"version": 1', '"version": 2'));
    const version = hyperstep(["replay", other]);
    assert.equal(version.status, 1);
    assert.match(version.stderr, /v2\.json is a record of format version 2; this hyperstep reads version 1/);

    const tampered = path.join(dir, "tampered.json");
    writeFileSync(tampered, text.replace(/"bytes": "6869/, '"bytes": "6868'));
    const differs = hyperstep(["replay", tampered]);
    assert.equal(differs.status, 3);
    assert.match(differs.stderr, /replay DIFFERS from the recording:\n {2}output \(SHA-256\): recorded [0-9a-f]+, replayed [0-9a-f]+/);

    const gone = path.join(dir, "gone.json");
    writeFileSync(gone, text.replace(JSON.stringify(guest), JSON.stringify(path.join(dir, "gone.S"))));
    assert.match(hyperstep(["replay", gone]).stderr, /the recorded program .*gone\.S is not there any more: give its new place with --program/);

    writeFileSync(guest, readFileSync(guest, "utf8").replace("uart-echo: goodbye", "uart-echo: bye"));
    const changed = hyperstep(["replay", file]);
    assert.equal(changed.status, 1);
    assert.match(changed.stderr, /the program .*echo\.S has changed since the run was recorded/);
    const moved = hyperstep(["replay", file, "--program", ECHO]);
    assert.equal(moved.status, 0, "the unchanged program where it is now");
  });
});
