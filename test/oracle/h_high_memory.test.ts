/**
 * A bare-metal hypervisor with its memory above 128 MiB, natively on a hart with the H extension: the
 * tiny-hypervisor lesson with HV_MEMORY (its G-stage tables, the host pages behind the guest's RAM
 * and code, its trap stack) at 0x8f00_0000, in 256 MiB of RAM (`memory: "256M"`, QEMU's `-m 256M`).
 * Where Hyperstep runs it through the launch path (createTarget with `cpu` parsed from
 * "rv64,h=true"), through its translated fast path and one step at a time, it must print and end
 * as on QEMU. Fails when the GNU tools or QEMU are missing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { readGuestImage } from "../../src/asm/guest_image";
import { createTarget } from "../../src/target/create_target";
import { CpuError, parseCpu } from "../../src/target/cpu";
import { buildWithGcc, ROOT } from "../support/guests";
import { compareWithGnu } from "../unit/asm/compare";
import { compareEndStates, qemuEndState } from "./endstate";
import { loadGuest } from "./ours";

const LESSON = join(ROOT, "sample-guests/tiny-hypervisor/tiny_hypervisor.S");
const MIB = 1 << 20;
const HIGH = "0x8f000000";
const source = `#define HV_MEMORY ${HIGH}\n#include "${LESSON}"\n`;
let high = "";
let elf = "";

before(() => {
  const dir = join(ROOT, "build/test-guests");
  mkdirSync(dir, { recursive: true });
  high = join(dir, "tiny_hypervisor_high.S");
  writeFileSync(high, source);
  elf = buildWithGcc(high);
});

test("Hyperstep assembles the lesson, H instructions included, byte for byte as GNU as does", () => {
  const text = readFileSync(LESSON, "utf8");
  assert.deepEqual(compareWithGnu("tiny_hypervisor.S", text), []);
  assert.deepEqual(compareWithGnu("high.S", `#define HV_MEMORY ${HIGH}\n#include "tiny_hypervisor.S"\n`, undefined, { "tiny_hypervisor.S": text }), []);
});

describe("with its tables and its guest above 128 MiB (HV_MEMORY 0x8f00_0000, 256 MiB of RAM)", () => {
  test("QEMU runs it, and the addresses it reports are above 128 MiB", async () => {
    const q = await qemuEndState(elf, { hypervisor: true, memoryBytes: 256 * MIB });
    assert.equal(q.exitCode, 0);
    assert.match(q.uart, /G stage \(Sv39x4\) root at 0x000000008f000000\n/);
    assert.match(q.uart, /guest code at GPA 0x0000000080001000 is at host 0x000000008f008000, guest RAM at GPA 0x0000000080100000 is at host 0x000000008f006000/);
    assert.match(q.uart, /a line from guest RAM, printed with one hypercall\n/);
  });

  test("in 128 MiB its memory is not there: QEMU and Hyperstep both end in its M-mode trap (code 3)", async () => {
    assert.deepEqual(await compareEndStates(elf, { hypervisor: true, memoryBytes: 128 * MIB }), []);
    assert.equal((await qemuEndState(elf, { hypervisor: true })).exitCode, 3);
  });

  test("natively with cpu rv64,h=true and 256 MiB, launched as the debugger and the CLI do: as on QEMU", async () => {
    const cpu = parseCpu("rv64,h=true");
    if (cpu instanceof CpuError) assert.fail(cpu.message);
    const image = readGuestImage(high, readFileSync(high), (p) => readFileSync(p, "utf8"));
    if (!image.ok) assert.fail(image.error);
    let uart = "";
    const created = createTarget(image.program, { technique: "native", cpu, memoryBytes: 256 * MIB, uartOut: { write: (b) => (uart += String.fromCharCode(b)) } });
    if (!created.ok) assert.fail(created.error);
    const stop = created.target.run(5_000_000);
    const q = await qemuEndState(elf, { hypervisor: true, memoryBytes: 256 * MIB });
    assert.deepEqual(stop, { kind: "halt", code: q.exitCode, how: "finisher" });
    assert.equal(uart, q.uart);
  });

  test("translated from the first instruction and stepped alike: output, exit code and registers as on QEMU", async () => {
    assert.deepEqual(await compareEndStates(elf, { registers: true, hypervisor: true, memoryBytes: 256 * MIB }), []);
    const q = await qemuEndState(elf, { hypervisor: true, memoryBytes: 256 * MIB });
    for (const mode of ["translated", "stepped"] as const) {
      const g = loadGuest(elf, "", true, 256 * MIB);
      g.board.hart.translator.threshold = 0;
      let r = g.board.run(0);
      for (let i = 0; i < 1_000_000 && r.kind === "budget"; i++) r = mode === "translated" ? g.board.run(100_000) : g.board.step();
      assert.deepEqual(r, { kind: "halt", code: 0, how: "finisher" }, mode);
      assert.equal(g.uart(), q.uart, mode);
      if (mode === "translated") assert.ok(g.board.hart.translatorStats.translatedInstructions > 10_000, "the fast path ran");
    }
  });
});
