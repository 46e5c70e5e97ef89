import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { createTarget } from "../../../src/target/create_target";
import type { Technique } from "../../../src/target/target";
import { runTo } from "../../../src/target/technique_comparison";
import type { HardwareAssisted } from "../../../src/hypervisor/techniques/hardware_assisted";
import { VmTarget } from "../../../src/target/vm_target";
import type { Walk2Access, Walk2Fetch } from "../../../src/hypervisor/walk2";
import { VIRT } from "../../../src/machine/hart/mmu";
import { ROOT, loadGuest } from "./equivalence";

const NESTED = join(ROOT, "sample-guests/nested-paging/nested_paging.S");
const SUPERVISOR = join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S");
const program = loadGuest(NESTED);
const symbol = (name: string) => program.symbols.find((s) => s.name === name)!.address;

function vmTarget(technique: Technique, p = program, boot?: "supervisor"): VmTarget {
  const c = createTarget(p, { technique, memoryBytes: 16 << 20, boot });
  assert.ok(c.ok);
  assert.ok(c.target instanceof VmTarget);
  return c.target;
}

/** Runs to the n-th call of `show` (1: address space A, 2: B), where S-mode runs with paging on. */
function stoppedInShow(n: number): VmTarget {
  const t = vmTarget("hardware-assisted");
  t.setBreakpoints([symbol("show")]);
  for (let i = 0; i < n; i++) assert.equal(t.run(1_000_000).kind, "breakpoint");
  t.setBreakpoints([]);
  assert.equal(t.priv, 1, "the guest is in S-mode, i.e. VS-mode on the hart");
  return t;
}

/** walk2's walk against the hart's own two-stage walk (mmu.ts) of the same address in VS-mode. */
function assertSameAsHart(t: VmTarget, gva: bigint, access: Walk2Access) {
  const view = t.twoStageWalk(gva, access)!;
  const ours = view.walk;
  const hart = t.vm.board.hart.walk(gva, access, 1 | VIRT);
  const fetches = ours.steps.filter((s): s is Walk2Fetch => s.type === "fetch");
  assert.deepEqual(
    fetches.map((f) => [f.stage, f.level, f.pteHpa, f.pteGpa, f.pte]),
    hart.steps.map((s) => [s.stage.toUpperCase(), s.level, s.pteAddr, s.gpa, s.pte]),
    `the same PTEs in the same order for ${access} of 0x${gva.toString(16)}`,
  );
  assert.equal(ours.memoryReferences, hart.steps.length);
  assert.equal(ours.hpa, hart.pa);
  if (hart.fault === undefined) assert.equal(ours.gpa, hart.gpa);
  assert.equal(ours.fault === undefined ? undefined : BigInt(ours.fault.cause), hart.fault);
  return ours;
}

describe("VmTarget.twoStageWalk on the nested-paging guest", () => {
  it("reads vsatp from the vCPU and hgatp from the VMM's G-stage table, as the hart does", () => {
    const t = stoppedInShow(1);
    const hart = t.vm.board.hart;
    assert.equal(hart.vsatp, t.readCsr("satp"), "the vCPU's satp is what the hart walks as vsatp");
    assert.equal(hart.hgatp, (t.vm.technique as HardwareAssisted).gStage.hgatp);
    const w = t.twoStageWalk(0x4000_0000n, "r")!;
    assert.equal(w.fromMachineMode, false);
    assert.deepEqual(w.walk.vs, { mode: "sv39", asid: 1, rootGpa: Number(symbol("root_a")) });
    assert.deepEqual(w.walk.g, { mode: "sv39x4", vmid: (t.vm.technique as HardwareAssisted).gStage.vmid, rootHpa: (t.vm.technique as HardwareAssisted).gStage.rootHpa });
  });

  it("matches the hart's walk in address space A: 15 references for 4 KiB pages, GPA and HPA", () => {
    const t = stoppedInShow(1);
    const w = assertSameAsHart(t, 0x4000_0000n, "r");
    assert.equal(w.memoryReferences, 15);
    assert.equal(w.gpa, Number(symbol("page_a")));
    assert.equal(w.hpa, t.vm.p2m.toHpa(Number(symbol("page_a"))));
    for (const [gva, access] of [[0x4000_0008n, "w"], [t.pc, "x"], [0x8000_0000n, "r"]] as const) assertSameAsHart(t, gva, access);
  });

  it("matches the hart's walk in address space B, and on faults at either stage", () => {
    const t = stoppedInShow(2);
    const w = assertSameAsHart(t, 0x4000_0000n, "r");
    assert.equal(w.gpa, Number(symbol("page_b")));
    const vsFault = assertSameAsHart(t, 0x4000_1000n, "r");
    assert.deepEqual([vsFault.fault?.stage, vsFault.fault?.cause], ["VS", 13]);
    // The UART: the guest maps it, the G stage does not (device accesses exit).
    const gFault = assertSameAsHart(t, 0x1000_0000n, "w");
    assert.deepEqual([gFault.fault?.stage, gFault.fault?.cause, gFault.fault?.gpa], ["G", 23, 0x1000_0000]);
  });

  it("says when the vCPU is in virtual M-mode, and is undefined under trap-and-emulate", () => {
    const t = vmTarget("hardware-assisted");
    assert.equal(t.priv, 3);
    const w = t.twoStageWalk(0x8000_0000n, "x")!;
    assert.equal(w.fromMachineMode, true);
    assert.equal(w.walk.priv, 1, "walked as S-mode");
    assert.deepEqual(w.walk.vs, { mode: "bare" });
    assert.equal(w.walk.memoryReferences, 3, "a G-stage walk alone");
    assert.equal(vmTarget("trap-and-emulate").twoStageWalk(0x8000_0000n, "r"), undefined);
  });
});

describe("VmTarget.compareTechniques", () => {
  it("runs the guest afresh natively and under the other VMM technique, up to the same instruction count", () => {
    const t = stoppedInShow(1);
    assert.equal(t.technique, "hardware-assisted");
    const c = t.compareTechniques()!;
    assert.equal(c.instructions, t.instret);
    assert.equal(c.capped, false);
    assert.deepEqual(c.runs.map((r) => [r.technique, r.current, r.instructions]),
      [["hardware-assisted", true, t.instret], ["native", false, t.instret], ["trap-and-emulate", false, t.instret]]);
    const [hw, native, te] = c.runs;
    assert.equal(hw.exits, t.stats().exits, "the current row is this VM's own statistics");
    assert.equal(te.modelledCycles, Number(t.instret) + te.exitCycles);
    assert.equal(native.exits, 0);
    assert.equal(native.modelledCycles, Number(t.instret));
    assert.equal(t.compareTechniques(), c, "kept until the guest runs on");
    t.run(1_000_000);
    const end = t.compareTechniques()!;
    assert.notEqual(end, c);
    const reasons = (r: (typeof end.runs)[number]) => new Set(r.byReason.map((b) => b.reason));
    assert.ok(reasons(end.runs[2]).has("guest-pt-write"), "trap-and-emulate write-protects the guest's tables");
    assert.ok(!reasons(end.runs[0]).has("guest-pt-write"), "hardware assistance does not");
    assert.ok(end.runs.every((r) => r.end.kind === "goal"), "every run reached the guest's halt, not earlier");
  });

  it("stops the fresh runs at the cap and says so", () => {
    const t = stoppedInShow(1);
    const c = t.compareTechniques(50)!;
    assert.equal(c.capped, true);
    assert.equal(c.instructions, 50n);
    assert.deepEqual(c.runs.slice(1).map((r) => r.instructions), [50n, 50n]);
  });

  it("gives up on a fresh run when its time is up, and says how far it got", () => {
    const r = runTo(vmTarget("trap-and-emulate"), 1000n, -1);
    assert.equal(r.instructions, 0n);
    assert.deepEqual(r.end, { kind: "time", seconds: -1 });
    const done = runTo(vmTarget("trap-and-emulate"), 1_000_000n);
    assert.deepEqual(done.end, { kind: "halt", code: 0, how: "finisher" }, "the guest ends before a million instructions");
  });

  it("has no native run for a guest that boots in S-mode", () => {
    const t = vmTarget("trap-and-emulate", loadGuest(SUPERVISOR), "supervisor");
    t.run(200);
    const c = t.compareTechniques()!;
    assert.deepEqual(c.runs.map((r) => r.technique), ["trap-and-emulate", "hardware-assisted"]);
    assert.deepEqual(c.unavailable.map((u) => u.technique), ["native", "paravirtual"]);
    assert.match(c.unavailable[0].why, /"supervisor" \(the guest boots in S-mode\) needs firmware/);
    assert.match(c.unavailable[1].why, /runs only a kernel written for the VMM/);
  });
});
