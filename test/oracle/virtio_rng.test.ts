/**
 * A virtio-rng driver of our own (test/fixtures/guests-virtio/virtio_rng.c) against QEMU's
 * `-device virtio-rng-device`: the guest finds the entropy device by probing the slots, negotiates,
 * and asks for bytes through one buffer, a chain and an indirect table, awaiting each completion
 * through the PLIC. QEMU's bytes come from the host, so only the structure is compared with it (the
 * slot, the features, the used lengths, the interrupts, the status); Hyperstep's bytes must be its
 * seeded generator's, the same in every run and after time travel.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEFAULT_RNG_SEED } from "../../src/machine/devices/virtio/rng";
import { SeededRandom } from "../../src/machine/devices/virtio/seeded_random";
import { createTarget } from "../../src/target/create_target";
import type { Target } from "../../src/target/target";
import { EQUIVALENT_TECHNIQUES, type Technique } from "../../src/target/techniques";
import { buildVirtioGuest, loadVirtioGuest, runOnQemu } from "./virtio_guest";

const dir = mkdtempSync(join(tmpdir(), "hyperstep-virtio-rng-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let ELF = "";
let qemu = "";

/** The lines that hold the random bytes themselves. */
const BYTES = /^bytes:([0-9a-f]*)$/gm;
const structure = (uart: string) => uart.replace(BYTES, "bytes:…");

before(() => {
  ELF = buildVirtioGuest("virtio_rng");
  qemu = runOnQemu(ELF, dir, ["-device", "virtio-rng-device"]);
});

function launch(technique: Technique, historyBytes: number): { target: Target; uart: () => string } {
  let uart = "";
  const created = createTarget(loadVirtioGuest(ELF), { technique, memoryBytes: 128 << 20, uartOut: { write: (b) => (uart += String.fromCharCode(b)) }, historyBytes, rngSeed: DEFAULT_RNG_SEED });
  if (!created.ok) assert.fail(created.error);
  return { target: created.target, uart: () => uart };
}

function run(technique: Technique): string {
  const { target, uart } = launch(technique, 0);
  assert.deepEqual(target.run(5_000_000), { kind: "halt", code: 0, how: "finisher" }, uart());
  return uart();
}

test("on QEMU the guest finds the entropy device in slot 7 and passes its checks", () => {
  assert.match(qemu, /^slot 7: magic 74726976 version 2 device 4 vendor 554d4551$/m);
  for (let i = 0; i < 7; i++) assert.match(qemu, new RegExp(`^slot ${i}: magic 74726976 version 2 device 0 vendor 554d4551$`, "m"));
  assert.match(qemu, /interrupt: claimed source 8, InterruptStatus 1/);
  assert.match(qemu, /PASSED\n$/);
});

for (const technique of EQUIVALENT_TECHNIQUES) {
  test(`${technique}: the same structure as QEMU, and the seeded generator's bytes, the same in two runs`, () => {
    const uart = run(technique);
    assert.equal(structure(uart), structure(qemu));
    const given = [...uart.matchAll(BYTES)].map((m) => m[1]).join("");
    const expected = Buffer.from(new SeededRandom(DEFAULT_RNG_SEED).bytes(32 + 24 + 48)).toString("hex");
    assert.equal(given, expected, "the stream of the generator with the default seed, in request order");
    assert.equal(run(technique), uart, "a second run gives the same bytes");
  });
}

test("time travel replays the same bytes: back to the middle of the run and on to its end again", () => {
  const { target } = launch("native", 64 << 20);
  assert.equal(target.run(5_000_000).kind, "halt");
  const ram = () => target.readMemory("pa", 0x8000_0000n, 64 << 10);
  const end = ram();
  const h = target.history;
  assert.ok(h.travelTo(Math.floor(h.newest / 2)), "traveled back");
  assert.notDeepEqual(ram(), end, "the middle of the run differs from its end");
  assert.equal(target.run(5_000_000).kind, "halt", "ran forward again to the end");
  assert.deepEqual(ram(), end, "the guest's memory, with the bytes it was given, is as it was");
});
