import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { createTarget } from "../../../src/target/create_target";
import type { Technique } from "../../../src/target/target";
import { runTo } from "../../../src/target/technique_comparison";
import type { HardwareAssisted } from "../../../src/hypervisor/techniques/hardware_assisted";
import { VmTarget } from "../../../src/target/vm_target";
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

describe("VmTarget.twoStageWalk on the nested-paging guest", () => {
  it("is the hart's own walk with what the next entry loads: the vCPU's satp as vsatp, the G-stage table as hgatp", () => {
    const t = stoppedInShow(1);
    const hw = t.vm.technique as HardwareAssisted;
    const w = t.twoStageWalk(0x4000_0000n, "r")!;
    assert.deepEqual([w.note, w.priv, w.vsatp, w.hgatp], [undefined, 1, t.readCsr("satp"), hw.gStage.hgatp]);
    const hart = t.vm.board.hart;
    for (const [gva, access] of [[0x4000_0000n, "r"], [0x4000_0008n, "w"], [t.pc, "x"], [0x8000_0000n, "r"], [0x1000_0000n, "w"]] as const) {
      assert.deepEqual(t.twoStageWalk(gva, access)!.walk, hart.walk(gva, access, 1 | VIRT), `the hart's walk of 0x${gva.toString(16)} for ${access}, as it stands loaded`);
    }
    assert.equal(w.walk.steps.length, 15, "4 KiB pages at both stages");
    assert.equal(w.walk.gpa, Number(symbol("page_a")));
    assert.equal(w.walk.pa, t.vm.p2m.toHpa(Number(symbol("page_a"))));
  });

  it("follows the vCPU's satp before the next entry loads it into the hart, and leaves the hart as it was", () => {
    const t = stoppedInShow(1);
    const hart = t.vm.board.hart;
    const spaceA = hart.vsatp;
    const spaceB = (8n << 60n) | (2n << 44n) | (symbol("root_b") >> 12n);
    assert.equal(t.writeCsr(0x180, spaceB), true, "the debugger switches the guest to address space B");
    const w = t.twoStageWalk(0x4000_0000n, "r")!;
    assert.equal(w.walk.gpa, Number(symbol("page_b")));
    assert.equal(hart.vsatp, spaceA, "the hart still holds A until the next entry");
    assert.equal(hart.walk(0x4000_0000n, "r", 1 | VIRT).gpa, Number(symbol("page_a")));
  });

  it("tells what the access comes to: an address, a page fault, an emulated device that exits", () => {
    const t = stoppedInShow(2);
    const told = (gva: bigint, access: "r" | "w") => {
      const w = t.walkAddress(gva, access);
      assert.ok(typeof w !== "string");
      return w;
    };
    const b = told(0x4000_0000n, "r");
    assert.deepEqual([b.result.kind, b.result.addr, b.references], ["translated", BigInt(t.vm.p2m.toHpa(Number(symbol("page_b")))), 15]);
    assert.ok(b.parts[0].steps.every((s) => s.tree === (s.stage === "vs" ? "guest" : "gstage")), "each PTE names the panel's tree that holds it");
    const vsFault = told(0x4000_1000n, "r");
    assert.equal(vsFault.result.kind, "fault");
    assert.match(vsFault.result.text, /^load page fault \(cause 13\) at the VS stage: the level-0 PTE at hpa 0x[0-9a-f]+ is not valid \(V = 0\)$/);
    // The UART: the guest maps it, the G stage does not (device accesses exit).
    const uart = told(0x1000_0000n, "w");
    assert.deepEqual(uart.result, { kind: "device", text: "emulated device (uart): not in the G stage, every access exits (guest-page-fault)" });
    const g = t.walkAddress(BigInt(symbol("page_b")), "r", "gpa");
    assert.ok(typeof g !== "string");
    assert.deepEqual([g.references, g.result.addr], [3, BigInt(t.vm.p2m.toHpa(Number(symbol("page_b"))))]);
  });

  it("says when the vCPU is in virtual M-mode, and is undefined under trap-and-emulate", () => {
    const t = vmTarget("hardware-assisted");
    assert.equal(t.priv, 3);
    const w = t.twoStageWalk(0x8000_0000n, "x")!;
    assert.match(w.note ?? "", /virtual M-mode, which runs trap-and-emulated/);
    assert.equal(w.priv, 1, "walked as S-mode");
    assert.equal(w.vsatp, 0n);
    assert.equal(w.walk.steps.length, 3, "a G-stage walk alone");
    const here = t.walkAddress(0x8000_0000n, "x");
    assert.ok(typeof here !== "string");
    assert.deepEqual(here.parts.map((p) => p.by), ["guest", "hart"], "what the hart does now: the shadow of guest M-mode's physical view");
    const te = vmTarget("trap-and-emulate");
    assert.equal(te.twoStageWalk(0x8000_0000n, "r"), undefined);
    assert.equal(te.walkAddress(0x8000_0000n, "r", "gpa"), "trap-and-emulate has no G stage: the p2m maps guest-physical to host-physical memory");
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
      [["hardware-assisted", true, t.instret], ["native", false, t.instret], ["trap-and-emulate", false, t.instret], ["binary-translation", false, t.instret]]);
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
    assert.deepEqual(c.runs.slice(1).map((r) => r.instructions), [50n, 50n, 50n]);
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
    assert.deepEqual(c.runs.map((r) => r.technique), ["trap-and-emulate", "hardware-assisted", "binary-translation"]);
    assert.deepEqual(c.unavailable.map((u) => u.technique), ["native", "paravirtual"]);
    assert.match(c.unavailable[0].why, /"supervisor" \(the guest boots in S-mode\) needs firmware/);
    assert.match(c.unavailable[1].why, /runs only a kernel written for the VMM/);
  });
});
