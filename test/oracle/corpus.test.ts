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
