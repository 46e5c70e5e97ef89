import assert from "node:assert/strict";
import { before, test } from "node:test";
import { compareEndStates, qemuEndState } from "./endstate";
import { buildGuests, elfPath } from "./guests";

before(() => buildGuests());

test("QEMU's end state carries the exit code, UART output and final registers", async () => {
  const s = await qemuEndState(elfPath("bench"), { registers: false, timeoutMs: 60_000 });
  assert.equal(s.exitCode, 0);
  assert.match(s.uart, /^checksum [0-9a-f]{8}\n/);
  const r = await qemuEndState(elfPath("rv64m"), { registers: true });
  assert.equal(r.exitCode, 0);
  assert.equal(r.x?.length, 32);
  assert.equal(r.x?.[17], 0x50n, "a7 holds the pass request at the finisher store");
});

for (const name of ["rv64i", "rv64a", "bench"]) {
  test(`${name}: our board ends as QEMU does`, async () => {
    const diffs = await compareEndStates(elfPath(name), { registers: name !== "bench", timeoutMs: 120_000 });
    assert.deepEqual(diffs, []);
  });
}
