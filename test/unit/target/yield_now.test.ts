import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTarget } from "../../../src/target/create_target";
import { runTo } from "../../../src/target/technique_comparison";
import { EQUIVALENT_TECHNIQUES, type Technique } from "../../../src/target/techniques";
import { asmGuest } from "../hypervisor/equivalence";

/** A loop whose every round leaves the hart's fast path: natively a device access or a CSR access, under a VMM a VM exit. */
const loop = (body: string) => asmGuest(`
  .text
  .globl _start
_start:
  li t0, 0x200bff8
1: ${body}
  j 1b
`);
const SLOW = {
  "a CLINT access": loop("ld t1, 0(t0)"),
  "a CSR access": loop("csrr t1, mscratch"),
};

function target(technique: Technique, guest: keyof typeof SLOW) {
  const c = createTarget(SLOW[guest], { technique, memoryBytes: 1 << 20 });
  assert.ok(c.ok);
  return c.target;
}

describe("a run returns when its caller's time is up, however slow each step is", () => {
  // Every technique that runs this ordinary guest (paravirtualization runs only PV kernels).
  for (const technique of EQUIVALENT_TECHNIQUES) for (const guest of Object.keys(SLOW) as (keyof typeof SLOW)[]) {
    it(`${technique}, ${guest} in a loop: a 50 ms yield cuts a large budget short, and a time-limited run ends on time`, () => {
      const t = target(technique, guest);
      const started = performance.now();
      const stop = t.run(50_000_000, () => performance.now() - started >= 50);
      const took = performance.now() - started;
      assert.equal(stop.kind, "budget");
      assert.ok(t.instret < 50_000_000n, "the budget was not spent");
      // Without the checks this ran for seconds (a CSR access natively) or more than a minute; the margin is for a loaded CI machine.
      assert.ok(took < 1000, `returned after ${took.toFixed(0)} ms`);

      const run = runTo(target(technique, guest), 1n << 40n, 0.2);
      assert.equal(run.end.kind, "time");
      assert.ok(run.wallSeconds! < 1.5, `a 0.2 s run took ${run.wallSeconds} s`);
    });
  }
});
