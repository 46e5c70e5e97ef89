import { test } from "node:test";
import assert from "node:assert/strict";
import type { PageTablesBody, WalkBody, WireEntry, WireTable, WireTree } from "../../../src/debug/custom_requests";
import { alignedLines, lineGroups, lineKeys, lineOpen, type Line } from "../../../src/webview/model/page_table_lines";
import { applyMarks, buildTree, p2mLines, renderWindow, sizeText, walkLines, walkRows } from "../../../src/webview/model/page_tables";
import { SPLIT_NOTE, U_NOTE, coverText, shadowNotes } from "../../../src/webview/model/shadow_notes";

const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const pte = (pa: bigint, flags: bigint) => `0x${(((pa >> 12n) << 10n) | flags).toString(16)}`;
const table = (addr: bigint, entries: WireEntry[]): WireTable => ({ addr: `0x${addr.toString(16)}`, entries });
const ptr = (index: number, next: WireTable): WireEntry => [index, pte(BigInt(next.addr), V), next];
const leaf = (index: number, pa: bigint, flags: bigint): WireEntry => [index, pte(pa, flags)];
const tree = (id: string, kind: WireTree["kind"], root: WireTable, mode: WireTree["mode"] = "sv39"): WireTree => ({
  id, kind, label: id, mode, input: kind === "gstage" ? "gpa" : "gva", output: kind === "guest" ? "gpa" : "hpa",
  tableSpace: kind === "guest" ? "gpa" : "hpa", active: true, truncated: false, root,
});

/** VA 0x4000_0000 + n·4 KiB, n = 0..5, through root[1] → l1[0] → l0[n]; VA 0x8000_0000.. a gigapage. In index order, as the adapter reads tables. */
function guestTree(): WireTree {
  return tree("guest", "guest", table(0x80010000n, [
    ptr(1, table(0x80011000n, [ptr(0, table(0x80012000n, [
      leaf(0, 0x80000000n, V | R | W | A | D),
      leaf(1, 0x80001000n, V | R | W | A | D),
      leaf(2, 0x80002000n, V | R | A),
      leaf(3, 0x80003000n, V | R | W | A),
      leaf(4, 0x80004000n, V | R | W | A | D),
    ]))])),
    leaf(2, 0x80000000n, V | R | W | X | A | D),
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

/** What the adapter says of these trees' leaves (vmm_view.ts's ShadowMark). */
const marks: PageTablesBody["marks"] = {
  guest: [
    ["0x80000000", "missing", "not in the shadow yet: the first access is a hidden page fault"],
    ["0x40000000", "shadowed", "1 shadow entry covers it"],
    ["0x40001000", "shadowed", "1 shadow entry covers it"],
    ["0x40002000", "missing", "not in the shadow yet: the first access is a hidden page fault"],
    ["0x40003000", "shadowed", "1 shadow entry covers it"],
    ["0x40004000", "shadowed", "1 shadow entry covers it"],
    ["0x7000000000", "device", "no such leaf: dropped"],
  ],
  "shadow:A": [
    ["0x40000000", "same", "matches the guest's PTE at gpa 0x80012000 through the p2m"],
    ["0x40001000", "stale", "the guest changed a PTE this entry was made from"],
    ["0x40003000", "permissions", "W held back until the guest's D bit is set"],
    ["0x40004000", "permissions", "a write-protected guest page-table page"],
    ["0x40005000", "stale", "the guest changed a PTE this entry was made from"],
  ],
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
  const marked = applyMarks([t], { guest: [["0xffffffc000000000", "device", "the UART"]] });
  assert.deepEqual(marked.rows.get("guest/256"), { status: "device", note: "the UART" }, "a mark names the leaf by its sign-extended address");
});

/** A line as text: each cell's row key, or `(key of the leaf covering it)`, or `-`. */
const lineText = (l: Line) => l.cells.map((c) => c.row?.key ?? (c.cover ? `(${c.cover.key})` : "-")).join(" | ");

test("alignedLines descends into expanded rows only, and renderWindow bounds what goes into the DOM", () => {
  const t = buildTree(guestTree());
  assert.deepEqual(alignedLines([t], new Set()).map(lineText), ["guest/1", "guest/2"], "by index, as the table holds them");
  assert.deepEqual(alignedLines([t], new Set(["guest/1", "guest/1.0"])).map(lineText),
    ["guest/1", "guest/1.0", "guest/1.0.0", "guest/1.0.1", "guest/1.0.2", "guest/1.0.3", "guest/1.0.4", "guest/2"]);
  // A full level (512 rows of 22 px) in a 440 px viewport scrolled to row 100: rows 92..128 only.
  assert.deepEqual(renderWindow(512, 2200, 440, 22), { start: 92, end: 128 });
  assert.deepEqual(renderWindow(512, 0, 440, 22), { start: 0, end: 28 });
  assert.deepEqual(renderWindow(10, 0, 440, 22), { start: 0, end: 10 });
  assert.deepEqual(renderWindow(512, 1e9, 440, 22), { start: 512, end: 512 });
});

test("alignedLines puts the guest's entry and the shadow's for the same addresses on one line, gaps where one has none", () => {
  // The guest maps gva 0x8000_0000.. with a gigapage (root[2]); the shadow maps two 4 KiB pieces of it.
  const guest = buildTree(guestTree());
  const shadow = buildTree(tree("shadow:A", "shadow", table(0x90100000n, [
    ptr(1, table(0x90101000n, [ptr(0, table(0x90102000n, [leaf(0, 0x90000000n, V | R | W | U | A | D), leaf(7, 0x90007000n, V | R | U | A)]))])),
    ptr(2, table(0x90103000n, [ptr(0, table(0x90104000n, [leaf(3, 0x90003000n, V | R | W | X | U | A | D), leaf(4, 0x90004000n, V | R | X | U | A)]))])),
  ])));
  const lines = alignedLines([guest, shadow], new Set(["guest/1", "guest/1.0", "shadow:A/2", "shadow:A/2.0"]));
  assert.deepEqual(lines.map(lineText), [
    "guest/1 | shadow:A/1",
    "guest/1.0 | shadow:A/1.0", "guest/1.0.0 | shadow:A/1.0.0", "guest/1.0.1 | -", "guest/1.0.2 | -", "guest/1.0.3 | -", "guest/1.0.4 | -",
    "- | shadow:A/1.0.7",
    "guest/2 | shadow:A/2",
    "(guest/2) | shadow:A/2.0", "(guest/2) | shadow:A/2.0.3", "(guest/2) | shadow:A/2.0.4",
  ], "either side's expansion opens the line; a guest gigapage covers the shadow's pieces of it");
  assert.deepEqual(lines.map((l) => l.level), [2, 1, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0]);
  assert.deepEqual(lines.map((l) => l.depth), [0, 1, 2, 2, 2, 2, 2, 2, 0, 1, 2, 2]);
  assert.deepEqual(lineKeys(lines[8]), ["shadow:A/2"], "the guest's leaf has nothing to open");
  assert.equal(lineOpen(lines[8], new Set(["shadow:A/2"])), true);
  assert.equal(lineOpen(lines[0], new Set(["shadow:A/2"])), false);
  assert.equal(coverText(lines[10].cells[0].cover!), "⋮ in guest 1 GiB page [2]");

  const pieceNotes = shadowNotes(lines[10].cells[0], lines[10].cells[1].row!);
  assert.deepEqual(pieceNotes, [`Part of the guest's 1 GiB page [2]. ${SPLIT_NOTE}`, `U set where the guest's PTE has U clear. ${U_NOTE}`]);
  assert.deepEqual(shadowNotes(lines[2].cells[0], lines[2].cells[1].row!), [`U set where the guest's PTE has U clear. ${U_NOTE}`], "a 4 KiB guest page: no split");
  assert.deepEqual(shadowNotes(lines[1].cells[0], lines[1].cells[1].row!), [], "a pointer has nothing to explain");
  const userPage = buildTree(tree("guest", "guest", table(0x1000n, [leaf(0, 0x80000000n, V | R | U | A)])));
  assert.deepEqual(shadowNotes({ row: userPage.rows[0] }, { ...userPage.rows[0], key: "shadow/0" }), [], "the guest's own user page has U already");
});

test("lineGroups lines the guest's table up with its shadow, and nothing with a shadow of M-mode code beside a G stage", () => {
  const guest = buildTree(guestTree());
  const shadow = buildTree(shadowTree());
  const gstage = buildTree(tree("gstage", "gstage", table(0x90200000n, []), "sv39x4"));
  const ids = (groups: { id: string }[][]) => groups.map((g) => g.map((t) => t.id));
  assert.deepEqual(ids(lineGroups([guest, shadow])), [["guest", "shadow:A"]]);
  assert.deepEqual(ids(lineGroups([guest])), [["guest"]]);
  assert.deepEqual(ids(lineGroups([guest, shadow, gstage])), [["guest"], ["shadow:A"], ["gstage"]]);
});

test("the G stage's runs of contiguous leaves are one row each, open to the leaves, and a walk opens the way to its leaf", () => {
  // Sv39x4: gpa 0x8000_0000.. is root[2]; one full table of 512 contiguous 4 KiB leaves, and a 4-leaf run.
  const l0 = table(0x90203000n, [[0, pte(0x90800000n, V | R | W | X | U | A | D), 512]]);
  const l0b = table(0x90204000n, [[0, pte(0x90a00000n, V | R | W | X | U | A | D), 4]]);
  const g = buildTree(tree("gstage", "gstage", table(0x90200000n, [ptr(2, table(0x90202000n, [ptr(0, l0), ptr(1, l0b)]))]), "sv39x4"));
  assert.equal(g.size, 1 + 2 + 512 + 4, "every entry counts, grouped or not");
  const [first, second] = g.rows[0].children!;
  assert.deepEqual(first.children!.map((r) => [r.key, r.group, r.start, r.end, r.target]), [["gstage/2.0.0-511", 512, 0x80000000n, 0x80200000n, 0x90800000n]]);
  assert.equal(first.children![0].children!.length, 512);
  assert.deepEqual(first.children![0].children![511].target, 0x909ff000n);
  assert.deepEqual(second.children!.map((r) => r.key), ["gstage/2.1.0", "gstage/2.1.1", "gstage/2.1.2", "gstage/2.1.3"], "a short run stays as its leaves");
  assert.equal(buildTree(tree("guest", "guest", l0)).rows.length, 512, "only the G stage groups by default");

  const lines = alignedLines([g], new Set(["gstage/2", "gstage/2.0"]));
  assert.deepEqual(lines.map(lineText), ["gstage/2", "gstage/2.0", "gstage/2.0.0-511", "gstage/2.1"], "the group is closed: one line for 512 leaves");
  const opened = alignedLines([g], new Set(["gstage/2", "gstage/2.0", "gstage/2.0.0-511"]));
  assert.deepEqual(opened.slice(2, 4).map((l) => [lineText(l), l.level, l.depth]), [["gstage/2.0.0-511", 0, 2], ["gstage/2.0.0", 0, 3]], "a group's leaves sit one step inside it");
  const walk: WalkBody = { technique: "hardware-assisted", address: "0x80005000", access: "r", space: "gpa", title: "t", references: 3,
    result: { kind: "translated", text: "hpa 0x90805000" }, walks: [{ by: "hart", title: "t", ok: true, end: "hpa 0x90805000", steps: [
      { stage: "g", level: 2, index: 2, tree: "gstage", pteAddr: "hpa:0x90200010", pte: "0x0", notes: [] },
      { stage: "g", level: 1, index: 0, tree: "gstage", pteAddr: "hpa:0x90202000", pte: "0x0", notes: [] },
      { stage: "g", level: 0, index: 5, tree: "gstage", pteAddr: "hpa:0x90203028", pte: "0x0", notes: [] },
    ] }] };
  const placed = walkRows([g], walk);
  assert.deepEqual([...placed.onPath], ["gstage/2", "gstage/2.0", "gstage/2.0.5"], "the leaf itself, not its group");
  assert.deepEqual([...placed.expand].sort(), ["gstage/2", "gstage/2.0", "gstage/2.0.0-511"], "the group opens to show it");
});

test("the p2m says where guest RAM lives in the host's, and how much of it", () => {
  assert.deepEqual(p2mLines({ p2m: [{ gpa: "0x80000000", hpa: "0x80800000", size: "0x8000000" }] }), ["gpa 0x80000000…0x87ffffff → hpa 0x80800000…0x887fffff (128 MiB of guest RAM)"]);
  assert.deepEqual([sizeText(0x1000n), sizeText(0x40000000n), sizeText(0x300000n), sizeText(0x1800n), sizeText(100n)], ["4 KiB", "1 GiB", "3 MiB", "6 KiB", "100 bytes"]);
});

test("applyMarks puts the adapter's marks on the leaves they name, counts them, and sums the problems below each pointer", () => {
  const guest = buildTree(guestTree());
  const shadow = buildTree(shadowTree());
  const d = applyMarks([guest, shadow], marks);
  const status = (key: string) => d.rows.get(key)?.status;
  assert.equal(status("shadow:A/1.0.0"), "same");
  assert.equal(status("shadow:A/1.0.1"), "stale");
  assert.equal(d.rows.get("shadow:A/1.0.4")?.note, "a write-protected guest page-table page");
  assert.equal(status("guest/1.0.2"), "missing");
  assert.equal(status("guest/2"), "missing", "the gigapage: marked by its first address");
  assert.deepEqual(d.counts, { missing: 2, shadowed: 4, device: 0, same: 1, stale: 2, permissions: 2 }, "a mark naming no leaf is dropped");
  assert.deepEqual(d.below.get("guest/1"), { missing: 1, stale: 0, permissions: 0 });
  assert.deepEqual(d.below.get("shadow:A/1.0"), { missing: 0, stale: 2, permissions: 2 });
  assert.deepEqual(applyMarks([shadow], marks).counts.missing, 0, "only the trees asked for");
});

/** A walk as `hyperstep/walk` answers it under shadow paging: the guest's walk, then the hart's. */
const shadowWalk: WalkBody = {
  technique: "trap-and-emulate", address: "0x40001010", access: "r", space: "va", title: "read from virtual S-mode, shadow context sv39 root=0x80010000 asid=1 S",
  walks: [
    { by: "guest", title: "guest table (GVA → GPA): what the guest's table says", ok: true, end: "gpa 0x80001010 = hpa 0x90001010 (p2m)", steps: [
      { stage: "guest", level: 2, index: 1, tree: "guest", pteAddr: "gpa:0x80010008", hpa: "hpa:0x90010008", pte: pte(0x80011000n, V), notes: [] },
      { stage: "guest", level: 1, index: 0, tree: "guest", pteAddr: "gpa:0x80011000", hpa: "hpa:0x90011000", pte: pte(0x80012000n, V), notes: [] },
      { stage: "guest", level: 0, index: 1, tree: "guest", pteAddr: "gpa:0x80012008", hpa: "hpa:0x90012008", pte: pte(0x80001000n, V | R | W | A | D), notes: [] },
    ] },
    { by: "hart", title: "shadow (A) at hpa 0x90100000 (GVA → HPA): the walk the hart makes, from host U-mode", ok: true, end: "hpa 0x9000f010", steps: [
      { stage: "s", level: 2, index: 1, tree: "shadow:A", pteAddr: "hpa:0x90100008", pte: pte(0x90101000n, V), ref: 1, notes: [] },
      { stage: "s", level: 1, index: 0, tree: "shadow:A", pteAddr: "hpa:0x90101000", pte: pte(0x90102000n, V), ref: 2, notes: [] },
      { stage: "s", level: 0, index: 1, tree: "shadow:A", pteAddr: "hpa:0x90102008", pte: pte(0x9000f000n, V | R | W | A | D), ref: 3,
        notes: ["ok   S: the leaf permits a read from U-mode", "A/D  S: A=1 D=1"] },
    ] },
  ],
  references: 3,
  result: { kind: "stale", text: "stale: the hart still uses hpa 0x9000f010, although the guest's table now says gpa 0x80001010 = hpa 0x90001010, until the guest's sfence.vma", memoryReference: "hpa:0x9000f010" },
};

test("walkRows outlines the PTEs each walk step read, in its own tree, and opens the way down to them", () => {
  const trees = [buildTree(guestTree()), buildTree(shadowTree())];
  const { onPath, expand } = walkRows(trees, shadowWalk);
  assert.deepEqual([...onPath], ["guest/1", "guest/1.0", "guest/1.0.1", "shadow:A/1", "shadow:A/1.0", "shadow:A/1.0.1"]);
  assert.deepEqual([...expand], ["guest/1", "guest/1.0", "shadow:A/1", "shadow:A/1.0"]);
  assert.equal(walkRows([trees[0]], shadowWalk).onPath.size, 3, "a step whose tree is not shown outlines nothing");
});

test("walkLines: what comes of the access first, then every PTE the walks read and what the walker found", () => {
  const lines = walkLines(shadowWalk);
  assert.deepEqual(lines.slice(0, 3), [
    "result: stale: the hart still uses hpa 0x9000f010, although the guest's table now says gpa 0x80001010 = hpa 0x90001010, until the guest's sfence.vma",
    "3 page-table reads by the hardware",
    "guest table (GVA → GPA): what the guest's table says:",
  ]);
  assert.equal(lines[3], "   level 2 [1] PTE 0x0000000020004401 V------- → table 0x80011000  (at gpa:0x80010008 = hpa:0x90010008)");
  assert.equal(lines[6], "   = gpa 0x80001010 = hpa 0x90001010 (p2m)");
  assert.equal(lines[10], "   # 3 S level 0 [1] PTE 0x0000000024003cc7 VRW---AD leaf → 0x9000f000  (at hpa:0x90102008)");
  assert.deepEqual(lines.slice(11), ["        ok   S: the leaf permits a read from U-mode", "        A/D  S: A=1 D=1", "   = hpa 0x9000f010"]);
  const g: WalkBody = { ...shadowWalk, note: "walking as HLV does", walks: [{ by: "hart", title: "t", ok: false, end: "load guest-page fault (cause 21) …", steps: [
    { stage: "g", level: 2, index: 2, tree: "gstage", pteAddr: "hpa:0x90200010", pte: "0x0", ref: 1, begins: { gpa: "0x80010008", purpose: "where the VS level-2 PTE lives" }, notes: ["FAIL G: the level-2 PTE at hpa 0x90200010 is not valid (V = 0)"] },
  ] }] };
  assert.deepEqual(walkLines(g).slice(2), [
    "(walking as HLV does)", "t:", "  G-stage walk of gpa 0x80010008 (where the VS level-2 PTE lives):",
    "   # 1 G level 2 [2] PTE 0x0000000000000000 -------- invalid  (at hpa:0x90200010)",
    "        FAIL G: the level-2 PTE at hpa 0x90200010 is not valid (V = 0)", "   stops: load guest-page fault (cause 21) …",
  ]);
});
