import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readGuestImage } from "../../../src/asm/guest_image";
import { createTarget } from "../../../src/target/create_target";
import type { Target } from "../../../src/target/target";
import type { Technique } from "../../../src/target/techniques";
import { machineGraph, visibleState } from "../../support/target_state";

const GUEST = join(import.meta.dirname, "guests/smp_busy.S");
const RAM = 2 * 1024 * 1024;

function start(technique: Technique): Target {
  const r = readGuestImage(GUEST, readFileSync(GUEST));
  if (!r.ok) assert.fail(r.error);
  const created = createTarget(r.program, { technique, memoryBytes: RAM, smp: 3 });
  if (!created.ok) assert.fail(created.error);
  return created.target;
}

/** Every hart's registers as the debugger sees them, and the whole machine's state. */
function state(t: Target) {
  const harts = Array.from({ length: t.harts }, (_, n) => {
    t.selectedHart = n;
    return visibleState(t, RAM);
  });
  t.selectedHart = 0;
  return { harts, graph: machineGraph(t) };
}

// Natively the board's harts; under a VMM the VM's vCPUs, which the VMM switches on its host hart.
for (const technique of ["native", "trap-and-emulate", "hardware-assisted"] as const) {
test(`time travel with three harts (${technique}): every hart's state and the shared counter come back as they were`, () => {
  const target = start(technique);
  const seen: { position: number; state: ReturnType<typeof state> }[] = [];
  for (const n of [2_500, 777, 40_000, 3, 120_000, 9_999]) {
    assert.equal(target.run(n).kind, "budget");
    seen.push({ position: target.history.position, state: state(target) });
  }
  for (const s of [...seen].reverse()) {
    assert.ok(target.history.travelTo(s.position), `travel to ${s.position}`);
    assert.deepEqual(state(target), s.state, `at ${s.position}`);
  }
  // The harts really interleaved: each added to the counter, and SCs failed when a quantum ended between LR and SC.
  target.history.travelTo(seen.at(-1)!.position);
  const sc = [0, 1, 2].map((n) => {
    target.selectedHart = n;
    return [target.getReg(18), target.getReg(19)];
  });
  assert.ok(sc.every(([ok]) => ok > 1000n), JSON.stringify(sc, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
});

test(`a step of another hart than the running one is recorded as a write: stepping back undoes it exactly (${technique})`, () => {
  const target = start(technique);
  target.run(1_500); // hart 1 runs now
  const before = state(target);
  const position = target.history.position;
  target.selectedHart = 2;
  const pc = target.pc;
  target.step();
  assert.notEqual(target.pc, pc, "hart 2 stepped");
  target.selectedHart = 1;
  assert.equal(visibleState(target, RAM).regs, before.harts[1].regs, "hart 1 stayed");
  assert.ok(target.history.travelTo(position));
  assert.deepEqual(state(target).harts, before.harts);
});
}
