import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { statsCommand } from "../../../src/debug/repl_vmm";
import { SymbolTable } from "../../../src/debug/symbols";
import { Variables } from "../../../src/debug/variables";
import { createTarget } from "../../../src/target/create_target";
import type { Target } from "../../../src/target/target";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import type { VmExit } from "../../../src/hypervisor/exits";
import { FPU_SWITCH_POLICIES } from "../../../src/hypervisor/fpu_switch";
import { MSTATUS_FS } from "../../../src/isa/csr_bits";
import { CSR } from "../../../src/isa/csrs";
import { EQUIVALENT_TECHNIQUES } from "../../../src/target/techniques";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, asmGuest, assertEquivalent, loadGuest, makeVm } from "./equivalence";

/** The VMM techniques whose guests cannot tell them from the bare machine (paravirtualization runs only its own kernels). */
const VMM_TECHNIQUES = EQUIVALENT_TECHNIQUES.filter((t) => t !== "native");
const LESSON = join(ROOT, "sample-guests/lazy-fpu/lazy_fpu.S");
const SWITCH = SEED_COSTS.fpSave + SEED_COSTS.fpRestore;
const FPU_TRAP = SEED_COSTS.hypervisorEntryExit + SEED_COSTS.fpRestore;

/**
 * M-mode turns the FPU on, puts 1.5 in f3, turns it Off again, switches address space (a world
 * switch under a VMM), delegates illegal instructions and drops to S-mode. There the first `fld`
 * traps to the guest's own stvec (its FS is Off); the handler turns FS on (Initial) and retries;
 * then `fld` and `fadd.d` run, `csrr sstatus` reads FS = Dirty and SD, and an ecall ends the run.
 */
const GUEST = `
        .option norelax
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        la      t0, s_trap
        csrw    stvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 1 << 2
        csrw    medeleg, t0
        li      t0, 1 << 13
        csrs    mstatus, t0
        la      t0, nums
        fld     f3, 8(t0)
        li      t0, 3 << 13
        csrc    mstatus, t0
        la      t0, root
        li      t1, ((0x80000000 >> 12) << 10) | 0xcf
        sd      t1, 16(t0)
        srli    t0, t0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        li      t0, 3 << 11
        csrc    mstatus, t0
        li      t0, 1 << 11
        csrs    mstatus, t0
        la      t0, s_main
        csrw    mepc, t0
        mret
s_main:
        la      t0, nums
        fld     f1, 0(t0)
        fadd.d  f2, f1, f3
        csrr    s0, sstatus
        frcsr   s3
        ecall
s_trap:
        csrr    s1, scause
        addi    s2, s2, 1
        li      t1, 1 << 13
        csrs    sstatus, t1
        sret
m_trap:
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
        .data
        .balign 8
nums:   .dword 0x3ff8000000000000, 0x3ff8000000000000
        .bss
        .balign 4096
root:   .space 4096
`;

const FS_OFF_GUEST = asmGuest(GUEST, "fpu_switch.S");

function fpuTraps(target: VmTarget): VmExit[] {
  return target.exits({ reasons: ["fpu-trap"] }).exits;
}

describe("lazy FPU switching: the guest's FS, virtualized", () => {
  for (const technique of VMM_TECHNIQUES) {
    it(`${technique}: its own FS=Off trap reaches its handler, then the VMM's fpu-trap loads its state; nothing differs from native`, () => {
      const { native, vm } = assertEquivalent("fpu_switch.S", FS_OFF_GUEST, { technique, fpuSwitch: "lazy" });
      assert.equal(native.stop.kind, "halt");
      assert.equal(native.x[18], 1n, "s2: the guest's own trap was taken once");
      assert.equal(native.x[9], 2n, "s1: an illegal instruction");
      assert.equal(native.x[8] & BigInt(MSTATUS_FS), BigInt(MSTATUS_FS), "s0: sstatus.FS reads Dirty");
      assert.equal(native.x[8] >> 63n, 1n, "s0: and SD");
      assert.equal(native.f[2], 0x4008000000000000n, "f2 = 1.5 + 1.5, with f3 kept across the world switch");
      const traps = fpuTraps(vm.target);
      assert.equal(traps.length, 1, "one fpu-trap");
      assert.equal(traps[0].instruction?.mnemonic, "fld", "at the retried fld");
      assert.equal(traps[0].priv, 1);
      assert.equal(traps[0].cycles, FPU_TRAP, "entry + exit and the restore");
      assert.match(traps[0].steps.map((s) => s.text).join("\n"), /the guest's own FS is Initial, not Off: the trap is the VMM's/);
      const fpu = vm.target.stats().fpu;
      assert.deepEqual(fpu, { policy: "lazy", worldSwitches: 1, saves: 0, restores: 1, traps: 1, cycles: FPU_TRAP, eagerCycles: SWITCH });
    });

    it(`${technique}: eager switching saves and restores at the world switch, and never traps`, () => {
      const { vm } = assertEquivalent("fpu_switch.S", FS_OFF_GUEST, { technique, fpuSwitch: "eager" });
      assert.equal(fpuTraps(vm.target).length, 0);
      const ws = vm.target.exits({}).exits.filter((e) => e.details.worldSwitch);
      assert.equal(ws.length, 1);
      // Binary translation's satp write is a callout from the translation cache, not a trap.
      const entry = technique === "binary-translation" ? SEED_COSTS.callout : SEED_COSTS.hypervisorEntryExit;
      assert.equal(ws[0].cycles, entry + SEED_COSTS.worldSwitch + SWITCH);
      assert.match(ws[0].details.fpu!, /^eager: saved f0–f31 and fcsr/);
      assert.ok(ws[0].steps.some((s) => s.text.startsWith("floating-point state, eager")), "the narrative says so");
      assert.deepEqual(vm.target.stats().fpu, { policy: "eager", worldSwitches: 1, saves: 1, restores: 1, traps: 0, cycles: SWITCH, eagerCycles: SWITCH });
    });
  }

  it("while the state is not loaded, the hart runs with FS Off, the guest reads its own FS, and the Variables view its f registers", () => {
    const vm = makeVm({ technique: "trap-and-emulate", fpuSwitch: "lazy" });
    vm.load(FS_OFF_GUEST);
    const target = new VmTarget(vm, "trap-and-emulate", FS_OFF_GUEST.symbols);
    target.setExitFilter((e) => e.reason === "guest-exception");
    const stop = target.run(10_000);
    assert.equal(stop.kind, "trap", "stopped at the guest's own FS=Off trap");
    assert.equal(vm.fpu.isLoaded, false, "after the world switch, the guest's FP state is not loaded");
    assert.equal(vm.board.hart.mstatus & MSTATUS_FS, 0, "the hart ran the guest with FS Off");
    const mstatus = target.readCsr("mstatus")!;
    assert.equal(mstatus & BigInt(MSTATUS_FS), 0n, "the guest's own FS is Off too: it turned it off");
    assert.equal(target.getFpReg(3), 0x3ff8000000000000n, "f3 as the guest left it");
    target.setExitFilter((e) => e.reason === "fpu-trap");
    assert.equal(target.run(10_000).kind, "trap");
    assert.equal(target.readCsr("mstatus")! & BigInt(MSTATUS_FS), 1n << 13n, "the guest's FS: Initial, as its handler set it");
    assert.equal(vm.fpu.isLoaded, true);
  });

  it("the Variables view shows the guest's f registers, fcsr and mstatus while its FP state is not loaded, as natively", () => {
    const program = loadGuest(LESSON);
    const make = (technique: "native" | "trap-and-emulate") => {
      const r = createTarget(program, { technique, memoryBytes: 16 << 20, historyBytes: 0, fpuSwitch: technique === "native" ? undefined : "lazy" });
      if (!r.ok) assert.fail(r.error);
      return r.target;
    };
    const view = (t: Target) => {
      const vars = new Variables(() => t, () => ({ target: t, symbols: new SymbolTable(t.symbols), convenience: new Map() }));
      const scopes = vars.scopes();
      const fp = vars.variables(scopes.find((s) => s.name === "Floating point")!.variablesReference)!;
      return { fp: fp.map((v) => [v.name, v.value]), mstatus: t.readCsr(CSR.mstatus) };
    };
    const vm = make("trap-and-emulate");
    // The fifth world switch: the FP task has run (f0 holds its sum, fflags NX) and the integer task is next.
    let switches = 0;
    vm.vmm!.setExitFilter((e) => e.details.worldSwitch === true && ++switches === 5);
    assert.equal(vm.run(1_000_000).kind, "trap");
    assert.match(vm.vmm!.stoppedExit!.details.fpu!, /^lazy: .* the hart's FS goes Off/, "the guest's FP state is not loaded now");
    const steps = vm.history.position;
    const native = make("native");
    assert.equal(native.run(steps).kind, "budget");
    assert.equal(native.pc, vm.pc, "both at the same point of the guest's history");
    const seen = view(vm);
    assert.equal(seen.mstatus! & BigInt(MSTATUS_FS), 0n, "the guest's FS: Off, as its kernel just set it");
    assert.deepEqual(seen, view(native));
    assert.notEqual(seen.fp.find(([name]) => name === "ft0")![1], "0 0x0000000000000000", "f0 holds the FP task's sum");
  });

  it("without F, neither policy has anything to switch", () => {
    for (const fpuSwitch of FPU_SWITCH_POLICIES) {
      const vm = makeVm({ technique: "trap-and-emulate", fpuSwitch, f: false, d: false });
      assert.equal(vm.fpu.worldSwitch({}), 0);
      assert.equal(vm.fpu.isLoaded, true);
      assert.equal(vm.fpu.stats().worldSwitches, 0);
    }
  });
});

describe("the lazy-fpu lesson under every technique and both policies", () => {
  const program = loadGuest(LESSON);
  for (const technique of VMM_TECHNIQUES) {
    for (const fpuSwitch of FPU_SWITCH_POLICIES) {
      it(`${technique}, ${fpuSwitch}: the guest cannot tell (output, registers, f registers, CSRs), and FP switching costs what the model says`, () => {
        const { native, vm } = assertEquivalent(LESSON, program, { technique, fpuSwitch });
        assert.deepEqual(native.stop, { kind: "halt", code: 0, how: "finisher" });
        assert.deepEqual(native.x.slice(10, 17), [4n, 1n, 0x4010aaaaaaaaaaabn, 24n, 30n, 0x50f42c5e382n, 10n], "a0–a6: results, FS/SD checksum, the kernel's own FP traps");
        const fpu = vm.target.stats().fpu;
        assert.equal(fpu.worldSwitches, 18);
        // The Debug Console's `stats` reads the same figures (statsCommand uses only the target).
        const stats = statsCommand({ target: vm.target, env: undefined as never, symbols: undefined as never }).replace(/\s+/g, " ");
        if (fpuSwitch === "lazy") {
          assert.match(stats, / FPU switching \(lazy\): 18 world switches, 10 fpu-traps: 6830 cycles \(eager: 1188\)$/);
          assert.deepEqual(fpu, { policy: "lazy", worldSwitches: 18, saves: 0, restores: 10, traps: 10, cycles: 10 * FPU_TRAP, eagerCycles: 18 * SWITCH });
          assert.equal(fpuTraps(vm.target).length, 10);
        } else {
          assert.match(stats, / FPU switching \(eager\): 18 world switches, 18 saves \+ 18 restores: 1188 cycles$/);
          assert.deepEqual(fpu, { policy: "eager", worldSwitches: 18, saves: 18, restores: 18, traps: 0, cycles: 18 * SWITCH, eagerCycles: 18 * SWITCH });
          assert.equal(fpuTraps(vm.target).length, 0);
        }
      });
    }
  }
});
