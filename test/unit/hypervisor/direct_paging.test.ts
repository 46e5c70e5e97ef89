import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { DirectPaging, type Refusal } from "../../../src/hypervisor/mm/direct_paging";
import { PT_POOL_FRAMES, PV_ERR } from "../../../src/hypervisor/pv/abi";

// Host RAM of 8 MiB at 0x8000_0000: the VMM's first 2 MiB, then 4 MiB of guest frames, then 2 MiB more of the VMM's.
const RAM_BASE = 0x8000_0000;
const FIRST = RAM_BASE / 4096 + 512;
const PAGES = 1024;
const V = 1n, R = 2n, W = 4n;
const leaf = (mfn: number, flags = V | R | W) => (BigInt(mfn) << 10n) | flags;
const table = (mfn: number) => (BigInt(mfn) << 10n) | V;

describe("direct paging: the VMM validates every page-table write of a paravirtual guest", () => {
  let p: DirectPaging;
  let view: DataView;
  let root: number, l1: number, l0: number, pool: number;
  const writes: number[] = [];
  const refused = (r: unknown, code: number, why: RegExp) => {
    assert.ok(r && typeof r === "object" && "code" in r, `refused: ${JSON.stringify(r, (_, v) => (typeof v === "bigint" ? v.toString(16) : v))}`);
    assert.equal((r as Refusal).code, code);
    assert.match((r as Refusal).why, why);
  };

  beforeEach(() => {
    view = new DataView(new ArrayBuffer(8 << 20));
    p = new DirectPaging(view, RAM_BASE, FIRST, PAGES, (hpa) => writes.push(hpa));
    const layout = p.boot(0x8000_0000);
    root = FIRST + layout.rootPfn;
    l1 = root + 1;
    l0 = root + 2;
    pool = FIRST + layout.poolPfn;
  });

  it("boots with the three boot tables pinned and the spare frames typed, none of them writable", () => {
    assert.deepEqual([p.tables.get(root), p.tables.get(l1), p.tables.get(l0)], [2, 1, 0]);
    for (let f = 0; f < PT_POOL_FRAMES; f++) assert.equal(p.tables.get(pool + f), -1);
    for (let j = 0; j < 512; j++) {
      const pte = p.read(l0 * 4096 + j * 8);
      const mfn = Number(pte >> 10n);
      assert.equal((pte & W) !== 0n, !p.tables.has(mfn), `frame 0x${mfn.toString(16)}`);
    }
    assert.ok(writes.length > 0, "the VMM's writes are reported (decoded code there must go)");
  });

  it("writes a valid 4 KiB leaf, a read-only mapping of a page table, and an invalid entry", () => {
    const ok = p.update(l0 * 4096 + 8, leaf(FIRST + 7));
    assert.ok("after" in ok);
    assert.equal(p.read(l0 * 4096 + 8), leaf(FIRST + 7));
    assert.ok("after" in p.update(l0 * 4096 + 16, leaf(root, V | R)));
    assert.ok("after" in p.update(l0 * 4096 + 24, 0x12345678_0000n));
  });

  it("refuses a ptr that is not 8-byte aligned (EINVAL)", () => refused(p.update(l0 * 4096 + 4, 0n), PV_ERR.EINVAL, /not 8-byte aligned/));
  it("refuses a ptr outside a pinned table, even in a spare frame (EINVAL)", () => {
    refused(p.update((FIRST + 3) * 4096, leaf(FIRST)), PV_ERR.EINVAL, /not in a pinned page table/);
    refused(p.update(pool * 4096, leaf(FIRST)), PV_ERR.EINVAL, /not in a pinned page table/);
  });
  it("refuses reserved bits and W without R (EINVAL)", () => {
    refused(p.update(l0 * 4096, leaf(FIRST) | (1n << 60n)), PV_ERR.EINVAL, /reserved/);
    refused(p.update(l0 * 4096, leaf(FIRST, V | W)), PV_ERR.EINVAL, /W without R/);
  });
  it("refuses a pointer in a level-0 table, and one to a frame that is not a table one level down (EINVAL)", () => {
    refused(p.update(l0 * 4096, table(l0)), PV_ERR.EINVAL, /must be a leaf/);
    refused(p.update(root * 4096, table(FIRST + 9)), PV_ERR.EINVAL, /not a pinned level-1 table/);
    refused(p.update(root * 4096, table(l0)), PV_ERR.EINVAL, /not a pinned level-1 table/);
  });
  it("refuses a misaligned superpage (EINVAL)", () => refused(p.update(l1 * 4096 + 8, leaf(FIRST + 1)), PV_ERR.EINVAL, /512-frame aligned/));
  it("refuses a frame that is not the guest's own: the VMM's, below and above its RAM (EPERM)", () => {
    refused(p.update(l0 * 4096, leaf(FIRST - 1)), PV_ERR.EPERM, /not the guest's own/);
    refused(p.update(l0 * 4096, leaf(FIRST + PAGES, V | R)), PV_ERR.EPERM, /not the guest's own/);
    refused(p.update(root * 4096 + 8, leaf(0, V | R)), PV_ERR.EPERM, /not the guest's own/);
    refused(p.update(l1 * 4096 + 8, leaf(FIRST + PAGES - 512 + 512)), PV_ERR.EPERM, /not the guest's own/);
  });
  it("refuses a writable mapping of a page-table frame, pinned or spare, by 4 KiB or 2 MiB leaf (EPERM)", () => {
    refused(p.update(l0 * 4096, leaf(root)), PV_ERR.EPERM, /page-table frame: it may be mapped read-only, never writable/);
    refused(p.update(l0 * 4096, leaf(pool + 3)), PV_ERR.EPERM, /\(spare\)/);
    refused(p.update(l1 * 4096 + 8, leaf(FIRST + 512)), PV_ERR.EPERM, /page-table frame/);
  });
  it("leaves the entry unchanged when it refuses", () => {
    const before = p.read(l0 * 4096);
    p.update(l0 * 4096, leaf(root));
    assert.equal(p.read(l0 * 4096), before);
  });

  it("pins a spare frame, then lets it be pointed at one level up", () => {
    assert.equal(p.pin(pool, 0), undefined);
    assert.ok("after" in p.update(l1 * 4096 + 8, table(pool)));
  });
  it("refuses to pin a frame mapped writable, not its own, already pinned, or holding an invalid entry", () => {
    refused(p.pin(FIRST + 5, 0), PV_ERR.EPERM, /mapped writable by the entry/);
    refused(p.pin(FIRST - 1, 0), PV_ERR.EPERM, /not the guest's own/);
    refused(p.pin(l0, 0), PV_ERR.EINVAL, /already a pinned level-0 table/);
    refused(p.pin(pool, 3), PV_ERR.EINVAL, /level 3/);
    // A frame no table maps writable, holding a PTE to the VMM's memory (written before it was protected).
    view.setBigUint64((pool + 1) * 4096 + 16 - RAM_BASE, leaf(FIRST - 1), true);
    refused(p.pin(pool + 1, 0), PV_ERR.EPERM, /entry 2: frame 0x[0-9a-f]+ is not the guest's own/);
    assert.equal(p.tables.get(pool + 1), -1, "still a spare frame");
  });
  it("refuses to unpin the root in use and a table something points at (EBUSY)", () => {
    refused(p.unpin(root, root), PV_ERR.EBUSY, /root in use/);
    refused(p.unpin(l1, root), PV_ERR.EBUSY, /points at it/);
    refused(p.unpin(FIRST + 5, root), PV_ERR.EINVAL, /not a pinned table/);
  });
});
