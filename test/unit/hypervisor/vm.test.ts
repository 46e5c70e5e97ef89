import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { costModel, SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { ExitLog, ExitRecord, EXIT_REASON_IDS } from "../../../src/hypervisor/exits";
import { VmTarget } from "../../../src/target/vm_target";
import { createVirtBoard } from "../../../src/machine/virt";
import { ROOT, loadGuest, makeVm, runVm } from "./equivalence";

const HELLO = join(ROOT, "sample-guests/hello/hello.S");
const TAE = join(ROOT, "sample-guests/trap-and-emulate/trap_and_emulate.S");

function vmOf(file: string, opts = {}) {
  const p = loadGuest(file);
  let out = "";
  const vm = makeVm({ memoryBytes: 1 << 20, uartOut: { write: (b) => (out += String.fromCharCode(b)) }, ...opts });
  vm.load(p);
  return { vm, target: new VmTarget(vm, "trap-and-emulate", p.symbols), out: () => out, program: p };
}

describe("the VM", () => {
  it("backs guest RAM at another host-physical address, through an explicit p2m", () => {
    const { vm, target } = vmOf(HELLO);
    assert.deepEqual(vm.p2m.regions(), [{ gpa: 0x8000_0000, hpa: 0x8080_0000, size: 1 << 20, kind: "ram" }]);
    vm.run(1000);
    const code = target.readMemory("gpa", 0x8000_0000n, 8)!;
    assert.deepEqual(target.readMemory("hpa", 0x8080_0000n, 8), code);
    assert.notDeepEqual(target.readMemory("hpa", 0x8000_0000n, 8), code, "HPA 0x8000_0000 is the VMM's shadow pool, not the guest's code");
  });

  it("runs all guest code in host U-mode on a shadow root while the vCPU is in virtual M-mode", () => {
    const { vm } = vmOf(HELLO);
    vm.run(3);
    assert.equal(vm.vcpu.priv, 3);
    assert.equal(vm.board.hart.readCsr(0x180)! >> 60n, 8n, "host satp is Sv39 on the shadow root");
    vm.board.run(0);
    const exits = vm.log.query().exits;
    assert.ok(exits.every((e) => e.priv === 3));
  });

  it("records typed exits with reason, instruction, details, action, narrative and the seed costs", () => {
    const { vm, target, out } = vmOf(TAE);
    assert.equal(vm.run(1_000_000).kind, "halt");
    assert.match(out(), /mcause = 9/);
    const all = target.exits({ count: 10_000 }).exits;
    const mtvec = all.find((e) => e.reason === "csr-write" && e.details.csr === "mtvec")!;
    assert.equal(mtvec.instruction?.mnemonic, "csrrw");
    assert.equal(mtvec.cycles, 650);
    assert.equal(mtvec.details.oldValue, 0n);
    assert.equal(mtvec.details.newValue, target.symbols.find((s) => s.name === "m_trap")!.address);
    const mret = all.find((e) => e.reason === "xret")!;
    assert.equal(mret.priv, 3);
    assert.equal(mret.details.toPriv, 1);
    const ecall = all.find((e) => e.reason === "ecall")!;
    assert.equal(ecall.priv, 1);
    assert.equal(ecall.details.cause, 9n);
    const thr = all.find((e) => e.reason === "mmio-write" && e.details.register === "THR")!;
    assert.equal(thr.details.device, "uart");
    assert.equal(thr.cycles, SEED_COSTS.deviceEmulation);
    assert.equal(all.find((e) => e.reason === "hidden-page-fault")!.cycles, SEED_COSTS.pageFault);
    const text = target.narrate(mtvec.seq)!;
    assert.match(text, /VM exit \d+: csr-write/);
    assert.match(text, /decode .*csrrw/);
    assert.match(text, /vcpu +virtual mtvec ← .*before 0x0 → after 0x8/);
    assert.match(text, /resume +pc ← pc \+ 4/);
    const stats = target.stats();
    assert.equal(stats.exits, all.length);
    assert.equal(stats.exitCycles, all.reduce((s, e) => s + e.cycles, 0));
    assert.equal(stats.nativeCycles, Number(vm.instret));
    assert.ok(stats.slowdown > 1);
  });

  it("steps exactly as the native board does: one instruction or one trap per step", () => {
    const p = loadGuest(TAE);
    const b = createVirtBoard({ memoryBytes: 1 << 20 });
    b.load(p);
    const { vm } = vmOf(TAE);
    for (let i = 0; i < 400; i++) {
      b.step();
      vm.step();
      assert.equal(vm.pc, b.hart.pc, `pc after step ${i + 1}`);
      assert.equal(vm.vcpu.priv, b.hart.priv, `privilege after step ${i + 1}`);
      assert.equal(vm.instret, b.instret);
    }
  });

  it("stops at breakpoints on guest pcs, also right after an emulated instruction", () => {
    const { vm, target } = vmOf(TAE);
    const sMain = target.symbols.find((s) => s.name === "s_main")!.address;
    target.setBreakpoints([sMain]);
    assert.deepEqual(vm.run(100_000), { kind: "breakpoint", pc: sMain });
    assert.equal(vm.vcpu.priv, 1, "the mret before it was emulated");
  });

  it("stops after an exit the filter selects, with the record", () => {
    const { vm, target } = vmOf(TAE);
    target.setExitFilter((e) => e.reason === "ecall");
    const stop = vm.run(100_000);
    assert.equal(stop.kind, "trap");
    assert.equal(target.stoppedExit?.reason, "ecall");
    assert.equal(vm.vcpu.priv, 3, "the VMM already delivered the ecall to the guest's M-mode handler");
    target.setExitFilter((e) => e.reason === "mmio-write" && e.details.device === "finisher");
    assert.equal(vm.run(100_000).kind, "trap");
    assert.equal(target.stoppedExit?.details.register, "status");
  });

  it("delivers guest traps to the Target's onTrap hook", () => {
    const { vm, target } = vmOf(TAE);
    const seen: bigint[] = [];
    target.onTrap = (cause) => (seen.push(cause), true);
    const stop = vm.run(100_000);
    assert.equal(stop.kind, "trap");
    assert.deepEqual(seen, [9n]);
    assert.equal(target.pc, target.symbols.find((s) => s.name === "m_trap")!.address);
  });
});

describe("exit log and cost model", () => {
  it("pages and filters, and keeps statistics past its bound", () => {
    const log = new ExitLog(3);
    for (let i = 0; i < 5; i++) {
      log.add(new ExitRecord(0, 0n, 3, 0, i % 2 ? "wfi" : "ecall", undefined, {}, 10, () => ({ action: "", steps: [] })));
    }
    const page = log.query({ reasons: ["ecall"] });
    assert.deepEqual(page.exits.map((e) => e.seq), [3, 5]);
    assert.equal(page.dropped, 2);
    assert.deepEqual(log.query({ start: 1, count: 1 }).exits.map((e) => e.seq), [4]);
    assert.deepEqual(log.stats(), [{ reason: "wfi", count: 2, cycles: 20 }, { reason: "ecall", count: 3, cycles: 30 }]);
    assert.equal(log.get(1), undefined);
    assert.equal(log.get(4)?.reason, "wfi");
  });

  it("takes configurable costs and rejects unknown ones", () => {
    assert.deepEqual(costModel({ pageFault: 700 }), { ...SEED_COSTS, pageFault: 700 });
    assert.match((costModel({ tlb: 1 }) as { error: string }).error, /unknown cost 'tlb'/);
    const { target } = vmOf(HELLO, { costs: { ...SEED_COSTS, deviceEmulation: 1 } });
    target.run(1_000_000);
    assert.equal(target.stats().byReason.find((r) => r.reason === "mmio-write")!.cycles, target.stats().byReason.find((r) => r.reason === "mmio-write")!.count);
  });

  it("has a stable, documented reason list", () => {
    assert.deepEqual([...EXIT_REASON_IDS], [
      "csr-read", "csr-write", "xret", "wfi", "sfence", "ecall", "guest-exception", "virtual-interrupt", "timer",
      "hidden-page-fault", "guest-pt-write", "pmp-access", "mprv-access", "mmio-read", "mmio-write",
      "guest-page-fault", "virtual-instruction", "sbi-call", "bt-callout", "bt-lookup-miss",
      "hypercall-set-trap-table", "hypercall-mmu-update", "hypercall-update-va-mapping", "hypercall-mmuext", "hypercall-multicall",
      "hypercall-timer", "hypercall-event-channel", "hypercall-sched", "hypercall-console", "hypercall-iret", "event-upcall", "pv-violation",
      "bt-translate", "bt-invalidate", "fpu-trap", "cow-break", "host-swap-in", "host-swap-out", "world-switch", "virtio-notify", "iommu-fault", "device-interrupt",
    ]);
  });

  it("injects virtual timer interrupts into the guest's handler", () => {
    const r = runVm(loadGuest(join(ROOT, "sample-guests/timer-interrupts/timer_interrupts.S")));
    const irqs = r.target.exits({ reasons: ["virtual-interrupt"] }).exits;
    assert.equal(irqs.length, 3);
    for (const e of irqs) {
      assert.equal(e.details.cause, (1n << 63n) | 7n);
      assert.equal(e.details.toPc, r.target.symbols.find((s) => s.name === "timer_handler")!.address);
    }
    assert.equal(r.target.exits({ reasons: ["wfi"] }).total, 3);
  });
});
