import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asmGuest, assertEquivalent } from "./equivalence";

/**
 * A page-table walk whose PTE is not in RAM (satp's root points at nothing, or at the UART) raises the
 * access fault of the original access (privileged spec 4.3.2, step 2: a PTE read that violates a PMA),
 * natively and under each VMM technique. QEMU 7.2 raises a page fault there (test/oracle/lockstep.ts).
 * M-mode with MPRV and MPP = S makes the walks, so the code itself is never translated.
 */
const guest = (root: number) => `
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
        li      t0, ${root >>> 12}
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        li      t0, 1 << 11
        csrs    mstatus, t0
        li      t0, 1 << 17
        csrs    mstatus, t0
        li      t4, 0x1000
        ld      a0, 0(t4)
        mv      s2, s10
        li      t0, 1 << 11             # the trap's mret left MPP = U
        csrs    mstatus, t0
        sd      a0, 8(t4)
        mv      s3, s10
        li      t0, 1 << 17
        csrc    mstatus, t0
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
m_trap:
        csrr    s10, mcause
        csrr    t6, mepc
        addi    t6, t6, 4
        csrw    mepc, t6
        mret
`;

describe("a page-table walk that reads outside RAM", () => {
  for (const [what, root] of [["nothing", 0x0800_0000], ["the UART", 0x1000_0000]] as const) {
    for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
      it(`raises a load and a store access fault (PTE at ${what}), natively and under ${technique}`, () => {
        const { native } = assertEquivalent("walk.S", asmGuest(guest(root), "walk.S"), { technique });
        assert.equal(native.stop.kind, "halt");
        assert.equal(native.x[18], 5n, "load access fault");
        assert.equal(native.x[19], 7n, "store access fault");
      });
    }
  }
});
