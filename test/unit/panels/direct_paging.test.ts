import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pageTablesBody, walkBody, type PageTablesBody } from "../../../src/debug/custom_requests";
import type { ExprEnv } from "../../../src/debug/expressions";
import { directPagingLines, frameNote } from "../../../src/webview/model/direct_paging";
import { isPageTablesBody } from "../../../src/webview/model/messages";
import { buildTrees, walkRows, type PtRow } from "../../../src/webview/model/page_tables";
import { loadGuest, ROOT, runVm } from "../hypervisor/equivalence";

/** Every row of a tree, depth first. */
function rows(list: readonly PtRow[]): PtRow[] {
  return list.flatMap((r) => [r, ...(r.group === undefined && r.children ? rows(r.children) : [])]);
}

describe("the Page Tables panel under paravirtualization: machine frames, pseudo-physical frames, pinned tables", () => {
  // The lesson's kernel at its end: back on the boot tables, its process's tables still pinned.
  const r = runVm(loadGuest(join(ROOT, "sample-guests/paravirtual/pv_kernel.S")), { technique: "paravirtual" });
  const pv = r.target.paravirtualState()!;
  const body = pageTablesBody(r.target, {}) as PageTablesBody;
  const dp = body.directPaging!;
  const mfn0 = BigInt(pv.firstMfn) * 4096n;

  it("sends the machine-to-phys table and every pinned frame with its level, and the panel accepts them", () => {
    assert.deepEqual(dp.m2p, [{ hpa: `0x${mfn0.toString(16)}`, gpa: "0x80000000", pfn: "0x0", size: `0x${(BigInt(pv.nrPages) * 4096n).toString(16)}` }]);
    assert.deepEqual(dp.pinned, pv.tables.map((t) => [`0x${(BigInt(t.mfn) * 4096n).toString(16)}`, t.level]));
    assert.deepEqual(dp.pinned.filter(([, l]) => l === 2).length, 2, "the boot root and the process's");
    assert.ok(isPageTablesBody(body));
    assert.equal(isPageTablesBody({ ...body, directPaging: { m2p: [], pinned: [["0x1000", 7]] } }), false, "no level 7");
  });

  it("shows each entry's machine frame as the guest numbers it, and marks the pinned tables it points to or maps", () => {
    const [guest, ...others] = buildTrees(body);
    assert.equal(guest.tableSpace, "hpa");
    assert.deepEqual(others, [], "direct paging: no shadow (none is made by looking), no G stage");
    const all = rows(guest.rows);
    const pointer = all.find((x) => !x.leaf && x.group === undefined)!;
    const note = frameNote(dp, pointer);
    const level = pv.tables.find((t) => BigInt(t.mfn) * 4096n === pointer.target)!.level;
    assert.equal(note.text, `pfn 0x${((pointer.target - mfn0) / 4096n).toString(16)}`);
    assert.match(note.title, /^machine frame 0x[0-9a-f]+ → pseudo-physical frame 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\) through the machine-to-phys table$/);
    assert.equal(note.pinned?.text, `pinned L${level}`, "the VMM allows pointers to pinned tables only");
    // The boot map covers all guest RAM, its page-table frames read-only: those leaves are marked.
    const ptPages = all.filter((x) => x.leaf && frameNote(dp, x).pinned);
    assert.deepEqual(ptPages.map((x) => frameNote(dp, x).pinned!.text).filter((t) => t.startsWith("PT page")).sort(), ["PT page L0", "PT page L0", "PT page L1", "PT page L1", "PT page L2", "PT page L2"]);
    assert.ok(ptPages.every((x) => (x.flags & 4) === 0), "mapped without W");
    assert.equal(ptPages.filter((x) => frameNote(dp, x).pinned!.text === "spare PT").length, 13, "16 spares, 3 of them pinned by the lesson");
    const kernel = all.find((x) => x.leaf && x.start === 0x80000000n)!;
    assert.deepEqual(frameNote(dp, kernel), { text: "pfn 0x0", title: `machine frame 0x${(mfn0 / 4096n).toString(16)} → pseudo-physical frame 0x0 (gpa 0x80000000) through the machine-to-phys table` });
    assert.equal(frameNote(dp, { ...kernel, target: mfn0 - 4096n }).text, "not the guest's");
    assert.match(directPagingLines(dp).join("\n"), /^direct paging: [^\n]*\nmachine-to-phys: hpa 0x[0-9a-f]+…0x[0-9a-f]+ → pfn 0x0… \(gpa 0x80000000…\)\n6 pinned page tables and 13 spare page-table frames/);
  });

  it("gets its walk from hyperstep/walk: the hart's walk of machine frames, each table by its pseudo-physical frame, placed on the rows", () => {
    const env = () => ({ convenience: new Map() }) as unknown as ExprEnv;
    const w = walkBody(r.target, { address: "0x80001000", access: "r" }, env);
    assert.match(w.title, /^read from S-mode; satp Sv39 ASID 0 root hpa 0x[0-9a-f]+ \(direct paging: machine frames\)$/);
    assert.equal(w.result.kind, "translated");
    assert.equal(w.result.text, `hpa 0x${(mfn0 + 0x1000n).toString(16)} = pseudo-physical 0x80001000 (frame 0x1)`);
    assert.equal(w.result.memoryReference, `hpa:0x${(mfn0 + 0x1000n).toString(16)}`);
    assert.deepEqual(w.walks[0].steps.map((s) => [s.tree, s.pteAddr.split(":")[0]]), w.walks[0].steps.map(() => ["guest", "hpa"]));
    for (const s of w.walks[0].steps) assert.match(s.notes[0], /^table: machine frame 0x[0-9a-f]+ = pseudo-physical frame 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\), pinned as a level-[012] table$/);
    const placed = walkRows(buildTrees(body), w);
    assert.equal(placed.onPath.size, w.walks[0].steps.length, "every PTE it read is a row of the guest's column");
    const user = walkBody(r.target, { address: "0x40000000", access: "r" }, env);
    assert.equal(user.result.kind, "fault", "the boot tables do not map the process");
    assert.match(user.result.text, /the kernel takes it at its own stvec, with no exit$/);
    assert.throws(() => walkBody(r.target, { address: "0x80000000", space: "gpa" }, env), /paravirtual has one stage/);
  });
});
