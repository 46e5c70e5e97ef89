import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { ExitRecord } from "../../../src/hypervisor/exits";
import { ROOT, asmGuest, assertEquivalent, corpusElf, loadGuest, runVm } from "./equivalence";

/**
 * The accesses the VMM checks and performs itself (exits.ts: pmp-access, mprv-access), the world
 * switch it charges on a guest address-space switch, and the exit narrative built only when read.
 */

/**
 * Virtual M-mode with mstatus.MPRV under Sv39: loads and stores go through VA 0x4000_0000, which only
 * the guest's table maps (to `page`, a U page whose PTE starts without A and D), checked as MPP.
 * s2..s7 collect what a native run shows; the M-mode handler records mcause/mtval and skips.
 */
const MPRV_GUEST = `
        .option norelax
        .option norvc
        .text
        .globl _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        la      s0, root
        li      t2, 0x80000000          # root[2]: RAM gigapage, RWX A D, not U
        srli    t1, t2, 12
        slli    t1, t1, 10
        ori     t1, t1, 0xcf
        sd      t1, 16(s0)
        la      t2, l1                  # root[1] -> l1 -> l0 -> page (V R W U, no A/D)
        srli    t1, t2, 12
        slli    t1, t1, 10
        ori     t1, t1, 1
        sd      t1, 8(s0)
        la      s1, l0
        srli    t1, s1, 12
        slli    t1, t1, 10
        ori     t1, t1, 1
        sd      t1, 0(t2)
        la      t2, page
        li      t1, 0x1234
        sd      t1, 0(t2)
        srli    t1, t2, 12
        slli    t1, t1, 10
        ori     t1, t1, 0x17
        sd      t1, 0(s1)
        srli    t0, s0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        li      t4, 0x40000000
        li      t0, 3 << 11             # MPP = U, MPRV
        csrc    mstatus, t0
        li      t0, 1 << 17
        csrs    mstatus, t0
        ld      s2, 0(t4)               # 0x1234 through the guest's table; sets A
        li      t0, 0x5678
        sd      t0, 8(t4)               # sets D
        li      t0, 1 << 11             # MPP = S: a U page without SUM faults
        csrs    mstatus, t0
        ld      s3, 0(t4)
        mv      s4, s10                 # the handler's mcause (13) and mtval
        mv      s5, s11
        li      t0, 3 << 11             # the trap left MPP = M: back to S, now with SUM
        csrc    mstatus, t0
        li      t0, (1 << 11) | (1 << 18)
        csrs    mstatus, t0
        ld      s6, 8(t4)               # 0x5678
        li      t0, 1 << 17             # MPRV off: M-mode is bare again
        csrc    mstatus, t0
        ld      s7, 0(s1)               # the leaf PTE, A and D set by the MPRV accesses
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
m_trap:
        csrr    s10, mcause
        csrr    s11, mtval
        csrr    t6, mepc
        addi    t6, t6, 4
        csrw    mepc, t6
        mret
        .data
        .balign 4096
root:   .space 4096
l1:     .space 4096
l0:     .space 4096
page:   .space 4096
`;

describe("MPRV in virtual M-mode", () => {
  it("translates and checks loads and stores as MPP, as natively, and emulates them", () => {
    const { native, vm } = assertEquivalent("mprv.S", asmGuest(MPRV_GUEST, "mprv.S"));
    const x = (name: string) => native.x[{ s1: 9, s2: 18, s3: 19, s4: 20, s5: 21, s6: 22, s7: 23 }[name]!];
    assert.equal(x("s2"), 0x1234n, "the MPRV load read through the guest's table");
    assert.equal(x("s4"), 13n, "MPP = S without SUM: a load page fault on a U page");
    assert.equal(x("s5"), 0x4000_0000n);
    assert.equal(x("s6"), 0x5678n, "the MPRV store went through the guest's table too");
    assert.equal(x("s7") & 0xc0n, 0xc0n, "A and D set in the guest's leaf");
    const mprv = vm.target.exits({ reasons: ["mprv-access"] }).exits;
    assert.equal(mprv.length, 3, "two loads and a store emulated (the faulting load is a guest exception)");
    assert.deepEqual(mprv.map((e) => e.details.access), ["read", "write", "read"]);
    assert.ok(mprv.every((e) => e.priv === 3 && e.cycles === SEED_COSTS.pageFault));
    assert.match(mprv[0].action, /MPRV/);
    assert.ok(vm.target.exits({ reasons: ["guest-exception"] }).exits.some((e) => e.details.cause === 13n && e.details.gva === 0x4000_0000n));
  });
});

describe("guest PMP below page granularity", () => {
  it("checks every access to a partly covered page against the virtual PMP (the pmp corpus guest)", () => {
    const { vm } = assertEquivalent("pmp", loadGuest(corpusElf("pmp")));
    const pmp = vm.target.exits({ reasons: ["pmp-access"], count: 100_000 }).exits;
    const kinds = new Set(pmp.map((e) => e.details.access));
    assert.deepEqual([...kinds].sort(), ["execute", "read", "write"], "loads and stores emulated, fetches run one at a time");
    assert.ok(pmp.filter((e) => e.details.access === "execute").every((e) => e.instruction === undefined && e.details.shadowRoot !== undefined));
    // The denied accesses became the access faults the guest expects, not pmp-access exits.
    const faults = vm.target.exits({ reasons: ["guest-exception"], count: 100_000 }).exits.map((e) => e.details.cause);
    for (const cause of [1n, 5n, 7n]) assert.ok(faults.includes(cause), `an access fault with cause ${cause}`);
  });
});

describe("world switches", () => {
  it("charges one on a satp write that switches the guest's address space, and nowhere else", () => {
    const r = runVm(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")));
    const all = r.target.exits({ count: 100_000 }).exits;
    const satp = all.filter((e) => e.reason === "csr-write" && e.details.csr === "satp");
    assert.ok(satp.length >= 3);
    for (const e of satp) {
      const switched = e.details.newValue !== e.details.oldValue;
      assert.equal(e.details.worldSwitch, switched ? true : undefined);
      assert.equal(e.cycles, SEED_COSTS.hypervisorEntryExit + (switched ? SEED_COSTS.worldSwitch : 0));
    }
    assert.ok(satp.some((e) => e.details.worldSwitch));
    assert.match(satp.find((e) => e.details.worldSwitch)!.steps.map((s) => s.text).join("\n"), /world switch/);
    const others = all.filter((e) => !(e.reason === "csr-write" && e.details.csr === "satp"));
    assert.ok(others.every((e) => e.details.worldSwitch === undefined && e.cycles < SEED_COSTS.worldSwitch));
    const stats = r.target.stats().byReason.find((s) => s.reason === "csr-write")!;
    assert.equal(stats.cycles, all.filter((e) => e.reason === "csr-write").reduce((n, e) => n + e.cycles, 0));
  });

  it("is configurable like every other cost", () => {
    const r = runVm(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")), { costs: { ...SEED_COSTS, worldSwitch: 1 } });
    const e = r.target.exits({ count: 100_000 }).exits.find((x) => x.details.worldSwitch)!;
    assert.equal(e.cycles, SEED_COSTS.hypervisorEntryExit + 1);
  });
});

describe("the exit narrative", () => {
  it("is built on the first read of action or steps, once", () => {
    let built = 0;
    const e = new ExitRecord(0, 0x8000_0000n, 3, 5, "wfi", undefined, {}, 650, () => {
      built++;
      return { action: "emulated wfi", steps: [{ phase: "resume", text: "pc ← pc + 4" }] };
    });
    assert.equal(built, 0, "recording an exit builds no text");
    assert.equal(e.action, "emulated wfi");
    assert.equal(e.steps[0].text, "pc ← pc + 4");
    assert.equal(e.action, "emulated wfi");
    assert.equal(built, 1);
  });

  it("tells what happened at the exit, not what the vCPU did later", () => {
    const r = runVm(loadGuest(join(ROOT, "sample-guests/trap-and-emulate/trap_and_emulate.S")));
    const exits = r.target.exits({ count: 100_000 }).exits;
    const mret = exits.find((e) => e.reason === "xret")!;
    assert.match(mret.action, /virtual M → S at 0x[0-9a-f]+/);
    assert.equal(mret.steps.at(-1)!.after, mret.details.toPc);
    const ecall = exits.find((e) => e.reason === "ecall")!;
    assert.match(ecall.action, /^ecall from virtual S-mode: reflected/);
  });
});

describe("LR/SC the VMM performs for the guest", () => {
  // The CLINT's msip is a device register: every access to it is emulated under both techniques.
  const GUEST = `
        .globl  _start
_start: li      t0, 0x2000000
        li      t1, 1
        sc.w    a0, t1, (t0)          # no reservation: fails, msip stays 0
        lw      a1, 0(t0)
        lr.w    a2, (t0)              # reserves msip
        sc.w    a3, t1, (t0)          # holds it: msip = 1
        lw      a4, 0(t0)
        sw      zero, 0(t0)
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
`;
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`${technique}: an SC without its reservation fails and stores nothing; after an LR it succeeds`, () => {
      const { native } = assertEquivalent("lr_sc_mmio.S", asmGuest(GUEST, "lr_sc_mmio.S"), { technique });
      assert.deepEqual([10, 11, 13, 14].map((r) => native.x[r]), [1n, 0n, 0n, 1n], "natively: fail, 0, success, 1");
    });
  }
});
