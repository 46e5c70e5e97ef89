import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PTE_R, PTE_W, ShadowMmu, type ShadowRoot } from "../../../src/hypervisor/mm/shadow_paging";
import { Ram } from "../../../src/machine/memory";

/**
 * The shadow MMU's bookkeeping of which guest PTEs each entry's walk read, which entries are stale
 * and which map a page writable (shadow_paging.ts keeps them as lists each entry knows its place
 * in): what the guest's page-table stores stale, what sfence.vma drops, and which guest pages stay
 * write-protected, through installs, replacements, removals and fences.
 */
const RAM = 0x8000_0000;
const ROOT_TABLE = 0x8010_0000, L1 = 0x8010_1000, L0 = 0x8010_2000;
const DATA = 0x8020_0000 / 4096;
const page = (gpa: number) => Math.floor(gpa / 4096);
/** The three PTEs a walk of VA page 0x40000 + i reads in the tables above. */
const walk = (i: number) => [ROOT_TABLE + 8, L1, L0 + 8 * i];

function mmu(): { shadow: ShadowMmu; root: ShadowRoot; flushes: [number, number][] } {
  const flushes: [number, number][] = [];
  const shadow = new ShadowMmu(new Ram(RAM, 4 << 20), RAM, 64, 4, { flush: (vpn, asid) => void flushes.push([vpn, asid]) });
  const root = shadow.rootFor({ kind: "sv39", guestRoot: ROOT_TABLE, guestAsid: 0, priv: 1, sum: false, mxr: false });
  return { shadow, root, flushes };
}

function install(shadow: ShadowMmu, root: ShadowRoot, i: number, slots = walk(i), gpaPage = DATA + i) {
  return shadow.install(root, 0x40000 + i, gpaPage, gpaPage, PTE_R | PTE_W, slots, 0, false);
}

describe("shadow MMU bookkeeping", () => {
  it("a store to a leaf PTE stales the one entry that read it; to a shared upper PTE, every entry below it, each once", () => {
    const { shadow, root } = mmu();
    for (let i = 0; i < 4; i++) install(shadow, root, i);
    assert.equal(shadow.guestPteWritten(L0 + 8 * 2, 8), 1);
    assert.equal(shadow.entry(root, 0x40002)!.stale, true);
    assert.equal(shadow.guestPteWritten(L1, 8), 3, "the entry already stale is not counted again");
    assert.equal(shadow.staleCount, 4);
    assert.equal(shadow.guestPteWritten(L0 + 8 * 9, 8), 0, "a PTE no walk read");
  });

  it("sfence.vma drops the stale entries it selects, keeps the others, and the tables stop being write-protected with the last walk through them", () => {
    const { shadow, root } = mmu();
    for (let i = 0; i < 3; i++) install(shadow, root, i);
    for (const gpa of [ROOT_TABLE, L1, L0]) assert.equal(shadow.isPageTable(page(gpa)), true);
    shadow.guestPteWritten(L0 + 8, 8);
    shadow.guestPteWritten(L0 + 16, 8);
    assert.equal(shadow.sfence(0x40001, -1), 1);
    assert.equal(shadow.entry(root, 0x40001), undefined);
    assert.equal(shadow.entry(root, 0x40002)!.stale, true, "not selected: still there, still stale");
    assert.equal(shadow.staleCount, 1);
    assert.equal(shadow.sfence(-1, -1), 1);
    assert.equal(shadow.staleCount, 0);
    assert.equal(shadow.entry(root, 0x40000)!.stale, false, "never stale: kept by every fence");
    assert.equal(shadow.guestPteWritten(L0 + 8, 8), 0, "the dropped entry no longer reads its PTE");
    shadow.remove(shadow.entry(root, 0x40000)!);
    for (const gpa of [ROOT_TABLE, L1, L0]) assert.equal(shadow.isPageTable(page(gpa)), false);
    assert.equal(shadow.stats().writeProtectedPages, 0);
  });

  it("a walk that reads one PTE twice (a table that maps itself) counts it twice, and its entry's removal releases both", () => {
    const { shadow, root } = mmu();
    const e = install(shadow, root, 0, [ROOT_TABLE, ROOT_TABLE, L0]);
    install(shadow, root, 1, [ROOT_TABLE + 8, L1, L0 + 8]);
    assert.equal(shadow.guestPteWritten(ROOT_TABLE, 8), 1);
    shadow.remove(e);
    assert.equal(shadow.staleCount, 0);
    assert.equal(shadow.isPageTable(page(ROOT_TABLE)), true, "the other entry's walk still reads the root table");
    assert.equal(shadow.guestPteWritten(ROOT_TABLE, 8), 0);
    shadow.remove(shadow.entry(root, 0x40001)!);
    assert.equal(shadow.isPageTable(page(ROOT_TABLE)), false);
  });

  it("an entry that maps a page writable loses W when a walk first reads a PTE in that page, and a replaced entry leaves every list", () => {
    const { shadow, root, flushes } = mmu();
    const writable = install(shadow, root, 0, walk(0), page(L0) + 16);
    assert.equal(writable.w, true);
    install(shadow, root, 1, [ROOT_TABLE + 8, L1, (page(L0) + 16) * 4096]);
    assert.equal(writable.w, false, "its page became a page-table page");
    assert.ok(flushes.some(([vpn]) => vpn === 0x40000), "the host TLB forgets its old translation");
    assert.equal(install(shadow, root, 2, walk(2), page(L0) + 16).w, false, "a later entry for that page is read-only from the start");
    const replaced = install(shadow, root, 1, walk(1));
    assert.equal(shadow.entry(root, 0x40001), replaced);
    assert.equal(shadow.isPageTable(page(L0) + 16), false, "the replaced walk no longer holds that page");
    assert.equal(shadow.guestPteWritten((page(L0) + 16) * 4096, 8), 0);
    shadow.guestPteWritten(L0 + 8, 8);
    assert.equal(shadow.sfence(-1, -1), 1, "only the replacement is stale and fenced");
    assert.equal(shadow.stats().entries, 2);
  });
});
