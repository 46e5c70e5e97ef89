/**
 * The differential corpus (test/fixtures/guests): every guest must pass on QEMU (which proves the guest's
 * own checks right), then run in lockstep on our board with no divergence.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { buildGuests, corpusNames, elfPath } from "./guests";
import { lockstep } from "./lockstep";
import { runQemu } from "./qemu";

before(() => buildGuests());

describe("corpus guests pass on QEMU", () => {
  for (const name of corpusNames()) {
    test(name, async () => {
      const run = await runQemu(elfPath(name), { timeoutMs: 20_000 });
      assert.equal(run.timedOut, false, `${name} timed out on QEMU`);
      assert.equal(run.exitCode, 0, `${name} failed check ${run.exitCode} on QEMU (see include/guest.h for codes)`);
    });
  }
});

describe("corpus guests run in lockstep with QEMU", () => {
  for (const name of corpusNames()) {
    test(name, async () => {
      const r = await lockstep(elfPath(name));
      assert.equal(r.exitCode, 0);
      assert.ok(r.instructions > 50, `${name} ran only ${r.instructions} instructions`);
    });
  }
});

describe("a hart without F and D (cpu rv64,f=false,d=false)", () => {
  test("fp_status runs in lockstep with QEMU's f=false,d=false: FP opcodes illegal, FS read-only 0", async () => {
    const q = await runQemu(elfPath("fp_status"), { timeoutMs: 20_000, noFp: true });
    assert.equal(q.exitCode, 0);
    const r = await lockstep(elfPath("fp_status"), { noFp: true });
    assert.equal(r.exitCode, 0);
    assert.ok(r.instructions > 50, `fp_status ran only ${r.instructions} instructions`);
  });
});

describe("a C guest built with gcc's defaults (rv64gc, lp64d)", () => {
  test("c_float prints what it prints on QEMU, in lockstep", async () => {
    const q = await runQemu(elfPath("c_float"), { timeoutMs: 20_000 });
    assert.equal(q.exitCode, 0);
    assert.match(q.uart, /^pi\*1e9=\d+ f\*1e6=\d+\n$/);
    const r = await lockstep(elfPath("c_float"));
    assert.equal(r.uart, q.uart);
  });
});

