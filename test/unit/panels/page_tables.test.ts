import { test } from "node:test";
import assert from "node:assert/strict";
import type { PageTablesBody, WireEntry, WireTable, WireTree } from "../../../src/debug/custom_requests";
import { buildTree, diffShadow, renderWindow, visibleRows, walkAddress, walkTree } from "../../../src/webview/model/page_tables";

const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const pte = (pa: bigint, flags: bigint) => `0x${(((pa >> 12n) << 10n) | flags).toString(16)}`;
const table = (addr: bigint, entries: WireEntry[]): WireTable => ({ addr: `0x${addr.toString(16)}`, entries });
const ptr = (index: number, next: WireTable): WireEntry => [index, pte(BigInt(next.addr), V), next];
const leaf = (index: number, pa: bigint, flags: bigint): WireEntry => [index, pte(pa, flags)];
const tree = (id: string, kind: WireTree["kind"], root: WireTable, mode: WireTree["mode"] = "sv39"): WireTree => ({
  id, kind, label: id, mode, input: kind === "gstage" ? "gpa" : "gva", output: kind === "guest" ? "gpa" : "hpa",
  tableSpace: kind === "guest" ? "gpa" : "hpa", active: true, truncated: false, root,
});

/** VA 0x4000_0000 + n·4 KiB, n = 0..5, through root[1] → l1[0] → l0[n]. */
function guestTree(): WireTree {
  return tree("guest", "guest", table(0x80010000n, [
    leaf(2, 0x80000000n, V | R | W | X | A | D),
    ptr(1, table(0x80011000n, [ptr(0, table(0x80012000n, [
      leaf(0, 0x80000000n, V | R | W | A | D),
      leaf(1, 0x80001000n, V | R | W | A | D),
      leaf(2, 0x80002000n, V | R | A),
      leaf(3, 0x80003000n, V | R | W | A),
      leaf(4, 0x80004000n, V | R | W | A | D),
    ]))])),
  ]));
}

function shadowTree(): WireTree {
  return tree("shadow:A", "shadow", table(0x90100000n, [ptr(1, table(0x90101000n, [ptr(0, table(0x90102000n, [
    leaf(0, 0x90000000n, V | R | W | U | A | D), // agrees: gpa 0x80000000 is hpa 0x90000000 (U: the guest kernel runs in host U-mode)
    leaf(1, 0x9000f000n, V | R | W | A | D), // stale: the guest now maps gpa 0x80001000
    leaf(3, 0x90003000n, V | R | A), // W held back until the guest's D bit is set
    leaf(4, 0x90004000n, V | R | A | D), // W removed: a guest page-table page
    leaf(5, 0x90005000n, V | R | A | D), // stale: the guest maps nothing there
  ]))]))]));
}

const body: Pick<PageTablesBody, "p2m" | "writeProtected"> = {
  p2m: [{ gpa: "0x80000000", hpa: "0x90000000", size: "0x8000000" }],
  writeProtected: ["0x80004000"],
};

test("buildTree decodes every entry: level, PTE address, flags, leaf, the range it maps and its target", () => {
  const t = buildTree(guestTree());
  assert.equal(t.size, 8);
  const giga = t.rows.find((r) => r.index === 2)!;
  assert.deepEqual([giga.level, giga.leaf, giga.start, giga.end, giga.target, giga.pteAddr], [2, true, 0x80000000n, 0xc0000000n, 0x80000000n, 0x80010010n]);
  const l0 = t.rows.find((r) => r.index === 1)!.children![0].children!;
  assert.equal(l0[3].key, "guest/1.0.3");
  assert.deepEqual([l0[3].start, l0[3].end, l0[3].flags, l0[3].pteAddr], [0x40003000n, 0x40004000n, Number(V | R | W | A), 0x80012018n]);
});

test("a run of leaves expands to one row per page, each a page further on", () => {
  const t = buildTree(tree("guest", "guest", table(0x1000n, [[3, pte(0x80000000n, V | R | W), 4], leaf(9, 0x90000000n, V | R)])));
  assert.deepEqual(t.rows.map((r) => [r.index, r.target, r.pteAddr, r.flags]), [
    [3, 0x80000000n, 0x1018n, 7], [4, 0x80001000n, 0x1020n, 7], [5, 0x80002000n, 0x1028n, 7], [6, 0x80003000n, 0x1030n, 7], [9, 0x90000000n, 0x1048n, 3],
  ].map(([i, t, a, f]) => [Number(i), t, a, Number(f)]));
  assert.equal(t.size, 5);
});

test("addresses at or above 2^38 are sign-extended, as Sv39 requires", () => {
  const t = buildTree(tree("guest", "guest", table(0x1000n, [leaf(256, 0x80000000n, V | R)])));
  assert.equal(t.rows[0].start, -(1n << 38n));
  assert.equal(walkTree(t, 0xffffffc000000123n).out, 0x80000123n);
  assert.match(walkTree(t, 0x0000004000000000n).fault ?? "", /outside sv39's 39-bit range/);
});

test("visibleRows descends into expanded rows only, and renderWindow bounds what goes into the DOM", () => {
  const t = buildTree(guestTree());
  assert.deepEqual(visibleRows(t.rows, new Set()).map((r) => r.key), ["guest/2", "guest/1"]);
  assert.deepEqual(visibleRows(t.rows, new Set(["guest/1", "guest/1.0"])).map((r) => r.key),
    ["guest/2", "guest/1", "guest/1.0", "guest/1.0.0", "guest/1.0.1", "guest/1.0.2", "guest/1.0.3", "guest/1.0.4"]);
  // A full level (512 rows of 22 px) in a 440 px viewport scrolled to row 100: rows 92..128 only.
  assert.deepEqual(renderWindow(512, 2200, 440, 22), { start: 92, end: 128 });
  assert.deepEqual(renderWindow(512, 0, 440, 22), { start: 0, end: 28 });
  assert.deepEqual(renderWindow(10, 0, 440, 22), { start: 0, end: 10 });
  assert.deepEqual(renderWindow(512, 1e9, 440, 22), { start: 512, end: 512 });
});

test("walkTree follows the index bits to a leaf, or says where it stops", () => {
  const t = buildTree(guestTree());
  const w = walkTree(t, 0x40001234n);
  assert.deepEqual(w.path.map((r) => r.key), ["guest/1", "guest/1.0", "guest/1.0.1"]);
  assert.equal(w.out, 0x80001234n);
  assert.equal(walkTree(t, 0x80000010n).out, 0x80000010n, "a gigapage");
  const miss = walkTree(t, 0x40009000n);
  assert.equal(miss.path.length, 2);
  assert.equal(miss.fault, "no valid entry at index 9 of level 0");
});

test("diffShadow marks missing, stale and permission differences, with the reason", () => {
  const guest = buildTree(guestTree());
  const shadow = buildTree(shadowTree());
  const d = diffShadow(guest, shadow, body);
  const status = (key: string) => d.rows.get(key)?.status;
  assert.equal(status("shadow:A/1.0.0"), "same");
  assert.equal(status("shadow:A/1.0.1"), "stale");
  assert.match(d.rows.get("shadow:A/1.0.1")!.note, /now maps it to gpa 0x80001000 = hpa 0x90001000/);
  assert.equal(status("shadow:A/1.0.3"), "permissions");
  assert.match(d.rows.get("shadow:A/1.0.3")!.note, /guest VRW---A-, shadow VR----A-: W held back until the guest's D bit is set/);
  assert.equal(status("shadow:A/1.0.4"), "permissions");
  assert.match(d.rows.get("shadow:A/1.0.4")!.note, /write-protected guest page-table page/);
  assert.equal(status("shadow:A/1.0.5"), "stale");
  assert.match(d.rows.get("shadow:A/1.0.5")!.note, /no longer maps/);
  assert.equal(status("guest/1.0.2"), "missing");
  assert.equal(status("guest/1.0.0"), "shadowed");
  assert.equal(status("guest/2"), "missing", "the gigapage was never touched");
  assert.deepEqual(d.counts, { missing: 2, shadowed: 4, same: 1, stale: 2, permissions: 2 });
  assert.deepEqual(d.below.get("guest/1"), { missing: 1, stale: 0, permissions: 0 });
  assert.deepEqual(d.below.get("shadow:A/1.0"), { missing: 0, stale: 2, permissions: 2 });
});

test("walkAddress: guest then shadow under shadow paging, with the p2m's host address", () => {
  const trees = [buildTree(guestTree()), buildTree(shadowTree())];
  const w = walkAddress(trees, body, 0x40000010n);
  assert.deepEqual(w.walks.map((x) => [x.tree, x.walk.out]), [["guest", 0x80000010n], ["shadow:A", 0x90000010n]]);
  assert.deepEqual(w.result, { space: "gpa", addr: 0x80000010n });
  assert.equal(w.hpa, 0x90000010n);
  assert.equal(w.references, 3, "the hart reads the shadow's PTEs only");
  assert.match(walkAddress(trees, body, 0x7000_0000n).fault ?? "", /^guest: no valid entry at index 384 of level 1/);
});

test("walkAddress: two stages, in the hardware's order: a G-stage walk before every guest PTE read, then one for the GPA", () => {
  // G stage (Sv39x4): gpa 0x8000_0000.. (root index 2) → hpa 0x1_4000_0000.., one 1 GiB leaf.
  const gstage = tree("gstage", "gstage", table(0x90200000n, [leaf(2, 0x140000000n, V | R | W | X | A | D | U), leaf(600, 0xc0000000n, V | R | U)]), "sv39x4");
  const trees = [buildTree(guestTree()), buildTree(gstage)];
  const w = walkAddress(trees, { p2m: [] }, 0x40000010n);
  assert.deepEqual(w.walks.map((x) => x.stage), ["G", "guest", "G", "guest", "G", "guest", "G"]);
  assert.deepEqual(w.walks.filter((x) => x.stage === "G").map((x) => x.walk.out), [0x140010008n, 0x140011000n, 0x140012000n, 0x140000010n]);
  assert.deepEqual(w.walks.filter((x) => x.stage === "guest").map((x) => x.walk.path.map((r) => r.key)), [["guest/1"], ["guest/1.0"], ["guest/1.0.0"]]);
  assert.match(w.walks[1].purpose, /^guest level-2 PTE at gpa 0x80010008 = hpa 0x140010008$/);
  assert.match(w.walks[0].purpose, /^G-stage walk of gpa 0x80010008 \(where the guest's level-2 PTE lives\)$/);
  assert.equal(w.gpa, 0x80000010n);
  assert.deepEqual(w.result, { space: "hpa", addr: 0x140000010n });
  assert.equal(w.references, 7, "4 G-stage walks of one level (gigapages) + 3 guest PTEs");
  assert.equal(walkTree(buildTree(gstage), 600n << 30n).out, 0xc0000000n, "Sv39x4's root has 2048 entries");
});

/** A G-stage tree of 4 KiB pages: gpa 0x8000_0000 + n·4 KiB → hpa 0x9000_0000 + n·4 KiB, n = 0..18. */
function gstage4k(): WireTree {
  const leaves = Array.from({ length: 19 }, (_, n) => leaf(n, 0x90000000n + BigInt(n) * 4096n, V | R | W | X | U | A | D));
  return tree("gstage", "gstage", table(0x90200000n, [ptr(2, table(0x90204000n, [ptr(0, table(0x90205000n, leaves))]))]), "sv39x4");
}

test("walkAddress: 15 page-table reads for Sv39 over Sv39x4 when every level is 4 KiB", () => {
  const trees = [buildTree(guestTree()), buildTree(gstage4k())];
  const w = walkAddress(trees, { p2m: [] }, 0x40001010n);
  assert.equal(w.references, 15);
  assert.deepEqual(w.result, { space: "hpa", addr: 0x90001010n });
  assert.deepEqual(w.walks.filter((x) => x.stage === "G").map((x) => x.walk.path.length), [3, 3, 3, 3]);
});

test("walkAddress: two-stage faults name the stage; the invalid entry the hardware read still counts", () => {
  const gTree = buildTree(gstage4k());
  // The guest's level-1 table at gpa 0x8001_1000 is page 17: drop it from the G stage.
  const holes = buildTree(tree("gstage", "gstage", table(0x90200000n, [ptr(2, table(0x90204000n, [ptr(0, table(0x90205000n,
    Array.from({ length: 17 }, (_, n) => leaf(n, 0x90000000n + BigInt(n) * 4096n, V | R | W | X | U | A | D))))]))]), "sv39x4"));
  const w = walkAddress([buildTree(guestTree()), holes], { p2m: [] }, 0x40001010n);
  assert.match(w.fault ?? "", /^G stage: the guest's level-1 PTE at gpa 0x80011000: no valid entry at index 17 of level 0$/);
  assert.equal(w.references, 3 + 1 + 3, "G walk + guest root PTE + the G walk that found nothing");
  const missingGuest = walkAddress([buildTree(guestTree()), gTree], { p2m: [] }, 0x40005000n);
  assert.match(missingGuest.fault ?? "", /^guest: no valid entry at index 5 of level 0/);
  assert.equal(missingGuest.references, 12, "the invalid guest PTE was located by a G walk and read");
  assert.deepEqual(missingGuest.walks.at(-1)?.walk.path, []);
  const misaligned = walkAddress([buildTree(guestTree()), buildTree(tree("gstage", "gstage", table(0x90200000n, [leaf(2, 0x90000000n, V | R | W | X | U | A | D)]), "sv39x4"))], { p2m: [] }, 0x40004000n);
  assert.match(misaligned.fault ?? "", /^G stage: the guest's level-2 PTE at gpa 0x80010008: misaligned superpage at level 2$/);
});

test("walkAddress: with vsatp Bare only the G stage translates; without a G stage or guest table there is nothing to walk", () => {
  const w = walkAddress([buildTree(gstage4k())], { p2m: [] }, 0x80002008n);
  assert.deepEqual(w.walks.map((x) => [x.stage, x.purpose]), [["G", "G-stage walk of gpa 0x80002008 (vsatp is Bare: gpa = gva)"]]);
  assert.deepEqual(w.result, { space: "hpa", addr: 0x90002008n });
  assert.equal(w.references, 3);
  const unmapped = walkAddress([buildTree(gstage4k())], { p2m: [] }, 0x1000_0000n);
  assert.equal(unmapped.fault, "G stage: no valid entry at index 0 of level 2");
  assert.equal(unmapped.references, 1);
  assert.equal(walkAddress([], { p2m: [] }, 0n).fault, "the guest does not translate (satp is Bare)");
});
