import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readGuestImage } from "../../../src/asm/guest_image";
import { createTarget } from "../../../src/target/create_target";
import { snapshotWaitMs } from "../../../src/target/history/history";
import type { Target, Technique } from "../../../src/target/target";
import { machineGraph, visibleState } from "../../support/target_state";

const GUEST = join(import.meta.dirname, "guests/busy.S");
const RAM = 2 * 1024 * 1024;

function program() {
  const r = readGuestImage(GUEST, readFileSync(GUEST));
  if (!r.ok) assert.fail(r.error);
  return r.program;
}

/** A small deterministic generator, so that a failure can be reproduced. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Typed {
  target: Target;
  typed: number[];
  output: number[];
}

function start(technique: Technique, historyBytes?: number, memoryBytes = RAM): Typed {
  const typed: number[] = [];
  const output: number[] = [];
  const r = createTarget(program(), { technique, memoryBytes, uartIn: { read: () => typed.shift() ?? -1 }, uartOut: { write: (b) => void output.push(b) }, historyBytes });
  if (!r.ok) assert.fail(r.error);
  return { target: r.target, typed, output };
}

function state(t: Target) {
  return { visible: visibleState(t, RAM), graph: machineGraph(t) };
}

function assertSame(actual: ReturnType<typeof state>, expected: ReturnType<typeof state>, where: string) {
  assert.deepEqual(actual.visible, expected.visible, `${where}: the debugger's view`);
  const i = actual.graph.findIndex((line, k) => line !== expected.graph[k]);
  assert.equal(i === -1 ? actual.graph.length : i, expected.graph.length, `${where}: machine state differs at\n  ${actual.graph[i]}\nwas\n  ${expected.graph[i]}`);
}

for (const technique of ["native", "trap-and-emulate", "hardware-assisted"] as const) {
  describe(`history under ${technique}`, () => {
    it("travels back to random points and finds every register, CSR, page, device and VMM structure as it was", () => {
      const { target, typed } = start(technique);
      const rnd = random(19);
      const seen: { position: number; state: ReturnType<typeof state> }[] = [];
      // Snapshots are taken by running time: go on until there are a few, so travels start from several.
      for (let i = 0; i < 24 || (target.history.stats().snapshots < 3 && i < 2_000); i++) {
        if (i % 5 === 2) typed.push(0x61 + i);
        target.run(1 + Math.floor(rnd() * 40_000));
        if (rnd() < 0.6) seen.push({ position: target.history.position, state: state(target) });
      }
      assert.ok(target.history.stats().snapshots > 1, "snapshots were taken on the way");
      assert.ok(seen.length > 5);
      if (technique !== "native") assert.ok(target.vmm!.lastExitSeq > 100, "the guest exits");
      const order = [...seen].sort(() => rnd() - 0.5);
      for (const s of order) {
        assert.ok(target.history.travelTo(s.position), `travel to ${s.position}`);
        assertSame(state(target), s.state, `at ${s.position}`);
      }
    });

    it("runs forward from the past to the same future, replaying the input typed", () => {
      const { target, typed, output } = start(technique);
      typed.push(0x41);
      target.run(30_000);
      typed.push(0x42, 0x43);
      target.run(50_000);
      const end = state(target);
      const shown = output.length;
      assert.ok(target.history.travelTo(10_000));
      while (target.history.future > 0) target.run(7_777);
      assertSame(state(target), end, "back in the present");
      assert.equal(output.length, shown, "output is not shown twice");
      const inbuf = target.symbols.find((s) => s.name === "inbuf")!.address;
      assert.deepEqual([...target.readMemory("pa", inbuf, 3)!], [0x41, 0x42, 0x43]);
    });

    it("goes to an instruction count in the past or the recorded future, and never past the present", () => {
      const { target } = start(technique);
      target.run(40_000);
      const present = target.history.newest;
      const retired = Number(target.instret);
      assert.ok(target.history.travelToInstret(1_000));
      assert.equal(target.instret, 1_000n);
      assert.equal(target.history.travelToInstret(retired + 1), false, "beyond the present");
      assert.equal(target.history.newest, present, "nothing ran on into a new future");
      assert.ok(target.history.travelToInstret(retired - 5));
      assert.equal(target.instret, BigInt(retired - 5));
    });

    it("steps back one step at a time to the state each step left", () => {
      const { target } = start(technique);
      target.run(20_000);
      const states = [state(target)];
      for (let i = 0; i < 6; i++) {
        target.step();
        states.push(state(target));
      }
      for (let i = states.length - 2; i >= 0; i--) {
        assert.ok(target.history.travelTo(target.history.position - 1));
        assertSame(state(target), states[i], `step back to ${i}`);
      }
    });

    it("forks the timeline when the past is written, and forgets the future", () => {
      const { target } = start(technique);
      target.run(40_000);
      const newest = target.history.newest;
      assert.ok(target.history.travelTo(15_000));
      target.setReg(9, 0n);
      assert.equal(target.history.newest, 15_000);
      assert.equal(target.history.future, 0);
      target.run(5_000);
      const after = state(target);
      assert.ok(target.history.travelTo(15_000));
      assert.equal(target.getReg(9), 0n, "the write stays part of the new timeline");
      target.run(5_000);
      assertSame(state(target), after, "re-executed across the write");
      assert.ok(newest > target.history.newest);
    });
  });
}

describe("reverse continue", () => {
  it("finds a breakpoint the debugger stopped at where a snapshot was then taken (a write there pins one)", () => {
    const { target } = start("native");
    const trap = target.symbols.find((x) => x.name === "m_trap")!.address;
    target.setBreakpoints([trap]);
    const hits: number[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(target.run(1_000_000).kind, "breakpoint");
      hits.push(target.history.position);
      // At the second hit, a write of the debugger's: the snapshot it pins sits on the breakpoint.
      if (i === 1) target.setReg(9, target.getReg(9));
    }
    const found = target.history.searchBack((budget) => {
      const r = target.run(budget);
      return r.kind === "breakpoint" ? r : undefined;
    });
    assert.equal(found?.position, hits[1], `the hits were at ${hits.join(", ")}`);
    assert.equal(target.pc, trap);
  });
});

describe("snapshot spacing", () => {
  it("runs four times as long as a snapshot takes, between 10 and 60 ms, and never less than a snapshot takes", () => {
    assert.deepEqual([0.5, 2, 5, 15, 40, 60, 300, 1700].map(snapshotWaitMs), [10, 10, 20, 60, 60, 60, 300, 1700]);
  });
});

describe("history budget", () => {
  it("grows with the pages the guest writes, not with the size of its RAM", () => {
    const { target } = start("native", undefined, 64 * 1024 * 1024);
    // Snapshots are taken by running time: run until a few have been.
    for (let i = 0; i < 2_000 && target.history.stats().snapshots < 4; i++) target.run(30_000);
    const s = target.history.stats();
    assert.ok(s.snapshots >= 4);
    // The guest writes 64 data pages and its page table: each snapshot holds at most those, and shares the rest.
    assert.ok(s.bytes < s.snapshots * 70 * 4096 + 1024 * 1024, `${s.bytes} bytes in ${s.snapshots} snapshots of 64 MiB of RAM`);
  });

  for (const technique of ["native", "trap-and-emulate"]) {
    it(`reads no RAM the guest leaves untouched, which would commit it (${technique}, 128 MiB, in a process of its own)`, () => {
      const probe = join(import.meta.dirname, "../../fixtures/history_ram_probe.ts");
      const r = spawnSync(process.execPath, ["--import", "tsx", probe, technique], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const { snapshots, grewBytes } = JSON.parse(r.stdout) as { snapshots: number; grewBytes: number };
      assert.ok(snapshots >= 4);
      // Reading all of RAM once committed all 128 MiB of it (ram_pages.ts); the guest touches about 300 KiB.
      assert.ok(grewBytes < 48 * 1024 * 1024, `resident memory grew by ${(grewBytes / 1024 / 1024).toFixed(1)} MiB`);
    });
  }

  it("thins snapshots to stay within its budget", () => {
    const { target } = start("native", 600 * 1024);
    for (let i = 0; i < 60; i++) target.run(30_000);
    const s = target.history.stats();
    assert.ok(s.bytes <= s.budgetBytes, `${s.bytes} ≤ ${s.budgetBytes}`);
    assert.ok(target.history.travelTo(s.oldest));
  });

  it("drops the oldest snapshot when the budget holds no more than the newest, and says how far back one can go", () => {
    const { target } = start("native", 64 * 1024);
    for (let i = 0; i < 10; i++) target.run(30_000);
    const s = target.history.stats();
    assert.equal(s.snapshots, 1);
    assert.ok(s.oldest > 0);
    assert.ok(target.history.travelTo(s.oldest));
    assert.equal(target.history.travelTo(s.oldest - 1), false, "nothing before the oldest snapshot");
  });

  it("records nothing with a budget of 0", () => {
    const { target } = start("native", 0);
    target.run(10_000);
    assert.equal(target.history.stats().snapshots, 0);
    assert.equal(target.history.travelTo(0), false);
  });
});
