import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GStageError, GStageTable } from "../../../src/hypervisor/mm/g_stage";
import type { Hart } from "../../../src/machine/hart/hart";
import { walkGuestAccess } from "../../../src/machine/hart/mmu";
import { Ram } from "../../../src/machine/memory";
import { createVirtBoard } from "../../../src/machine/virt";
import { readPageTable } from "../../../src/target/inspect";
import { gStageLeaf } from "./g_stage_leaf";

const MiB = 1 << 20;
const BASE = 0x8000_0000;
/** The G-stage table as the panels read it: at most `limit` valid entries. */
function tree(ram: Ram, g: GStageTable, limit: number) {
  return readPageTable(BigInt(g.rootHpa), "sv39x4", (a) => (g.inPool(Number(a)) ? ram.view.getBigUint64(Number(a) - ram.base, true) : undefined), limit);
}

/** PMP entry 0 grants all of memory (TOR up to 2^56), so walks from VS-mode reach the table. */
function grantAll(hart: Hart): void {
  hart.writeCsr(0x3b0, (1n << 54n) - 1n);
  hart.writeCsr(0x3a0, 0x1fn);
}

/**
 * A G-stage table in the RAM of a hart with the H extension, which walks it as the hardware would:
 * its pool starts 4 KiB past a 16 KiB boundary, and the host memory behind guest RAM follows.
 */
function setup(poolPages = 64, vmid = 3) {
  const board = createVirtBoard({ memoryBytes: 16 * MiB, hypervisorExtension: true });
  grantAll(board.hart);
  const g = new GStageTable(board.ram, BASE + 0x1000, poolPages, vmid);
  const leaf = (gpa: number) => gStageLeaf(board.hart, g.hgatp, gpa);
  return { ram: board.ram, g, leaf };
}
const NONE = { r: false, w: false, x: false };
const GUEST = { gpa: 0x8000_0000, hpa: BASE + 4 * MiB, size: 2 * MiB };

describe("G-stage table (Sv39x4)", () => {
  it("has a 16 KiB-aligned root inside its pool and an hgatp of mode 8, the VMID and the root's PPN", () => {
    const { g } = setup();
    assert.equal(g.rootHpa % 0x4000, 0);
    assert.equal(g.rootHpa, BASE + 0x4000, "the first 16 KiB boundary at or above the pool's start");
    assert.ok(g.inPool(g.rootHpa + 0x3ff8));
    assert.equal(g.hgatp, (8n << 60n) | (3n << 44n) | BigInt(g.rootHpa / 4096));
    assert.throws(() => new GStageTable(new Ram(BASE, 64 * 1024), BASE + 0x1000, 4), GStageError, "4 pages from an unaligned start hold no aligned root");
    assert.throws(() => new GStageTable(new Ram(BASE, MiB), BASE, 16, 1 << 14), /VMID has 14 bits/);
  });

  it("builds the table it already is without writing it again, and afresh once a page was protected", () => {
    const { ram, g, leaf } = setup();
    g.build([GUEST]);
    const slot = leaf(GUEST.gpa)!.pteHpa;
    ram.view.setBigUint64(slot - BASE, 0n, true); // a mark: a rebuild would restore the leaf
    g.build([GUEST]);
    assert.equal(leaf(GUEST.gpa), undefined, "the same ranges: nothing written");
    g.build([{ ...GUEST, size: MiB }]);
    assert.ok(leaf(GUEST.gpa), "other ranges: built afresh");
    assert.equal(leaf(GUEST.gpa + MiB), undefined);
    g.protect(GUEST.gpa, { r: true, w: false, x: false });
    g.build([{ ...GUEST, size: MiB }]);
    assert.equal(Number(leaf(GUEST.gpa)!.pte & 0xen), 0xe, "after a protect, the same ranges are built again");
  });

  it("maps guest RAM with 4 KiB leaves that carry U, R, W, X, A and D, and leaves MMIO unmapped", () => {
    const { ram, g, leaf } = setup();
    g.build([GUEST]);
    const hit = leaf(0x8000_0123 + 5 * 4096);
    assert.deepEqual(hit && { hpa: hit.hpa, level: hit.level, flags: Number(hit.pte & 0xffn) }, { hpa: GUEST.hpa + 5 * 4096 + 0x123, level: 0, flags: 0xdf });
    assert.equal(leaf(GUEST.gpa + GUEST.size), undefined, "the first byte past guest RAM");
    assert.equal(leaf(0x1000_0000), undefined, "the UART stays unmapped: an access is a guest-page fault");
    assert.equal(leaf(2 ** 41), undefined, "beyond 41 bits");
    assert.deepEqual(g.stats(), { pagesInUse: 4 + 2, poolPages: 64, leaves: 512 });

    const t = tree(ram, g, 1 << 16);
    assert.equal(t.root.addr, BigInt(g.rootHpa));
    assert.deepEqual(t.root.entries.map((e) => e.index), [2], "GPA 0x8000_0000 is root index 2");
    const l0 = t.root.entries[0].next!.entries[0].next!;
    assert.equal(l0.entries.length, 512);
    assert.equal(t.truncated, false);
    assert.equal(tree(ram, g, 10).truncated, true);
  });

  it("indexes the root with GPA bits 40:30, so addresses above 512 GiB use entries 512..2047", () => {
    const { ram, g, leaf } = setup();
    const high = 1500 * 2 ** 30;
    g.build([{ gpa: high, hpa: GUEST.hpa, size: 2 * MiB }], "2M");
    assert.equal(leaf(high + 0x1234)?.hpa, GUEST.hpa + 0x1234);
    const t = tree(ram, g, 100);
    assert.deepEqual(t.root.entries.map((e) => e.index), [1500]);
    assert.equal(t.root.entries[0].next!.entries[0].pte & 0xen, 0xen, "a 2 MiB leaf at level 1");
  });

  it("builds 2 MiB and 1 GiB leaves, and rejects misaligned, overlapping or out-of-range ranges", () => {
    const { g, leaf } = setup();
    g.build([GUEST], "2M");
    assert.equal(leaf(GUEST.gpa + MiB + 8)?.level, 1);
    assert.equal(leaf(GUEST.gpa + MiB + 8)?.hpa, GUEST.hpa + MiB + 8);
    assert.equal(g.stats().leaves, 1);
    g.build([{ gpa: 0x8000_0000, hpa: 0x4000_0000, size: 2 ** 30 }], "1G");
    assert.deepEqual(leaf(0x8765_4321) && { hpa: leaf(0x8765_4321)!.hpa, level: leaf(0x8765_4321)!.level }, { hpa: 0x4765_4321, level: 2 });
    assert.equal(g.stats().pagesInUse, 4, "a gigapage lives in the root");
    assert.throws(() => g.build([{ gpa: 0x8000_1000, hpa: GUEST.hpa, size: 2 * MiB }], "2M"), /not aligned to 2M pages/);
    assert.throws(() => g.build([GUEST, { ...GUEST, gpa: GUEST.gpa + MiB }]), /overlap/);
    assert.throws(() => g.build([{ gpa: 2 ** 41 - 4096, hpa: GUEST.hpa, size: 8192 }]), /41-bit/);
    const small = setup(8).g; // the root and 4 table pages: one L1 and 3 of the 4 L0 tables 8 MiB needs
    assert.throws(() => small.build([{ gpa: 0x8000_0000, hpa: GUEST.hpa, size: 8 * MiB }]), /pool \(8 pages\) is exhausted/);
  });

  it("rebuilding frees the old table pages", () => {
    const { g } = setup(8);
    for (let i = 0; i < 5; i++) g.build([GUEST]);
    assert.equal(g.stats().pagesInUse, 6);
  });

  it("protects and unmaps one 4 KiB guest page, splitting a superpage around it", () => {
    const { g, leaf } = setup();
    g.build([{ ...GUEST, size: 4 * MiB }], "2M");
    const page = GUEST.gpa + 0x3000;
    assert.equal(g.protect(page, { r: true, w: false, x: false }), true);
    const hit = leaf(page + 4)!;
    assert.deepEqual({ hpa: hit.hpa, level: hit.level, flags: Number(hit.pte & 0xffn) }, { hpa: GUEST.hpa + 0x3004, level: 0, flags: 0xd3 });
    assert.equal(leaf(page + 0x1000)?.hpa, GUEST.hpa + 0x4000, "the neighbours keep their mapping and rights");
    assert.equal(Number(leaf(page + 0x1000)!.pte & 0xffn), 0xdf);
    assert.equal(leaf(GUEST.gpa + 2 * MiB + 0x5000)?.level, 1, "the other 2 MiB page is untouched");
    assert.equal(g.protect(page + 0x1000, NONE), true, "no rights at all unmaps it (ballooning)");
    assert.equal(leaf(page + 0x1000), undefined);
    assert.equal(g.stats().leaves, 2 + 511 - 1, "two superpages, one split into 512, one of those unmapped");
    assert.equal(g.protect(page + 0x1000, NONE), false, "already unmapped");
    assert.equal(g.protect(0x1000_0000, NONE), false, "never mapped");
    assert.equal(g.protect(page, { r: false, w: true, x: false }), true);
    assert.equal(Number(leaf(page)!.pte & 0x0en), 0x6, "W without R is reserved: R stays");
  });

  it("is the table the hart's two-stage walk follows", () => {
    const board = createVirtBoard({ memoryBytes: 16 * MiB, hypervisorExtension: true });
    const g = new GStageTable(board.ram, BASE + 0x1000, 64, 3);
    g.build([GUEST]);
    const hart = board.hart;
    grantAll(hart);
    const w = walkGuestAccess(hart, 0x8000_5678n, "w", 1, { vsatp: 0n, hgatp: g.hgatp }).walk;
    assert.deepEqual([w.pa, w.steps.length], [GUEST.hpa + 0x5678, 3]);
    assert.equal(w.steps[0].pteAddr, g.rootHpa + 2 * 8, "the root entry of GPA 0x8000_0000..: index 2");
    const l0 = tree(board.ram, g, 1 << 16).root.entries[0].next!.entries[0].next!;
    assert.equal(w.steps.at(-1)?.pteAddr, Number(l0.addr) + 5 * 8, "the leaf the table holds for that page, as the panels read it");
    const mmio = walkGuestAccess(hart, 0x1000_0000n, "r", 1, { vsatp: 0n, hgatp: g.hgatp }).walk;
    assert.deepEqual([mmio.fault, mmio.stop?.why, mmio.steps.at(-1)?.gpaWalked], [21n, "invalid", 0x1000_0000]);
    assert.equal(hart.hgatp, 0n, "the hart's own hgatp is back");
  });
});
