import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { buildWithGcc } from "../support/guests";
import { buildC } from "../../src/target/c_build";
import { compareEndStates, qemuEndState } from "./endstate";
import { buildGuests, elfPath, ROOT } from "./guests";
import { sampleSources } from "../unit/hypervisor/equivalence";

before(() => buildGuests());

test("QEMU's end state carries the exit code, UART output and final registers", async () => {
  const s = await qemuEndState(elfPath("bench"), { registers: false, timeoutMs: 60_000 });
  assert.equal(s.exitCode, 0);
  assert.match(s.uart, /^checksum [0-9a-f]{8}\n/);
  const r = await qemuEndState(elfPath("rv64m"), { registers: true });
  assert.equal(r.exitCode, 0);
  assert.equal(r.x?.length, 32);
  assert.equal(r.x?.[17], 0x50n, "a7 holds the pass request at the finisher store");
  assert.equal(r.entryX?.[11], 0x87e00000n, "a1 holds the device tree's address at the entry");
});

for (const name of ["rv64i", "rv64a", "bench"]) {
  test(`${name}: our board ends as QEMU does`, async () => {
    // bench prints minstret, which counts QEMU's reset ROM (rule 3 of lockstep.ts).
    const diffs = await compareEndStates(elfPath(name), { registers: name !== "bench", openLines: [/^instret /], timeoutMs: 120_000 });
    assert.deepEqual(diffs, []);
  });
}

/**
 * Output of sample guests that the spec leaves to the implementation, by guest: on a matching line only the
 * matched prefix is compared.
 */
const OPEN_LINES: Record<string, RegExp[]> = {
  // A read after a PTE edit without sfence.vma: the spec leaves it unspecified whether the old translation
  // is still used (privileged spec 1.12, 4.2.1). Our TLB keeps it, which is the lesson; QEMU 7.2's often
  // does not (its TLB is flushed on every satp write, and holds no entry at all for pages PMP splits).
  "shadow-paging/shadow_paging.S": [/^PTE edited, no sfence\.vma yet: /],
  "nested-paging/nested_paging.S": [/^PTE edited, no sfence\.vma yet: /],
};

/** What to type into sample guests that read their UART. */
const INPUT: Record<string, string> = {
  "uart-echo/uart_echo.S": "hi\r\x04",
};

describe("sample guests end as on QEMU (UART output, exit code, final GPRs)", () => {
  const sources = sampleSources();
  test("there are sample guests to compare", () => assert.ok(sources.length > 0));
  for (const src of sources) {
    const name = src.slice(join(ROOT, "sample-guests").length + 1);
    test(name, async () => {
      const elf = buildWithGcc(src, `sample-${name.replace(/[/.]/g, "-")}`);
      const diffs = await compareEndStates(elf, { registers: true, openLines: OPEN_LINES[name], input: INPUT[name], timeoutMs: 120_000 });
      assert.deepEqual(diffs, []);
    });
  }
});

test("the C sample guest (c-guest/kernel.c, built as the debugger builds it) ends as on QEMU", async () => {
  const built = await buildC(join(ROOT, "sample-guests/c-guest/kernel.c"));
  assert.ok(built.ok, built.ok ? "" : built.error);
  assert.deepEqual(await compareEndStates(built.elf, { registers: true, timeoutMs: 120_000 }), []);
});

/** Sample guests for a hart with the H extension (launch attribute cpu "rv64,h=true"; QEMU's -cpu rv64,h=true). */
const H_SAMPLES = ["tiny-hypervisor/tiny_hypervisor.S"];

describe("sample guests for the H extension end as on QEMU with -cpu rv64,h=true", () => {
  for (const name of H_SAMPLES) {
    test(name, async () => {
      const elf = buildWithGcc(join(ROOT, "sample-guests", name), `sample-${name.replace(/[/.]/g, "-")}`);
      const diffs = await compareEndStates(elf, { registers: true, hypervisor: true, timeoutMs: 120_000 });
      assert.deepEqual(diffs, []);
    });
  }
});
