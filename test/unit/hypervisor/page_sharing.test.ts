import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VmOptionsError } from "../../../src/hypervisor/vm";
import { sharingCommand } from "../../../src/debug/repl_vmm";
import { VmTarget } from "../../../src/target/vm_target";
import { asmGuest, assertEquivalent, makeVm } from "./equivalence";

/**
 * In S-mode (so that hardware assistance runs it in VS-mode, through the G stage), the guest fills
 * 8 pages with one pattern and 8 with zeros, spins long enough for the VMM to scan them all, then
 * stores one different word into each page and sums all 16 pages into a0.
 */
const TWINS = asmGuest(`
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
        li      t0, 0x1800
        csrc    mstatus, t0
        li      t0, 0x800               # MPP = S
        csrs    mstatus, t0
        la      t0, s_mode
        csrw    mepc, t0
        mret
s_mode:
        li      s0, 0x80100000          # 16 pages from here
        mv      t0, s0
        li      s1, 16
1:      li      t2, 0
2:      slli    t3, t2, 3
        add     t4, t0, t3
        li      t5, 3
        mul     t6, t2, t5
        li      t5, 8
        blt     s1, t5, 3f              # the last 8 pages stay zero
        sd      t6, 0(t4)
        j       4f
3:      sd      zero, 0(t4)
4:      addi    t2, t2, 1
        li      t5, 512
        blt     t2, t5, 2b
        li      t5, 4096
        add     t0, t0, t5
        addi    s1, s1, -1
        bnez    s1, 1b
        li      t0, 40000
5:      addi    t0, t0, -1
        bnez    t0, 5b
        .globl  shared_now
shared_now:
        mv      t0, s0
        li      s1, 16
6:      sd      s1, 8(t0)
        li      t5, 4096
        add     t0, t0, t5
        addi    s1, s1, -1
        bnez    s1, 6b
        li      a0, 0
        mv      t0, s0
        li      t1, 16 * 512
7:      ld      t2, 0(t0)
        slli    t3, a0, 1
        srli    a0, a0, 63
        or      a0, a0, t3
        xor     a0, a0, t2
        addi    t0, t0, 8
        addi    t1, t1, -1
        bnez    t1, 7b
        ecall
m_trap:
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
        j       m_trap
`, "twins.S");

const SHARING = { scanPagesPerTick: 64 };

describe("content-based page sharing", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`shares identical pages copy-on-write under ${technique}, and the guest ends exactly as natively`, () => {
      // Host memory for the pools and 1 MiB: only the pages the guest touches are backed (else all of its zero pages would share too).
      const probe = makeVm({ technique });
      const opts = { technique, pageSharing: SHARING, hostMemoryBytes: probe.board.ram.size - probe.guestRamSize + (1 << 20) };
      const vm = makeVm(opts);
      vm.load(TWINS);
      const at = TWINS.symbols.find((s) => s.name === "shared_now")!.address;
      vm.board.hart.breakpoints.add(at);
      assert.deepEqual(vm.run(1_000_000), { kind: "breakpoint", pc: at });
      // 8 pattern pages on one frame, 8 zero pages on another: 14 frames saved.
      const mid = vm.sharing!.stats();
      assert.deepEqual([mid.pagesShared, mid.sharedFrames, mid.bytesSaved], [16, 2, 14 * 4096]);
      assert.equal(vm.hostFrames.census().shared, 2);
      const target = new VmTarget(vm, technique, TWINS.symbols);
      const said = sharingCommand({ target } as unknown as Parameters<typeof sharingCommand>[0]).split("\n");
      const f = vm.hostFrames.census();
      assert.deepEqual(said, [
        `host frames: ${f.guest} guest, 2 shared, ${f["shadow-pool"] + f["technique-pool"]} the VMM's pools, ${f.free} free`,
        `guest pages: ${vm.p2m.backedPages} of 4096 backed`,
        `page sharing: 64 pages scanned per 10,000 guest steps, ${mid.scanned} hashed so far`,
        "16 guest pages share 2 host frames: 56 KiB saved",
        `${mid.copies} copy-on-write breaks`,
      ]);
      vm.board.hart.breakpoints.clear();
      assert.equal(vm.run(1_000_000).kind, "halt");
      const end = vm.sharing!.stats();
      assert.deepEqual([end.pagesShared, end.sharedFrames, end.copies - mid.copies], [0, 0, 16], "every store broke its page's share");
      const breaks = vm.log.query({ reasons: ["cow-break"], count: 1000 }).exits;
      assert.equal(breaks.length, end.copies, "each a cow-break exit: only the guest wrote");
      assert.equal(breaks[0].cycles, 1500, "a page fault's cost");
      assert.equal(vm.hostFrames.census().shared, 0);

      assertEquivalent("twins.S", TWINS, opts);
    });
  }

  it("scans at the same guest steps however the run is sliced", () => {
    const whole = makeVm({ pageSharing: SHARING });
    whole.load(TWINS);
    whole.run(35_000);
    const sliced = makeVm({ pageSharing: SHARING });
    sliced.load(TWINS);
    for (let i = 0; i < 35; i++) sliced.run(1000);
    assert.deepEqual(sliced.sharing!.stats(), whole.sharing!.stats());
    assert.ok(whole.sharing!.stats().pagesShared > 0);
  });

  it("is refused where the technique cannot keep shared pages read-only", () => {
    assert.throws(() => makeVm({ technique: "binary-translation", pageSharing: SHARING }), (e: Error) => e instanceof VmOptionsError && /pageSharing needs trap-and-emulate or hardware-assisted/.test(e.message));
    assert.throws(() => makeVm({ pageSharing: { scanPagesPerTick: 0 } }), /scanPagesPerTick must be a whole number of pages, 1 or more, not 0/);
  });
});
