/**
 * The multi-hart guests of test/fixtures/guests-smp, each testing one mechanism, against QEMU's
 * `-smp 3 -icount`: IPIs through msip, spinlocks from LR/SC and from amoswap and a counter under
 * amoadd, and a remote TLB shootdown through an IPI. QEMU's round-robin gives each hart far longer
 * turns than Hyperstep's quantum, so the interleavings differ: the guests synchronize so that their
 * output does not depend on it, except on the lines named below, whose values the spec leaves open
 * (an increment without a lock loses updates or not; a stale TLB entry is used or not).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { buildSmpGuest, runSmpGuest } from "./smp_guest";
import { runOnQemu } from "./virtio_guest";

const HARTS = 3;
const dir = mkdtempSync(join(tmpdir(), "hyperstep-smp-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Lines whose value depends on the interleaving or on the TLB: compared up to the colon. */
const OPEN = [/^no lock: /, /^shootdown: hart 1 before the IPI \(stale TLB entry\) reads: /];
const comparable = (uart: string) =>
  uart.split("\n").map((line) => OPEN.find((p) => p.test(line))?.exec(line)?.[0] ?? line).join("\n");

/** Runs the ELF natively with `smp` harts to its finisher, in runs of `slices` steps; returns the UART output. */
const ours = (elf: string, smp: number, slices?: readonly number[]) => runSmpGuest(elf, "native", smp, slices).uart;

describe("multi-hart guests against QEMU -smp 3", () => {
  for (const name of ["ipi", "locks", "shootdown"]) {
    test(`${name}: the same output as QEMU's, and the same in every run however the runs are cut`, () => {
      const elf = buildSmpGuest(name, HARTS);
      const qemu = runOnQemu(elf, dir, ["-smp", String(HARTS)]);
      const here = ours(elf, HARTS);
      assert.equal(comparable(here), comparable(qemu));
      assert.equal(ours(elf, HARTS, [1, 999, 1001, 7, 12_345, 50_000_000]), here);
    });
  }

  test("the outcomes: every IPI answered, no lost update under a lock, the stale entry until the shootdown", () => {
    assert.equal(ours(buildSmpGuest("ipi", HARTS), HARTS),
      "ipi: hart 1 took 5 IPIs and answered each\nipi: hart 2 took 5 IPIs and answered each\nipi: every hart entered with a0 = mhartid\n");
    const locks = ours(buildSmpGuest("locks", HARTS), HARTS);
    assert.match(locks, /^LR\/SC spinlock: 6000\namoswap spinlock: 6000\namoadd: 6000\nno lock: (\d+)\n/m);
    assert.ok(Number(/no lock: (\d+)/.exec(locks)![1]) < 6000, "increments without a lock are lost when harts interleave");
    assert.match(ours(buildSmpGuest("shootdown", HARTS), HARTS),
      /hart 1 reads X: A\n.*reads: B\n.*before the IPI \(stale TLB entry\) reads: A\n.*after the IPI's sfence.vma reads: B\n/);
  });

  test("with two harts too", () => {
    const elf = buildSmpGuest("locks", 2);
    assert.equal(comparable(ours(elf, 2)), comparable(runOnQemu(elf, dir, ["-smp", "2"])));
  });
});
