/**
 * The H-extension corpus (test/fixtures/guests-h): every guest must pass on QEMU with `-cpu rv64,h=true`
 * (which proves the guest's own checks right), then run in lockstep on our board with the hypervisor
 * extension, with no divergence beyond the rules lockstep.ts lists (11–13 are the H ones).
 */
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { before, describe, test } from "node:test";
import { buildGuests, hCorpusNames, hElfPath } from "./guests";
import { lockstep } from "./lockstep";
import { loadGuest } from "./ours";
import { runQemu } from "./qemu";
import { parseTrace, readTrace, TraceFormatError, type TraceRecord } from "./trace";

before(() => buildGuests());

/**
 * QEMU 7.2 delivers VS-level interrupts differently when it does not log its state with `-d cpu` (see
 * h_interrupts.S); the lockstep comparison sees the logged behaviour, so the guests are checked on that.
 */
const discard = async (trace: Readable) => {
  trace.resume();
  await finished(trace);
};

describe("H guests pass on QEMU", () => {
  for (const name of hCorpusNames()) {
    test(name, async () => {
      const run = await runQemu(hElfPath(name), { hypervisor: true, timeoutMs: 20_000, onTrace: discard });
      assert.equal(run.timedOut, false, `${name} timed out on QEMU`);
      assert.equal(run.exitCode, 0, `${name} failed check ${run.exitCode} on QEMU (see guests-h/h.h and guests/include/guest.h for codes)`);
    });
  }
});

test("the trace parser gives each record the V of the line before its pc, and rejects a bad V", () => {
  const regs = Array.from({ length: 8 }, (_, l) => Array.from({ length: 4 }, (_, j) => ` x${4 * l + j}/r 0000000000000000`).join("")).join("\n");
  const rec = (v: string, pc: string) => ` V      =   ${v}\n pc       ${pc}\n hstatus  0000000200000000\n${regs}\n`;
  const recs = parseTrace(rec("1", "0000000080000000") + rec("0", "0000000080000004"));
  assert.deepEqual(recs.map((r) => [r.v, r.pc]), [[1, 0x80000000n], [0, 0x80000004n]]);
  assert.equal(recs[0]!.csr.get("hstatus"), 0x200000000n);
  assert.equal(parseTrace(` pc       0000000000001000\n${regs}\n`)[0]!.v, undefined);
  assert.throws(() => parseTrace(rec("2", "0000000080000000")), TraceFormatError);
});

test("QEMU's H trace: V on every record, the H CSRs and the f registers, and misa with H, F and D", async () => {
  const recs: TraceRecord[] = [];
  const run = await runQemu(hElfPath("h_csrs"), {
    hypervisor: true,
    onTrace: async (t) => {
      for await (const r of readTrace(t, true)) recs.push(r);
    },
  });
  assert.equal(run.exitCode, 0);
  assert.ok(recs.every((r) => r.v === 0 || r.v === 1));
  assert.ok(recs.every((r) => r.f?.length === 32), "f0–f31 on every record (-d fpu)");
  assert.ok(recs.some((r) => r.v === 1), "h_csrs runs in VS-mode, so some records have V=1");
  for (const name of ["hstatus", "vsstatus", "hideleg", "hedeleg", "vstvec", "vsepc", "vscause", "htval", "mtval2"]) {
    assert.ok(recs.every((r) => r.csr.has(name)), `${name} on every record`);
  }
  // The first instruction of h_csrs's main reads misa into a0: RV64 with A C D F H I M S U.
  const entry = recs.findIndex((r) => r.pc === 0x80000000n);
  const misa = recs.slice(entry).map((r) => r.x[10]!).find((a0) => a0 >> 62n === 2n);
  assert.equal(misa, 0x80000000001411adn);
});

// In lockstep our hart takes interrupts only where QEMU did (rule 4); alone it decides for itself.
describe("H guests pass on our board alone", () => {
  for (const name of hCorpusNames()) {
    test(name, () => {
      const { board } = loadGuest(hElfPath(name), "", true);
      const r = board.run(5_000_000);
      assert.deepEqual(r, { kind: "halt", code: 0, how: "finisher" }, `${name} on our board`);
    });
  }
});

describe("H guests run in lockstep with QEMU", () => {
  for (const name of hCorpusNames()) {
    test(name, async () => {
      const r = await lockstep(hElfPath(name), { hypervisor: true });
      assert.equal(r.exitCode, 0);
      assert.ok(r.instructions > 50, `${name} ran only ${r.instructions} instructions`);
    });
  }
});
