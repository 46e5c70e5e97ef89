/**
 * Issue #22's program paths: /dev/zero and a FIFO used to be read forever, a huge file into memory.
 * `hyperstep run` and the debugger's launch read only a regular file of bounded size, and fail at once
 * otherwise. They run in a child process (test/fuzz/isolate.ts), so that a regression shows as a hang
 * instead of freezing the test run.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { readSourceFile } from "../../../src/target/program_file";
import { Isolate, type CaseOutcome } from "../../fuzz/isolate";
import type { ProgramReport } from "../../fuzz/program_target";

const MiB = 1 << 20;

describe("reading the program file (issue #22)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-program-file-"));
  const fifo = path.join(dir, "guest.S");
  execFileSync("mkfifo", [fifo]);
  const big = path.join(dir, "big.elf");
  writeFileSync(big, "");
  truncateSync(big, 300 * MiB);

  for (const via of ["cli", "launch"] as const) {
    it(`${via}: /dev/zero, a FIFO and a 300 MiB file fail at once with a message`, async () => {
      const isolate = new Isolate({ timeoutMs: 10_000, memoryBytes: 1024 * MiB });
      try {
        for (const [file, why] of [["/dev/zero", /is not a regular file but a character device/], [fifo, /is not a regular file but a FIFO/], [big, /is 300 MiB; program files are limited to 256 MiB/]] as const) {
          const outcome = await isolate.run("program", { path: file, via });
          assert.equal(outcome.kind, "done", `${file}: ${outcome.kind === "done" ? "" : `${outcome.kind}: ${outcome.message}`}`);
          const report = (outcome as CaseOutcome & { kind: "done" }).out.report as ProgramReport;
          assert.equal(report.ok, false);
          assert.match(report.error!, why);
          assert.ok(report.error!.includes(file), `the message names the file: ${report.error}`);
        }
      } finally {
        isolate.stop();
      }
    });
  }

  it("an included file (the editor's, the CLI's) that is not a regular file reads as missing, at once", () => {
    const source = path.join(dir, "ok.h");
    writeFileSync(source, "nop\n");
    assert.equal(readSourceFile(source), "nop\n");
    assert.equal(readSourceFile("/dev/zero"), undefined);
    assert.equal(readSourceFile(fifo), undefined);
  });
});
