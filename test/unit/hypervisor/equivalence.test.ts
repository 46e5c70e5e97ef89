import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { HardwareAssisted } from "../../../src/hypervisor/techniques/hardware_assisted";
import { EQUIVALENT_TECHNIQUES } from "../../../src/target/techniques";

/** Paravirtualization gives up equivalence: it runs only kernels written for it (paravirtual.test.ts). */
const VMM_TECHNIQUES = EQUIVALENT_TECHNIQUES.filter((t) => t !== "native");
import { buildRandomGuest } from "../../oracle/guests";
import { gStageLeaf } from "./g_stage_leaf";
import { ROOT, asmGuest, assertEquivalent, corpusElf, loadGuest, makeVm, runVm, sampleSources } from "./equivalence";

/**
 * Popek and Goldberg's equivalence: natively and under each VMM technique, every guest prints the same,
 * ends the same, retires the same instructions and leaves the same pc, privilege, GPRs and CSRs.
 */
const CORPUS = readdirSync(join(ROOT, "test/fixtures/guests")).filter((f) => f.endsWith(".S") && f !== "crt.S").map((f) => f.slice(0, -2));

for (const technique of VMM_TECHNIQUES) {
  describe(`equivalence under ${technique}: the differential corpus (test/fixtures/guests, built with gcc)`, () => {
    it("has guests", () => assert.ok(CORPUS.length >= 8));
    for (const name of [...CORPUS, "bench-empty", "c_float"]) {
      it(name, () => {
        const { vm } = assertEquivalent(name, loadGuest(corpusElf(name)), { technique });
        assert.ok(vm.target.stats().exits > 0, "the guest ran under the VMM, with exits");
      });
    }
  });
}

for (const technique of VMM_TECHNIQUES) {
  describe(`equivalence under ${technique}: the sample guests (assembled by Hyperstep)`, () => {
    const samples = sampleSources();
    it("has the lessons", () => assert.ok(samples.length >= 6));
    for (const src of samples) {
      it(src.slice(ROOT.length + 1), () => {
        const { native, vm } = assertEquivalent(src, loadGuest(src), { technique });
        assert.equal(native.stop.kind, "halt");
        assert.ok(vm.target.stats().exits > 0, "the guest ran under the VMM, with exits");
      });
    }
  });
}

describe("equivalence: a guest that boots in S-mode on the VMM's SBI", () => {
  // No native run: on the bare board there is no firmware. test/oracle/sbi_guest.test.ts checks the
  // same output on QEMU behind OpenSBI.
  it("prints and ends the same under every VMM technique, through SBI calls", () => {
    const p = loadGuest(join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S"));
    const [te, hw, bt] = (["trap-and-emulate", "hardware-assisted", "binary-translation"] as const).map((technique) => runVm(p, { technique, boot: "supervisor" }));
    assert.deepEqual(hw.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.deepEqual(te.stop, hw.stop);
    assert.match(hw.uart, /^supervisor-boot: hello from S-mode\n[^]*supervisor timer interrupt 2\nshutting down through SRST\n$/);
    assert.equal(te.uart, hw.uart);
    assert.equal(te.instret, hw.instret);
    assert.deepEqual(te.x, hw.x);
    assert.deepEqual(te.csrs, hw.csrs);
    assert.deepEqual([bt.stop, bt.uart, bt.instret, bt.x, bt.csrs], [te.stop, te.uart, te.instret, te.x, te.csrs]);
    const reasons = (r: typeof te) => new Map(r.target.stats().byReason.map((x) => [x.reason, x.count]));
    assert.ok((reasons(hw).get("sbi-call") ?? 0) > 0);
    assert.equal(reasons(hw).get("sbi-call"), reasons(te).get("sbi-call"));
    assert.equal(reasons(hw).get("hidden-page-fault"), undefined, "no shadow tables under hardware assistance");
  });
});

/**
 * The QEMU lockstep tests' random streams (test/oracle/random_stream.ts), generated and built here
 * from fixed seeds. They are longer than the oracle's (600), so the two suites never write the same
 * ELF in build/guests/random when they run at once.
 */
const RANDOM_SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
const RANDOM_LENGTH = 2000;
/** The F/D streams (test/oracle/random_fp_stream.ts): FP state lives on the host hart under every technique. */
const RANDOM_FP_SEEDS = Array.from({ length: 4 }, (_, i) => i + 1);

describe("equivalence: random instruction streams", () => {
  for (const fp of [false, true]) {
    const seeds = fp ? RANDOM_FP_SEEDS : RANDOM_SEEDS;
    it(`${seeds.length} seeded ${fp ? "F/D " : ""}streams of ${RANDOM_LENGTH} instructions end the same natively and under each VMM technique`, () => {
      let compared = 0;
      for (const seed of seeds) {
        const elf = buildRandomGuest(seed, RANDOM_LENGTH, fp);
        const program = loadGuest(elf);
        for (const technique of VMM_TECHNIQUES) {
          const { native, vm } = assertEquivalent(elf, program, { technique });
          assert.deepEqual(native.stop, { kind: "halt", code: 0, how: "finisher" }, `seed ${seed}: the stream ran to its end and passed`);
          assert.ok(vm.target.stats().exits > 0, `seed ${seed}: the guest ran under ${technique}, with exits`);
          compared++;
        }
      }
      assert.equal(compared, seeds.length * VMM_TECHNIQUES.length);
    });
  }
});

describe("stepping under hardware assistance", () => {
  it("counts a trap the hart delivers to VS-mode as one step, as trap-and-emulate counts its injected ones", () => {
    const p = loadGuest(join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S"));
    const steps = (technique: "trap-and-emulate" | "hardware-assisted") => {
      const vm = makeVm({ technique, boot: "supervisor" });
      vm.load(p);
      let n = 0;
      while (vm.step().kind === "budget") n++;
      return { n, instret: vm.instret };
    };
    const te = steps("trap-and-emulate"), hw = steps("hardware-assisted");
    assert.equal(hw.instret, te.instret);
    assert.equal(hw.n, te.n, "the two timer interrupts are steps under both");
    assert.ok(hw.n > Number(hw.instret), "traps count as steps beside the instructions");
  });
});

/**
 * S-mode under Sv39 whose root table shares its page with a 4-byte PMP hole (an NA4 entry with no
 * access, above an entry that grants everything). The walk for 0x80000000 reads root[2], which the
 * PMP allows; the walk for 0xc0000000 reads root[3], which overlaps the hole: a load access fault
 * natively, with mtval the virtual address. The M-mode handler keeps mcause and mtval in s2 and s3.
 */
const PT_HOLE_GUEST = `
        .option norelax
        .option norvc
        .text
        .globl _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        la      t0, root
        addi    t0, t0, 24              # root[3]: entry 0, NA4, no access
        srli    t0, t0, 2
        csrw    pmpaddr0, t0
        li      t0, -1                  # entry 1: NAPOT over everything, RWX
        csrw    pmpaddr1, t0
        li      t0, (0x1f << 8) | 0x10
        csrw    pmpcfg0, t0
        la      s0, root
        li      t1, (0x80000000 >> 12) << 10 | 0xcf
        sd      t1, 16(s0)              # root[2]: RAM gigapage, RWX A D
        li      t1, 0xc7
        sd      t1, 0(s0)               # root[0]: devices, RW A D
        srli    t0, s0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        li      t0, 1 << 11
        csrs    mstatus, t0             # MPP = S
        la      t0, s_main
        csrw    mepc, t0
        mret
s_main:
        la      a0, counter
        ld      a1, 0(a0)
        addi    a1, a1, 1
        sd      a1, 0(a0)
        li      a2, 0xc0000000
        ld      a3, 0(a2)               # the walk reads root[3], in the hole
        ecall
        .align  2
m_trap:
        csrr    t0, mcause
        li      t1, 9
        beq     t0, t1, done
        csrr    s2, mcause
        csrr    s3, mtval
        csrr    t0, mepc
        addi    t0, t0, 4
        csrw    mepc, t0
        mret
done:
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
        .data
        .balign 4096
root:   .space  4096
counter: .dword 41
`;

describe("hardware assistance and the guest's PMP", () => {
  it("a page table in a page the guest's PMP covers in part: walks through it are checked as natively", () => {
    const { native, vm } = assertEquivalent("pt_hole.S", asmGuest(PT_HOLE_GUEST, "pt_hole.S"), { technique: "hardware-assisted" });
    assert.equal(native.x[18], 5n, "natively, a load access fault");
    assert.equal(native.x[19], 0xc0000000n, "at the virtual address");
    const reasons = new Map(vm.target.stats().byReason.map((r) => [r.reason, r.count]));
    assert.ok((reasons.get("guest-page-fault") ?? 0) > 0, "the G stage left the root table's page out");
  });

  it("the G stage grants a page what the guest's PMP grants all of it, and nothing where it grants part", () => {
    const vm = makeVm({ technique: "hardware-assisted" });
    vm.load(asmGuest(PT_HOLE_GUEST, "pt_hole.S"));
    while (vm.run(1000).kind === "budget");
    const root = Number(asmGuest(PT_HOLE_GUEST, "pt_hole.S").symbols.find((s) => s.name === "root")!.address);
    const g = (vm.technique as HardwareAssisted).gStage;
    assert.equal(gStageLeaf(vm.board.hart, g.hgatp, root), undefined, "the root's page: the PMP hole covers part of it");
    const leaf = gStageLeaf(vm.board.hart, g.hgatp, root + 4096);
    assert.ok(leaf && (leaf.pte & 0xen) === 0xen, "the next page: R, W and X");
  });
});
