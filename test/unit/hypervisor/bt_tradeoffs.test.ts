import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, loadGuest, runVm } from "./equivalence";

/**
 * Where binary translation wins and loses, as Adams and Agesen ("A Comparison of Software and
 * Hardware Techniques for x86 Virtualization", ASPLOS 2006) showed it for system-call-heavy,
 * page-table-heavy and compute-bound workloads: the VMM benchmark's guests, by modelled cycles of
 * exits (what `hyperstep compare` prints per technique).
 */
const TECHNIQUES = ["trap-and-emulate", "hardware-assisted", "binary-translation"] as const;
type Costs = Record<(typeof TECHNIQUES)[number], { exits: number; cycles: number }>;

function costs(file: string): Costs {
  const p = loadGuest(join(ROOT, file));
  return Object.fromEntries(TECHNIQUES.map((t) => {
    const r = runVm(p, { technique: t }, 5_000_000);
    assert.deepEqual(r.stop, { kind: "halt", code: 0, how: "finisher" }, `${file} under ${t}`);
    const s = r.target.stats();
    return [t, { exits: s.exits, cycles: s.exitCycles }];
  })) as Costs;
}

describe("binary translation against trap-and-emulate and hardware assistance, by workload", () => {
  it("a kernel dense with CSR accesses: BT wins, its accesses inline where trap-and-emulate traps on each", () => {
    const c = costs("bench/guest-csr-kernel.S");
    assert.ok(c["trap-and-emulate"].exits >= 45_000, "9 traps a round, 5,000 rounds");
    assert.ok(c["binary-translation"].exits * 1000 < c["trap-and-emulate"].exits);
    assert.ok(c["binary-translation"].cycles < c["hardware-assisted"].cycles, "even below hardware assistance's few G-stage faults");
  });

  it("a system-call loop: BT beats trap-and-emulate but loses to hardware assistance, which delegates the system call", () => {
    const c = costs("bench/guest-syscalls.S");
    const calls = 2001;
    // Per call: trap-and-emulate the ecall, 5 CSR traps and the sret; BT the ecall (its user process
    // runs directly) and the sret callout; hardware assistance nothing.
    assert.equal(Math.round(c["trap-and-emulate"].exits / calls), 7);
    assert.equal(Math.round(c["binary-translation"].exits / calls), 2);
    assert.ok(c["hardware-assisted"].exits < 20);
    assert.ok(c["hardware-assisted"].cycles < c["binary-translation"].cycles && c["binary-translation"].cycles * 4 < c["trap-and-emulate"].cycles);
  });

  it("a page-table-heavy guest: BT gains nothing over trap-and-emulate (both shadow the page tables), and hardware assistance's nested paging wins", () => {
    const c = costs("bench/guest-pagetables.S");
    const te = c["trap-and-emulate"], bt = c["binary-translation"];
    assert.ok(Math.abs(bt.exits - te.exits) < te.exits / 100, `${bt.exits} against ${te.exits}: the same hidden faults and page-table writes`);
    assert.ok(bt.cycles > te.cycles * 0.8, "the sfence.vma callouts save little against the page faults");
    assert.ok(c["hardware-assisted"].cycles * 100 < bt.cycles);
  });
});
