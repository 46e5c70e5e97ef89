import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, asmGuest, assertEquivalent, loadGuest, runNative, runVm } from "./equivalence";
import { HOSTILE } from "./small_guests";


describe("guest/VMM separation", () => {
  it("a hostile guest gets exactly its native faults and never reaches host memory outside its RAM", () => {
    const p = asmGuest(HOSTILE, "hostile.S");
    const native = runNative(p, 1 << 20);
    const vm = runVm(p, { memoryBytes: 1 << 20 });
    assert.equal(vm.stop.kind, "halt");
    assert.equal(vm.x[9], 6n, "six faults");
    assert.equal(vm.x[18], 0x5757dfn, "access faults outside RAM, then page faults from the misaligned gigapage, in order");
    assert.deepEqual(vm.x, native.x);
    const t = vm.target;
    const pool = t.vm.shadow;
    // Host RAM below guest RAM is the VMM's: no shadow entry of any root maps it.
    for (const root of pool.allRoots()) {
      for (const e of root.entries.values()) {
        assert.ok(!pool.inPool(e.hpaPage * 4096), `root ${root.key} maps a pool page`);
        assert.ok(t.vm.p2m.toGpa(e.hpaPage * 4096) >= 0, "every shadow leaf points into guest RAM");
      }
    }
    // The guest's stores to 0x8010_0000 did not land in the host RAM that follows guest RAM... there is none to land in:
    assert.equal(t.readMemory("gpa", 0x8010_0000n, 8), null);
  });

  it("the shadow-paging lesson: hidden faults, page-table writes, stale entries dropped by sfence.vma, cached roots", () => {
    const { vm } = assertEquivalent(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S"));
    assert.match(vm.uart, /no sfence.vma yet: A\nafter sfence.vma: C/);
    const t = vm.target;
    const pt = t.exits({ reasons: ["guest-pt-write"] }).exits;
    assert.equal(pt.length, 1);
    assert.equal(pt[0].details.invalidated, 1);
    const fence = t.exits({ reasons: ["sfence"] }).exits;
    assert.equal(fence.at(-1)!.details.invalidated, 1);
    assert.ok(t.exits({ reasons: ["hidden-page-fault"] }).total > 4);
    const roots = t.vm.shadow.allRoots().map((r) => r.key);
    assert.ok(roots.some((k) => k.includes("asid=1 S")) && roots.some((k) => k.includes("asid=2 S")), roots.join(", "));
    const w = t.shadowWalk(0x8000_0000n);
    assert.equal(w.context, "bare M", "the run ended in virtual M-mode");
    assert.equal(w.consistent, true);
    const tables = t.pageTableTrees(4096);
    const guest = tables.trees.find((tree) => tree.kind === "guest");
    assert.ok(guest && guest.root.entries.length >= 3);
    assert.ok(tables.writeProtected.length >= 3, "the guest's table pages are write-protected");
  });

  it("evicts the least recently used shadow root beyond the bound", () => {
    const vm = runVm(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")), { maxShadowRoots: 2 });
    assert.match(vm.uart, /after sfence.vma: C/);
    assert.ok(vm.target.stats().shadow.evictions > 0);
    assert.ok(vm.target.stats().shadow.roots <= 2);
  });
});

describe("the Popek–Goldberg option", () => {
  const PG = join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S");
  it("is equivalent without it", () => {
    assert.match(assertEquivalent(PG).vm.uart, /reads 1/);
  });
  it("with a non-trapping sstatus read, the guest silently diverges from native, and no exit records it", () => {
    const p = loadGuest(PG);
    const native = runNative(p);
    const plain = runVm(p);
    const pg = runVm(p, { nonTrappingSensitive: ["sstatus-read"] });
    assert.match(native.uart, /sstatus.SIE reads 1/);
    assert.match(pg.uart, /sstatus.SIE reads 0\?!/);
    assert.notEqual(pg.uart, native.uart);
    assert.equal(pg.stop.kind, "halt", "no crash, no error: a silent difference");
    const reads = (r: typeof pg) => r.target.exits({ reasons: ["csr-read"] }).exits.filter((e) => e.details.csr === "sstatus").length;
    assert.equal(reads(plain), 1);
    assert.equal(reads(pg), 0, "the VMM never saw the read");
  });
  it("binary translation fixes it: the translator rewrites the non-trapping read into an inline read of the virtual sstatus", () => {
    const p = loadGuest(PG);
    const native = runNative(p);
    const bt = runVm(p, { technique: "binary-translation", nonTrappingSensitive: ["sstatus-read", "sstatus-write"] });
    assert.equal(bt.uart, native.uart);
    assert.equal(bt.instret, native.instret);
    assert.deepEqual(bt.x, native.x);
    const callouts = bt.target.exits({ reasons: ["bt-callout"] }).exits.filter((e) => e.details.csr === "sstatus");
    assert.deepEqual(callouts, [], "the SIE write (it unmasks nothing pending) and the read run inline");
    const CSRSI_SSTATUS_SIE = 0x10016073, CSRR_S0_SSTATUS = 0x10002473;
    const rows = bt.target.tcBlocks().flatMap((b) => b.rows).filter((r) => r.guest?.bits === CSRSI_SSTATUS_SIE || r.guest?.bits === CSRR_S0_SSTATUS);
    assert.deepEqual(rows.map((r) => r.how), ["csr", "csr"], "both on the vCPU's virtual sstatus, with no exit");
    assert.ok(bt.target.stats().tc!.inlineCsr >= 2);
    assert.equal(bt.target.exits({ reasons: ["csr-read", "csr-write"] }).total, 0, "no CSR access of the kernel trapped");
  });
});
