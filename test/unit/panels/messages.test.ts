import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHostMessage, parseViewMessage } from "../../../src/webview/model/messages";

const tables = {
  technique: "trap-and-emulate", version: "0123abcd", p2m: [], writeProtected: [], marks: { guest: [["0x40000000", "device", "the UART"]] },
  trees: [{ id: "guest", kind: "guest", label: "guest", mode: "sv39", input: "va", output: "pa", tableSpace: "pa", active: true, truncated: false,
    root: { addr: "0x80002000", entries: [[1, "0x20000c01", { addr: "0x80003000", entries: [[0, "0x200800c7"]] }]] } }],
};

test("the webview accepts well-formed data and drops anything else", () => {
  assert.equal(parseHostMessage({ type: "pageTables", seq: 1, session: "s", body: tables })?.type, "pageTables");
  const bad = (body: unknown) => parseHostMessage({ type: "pageTables", seq: 1, session: "s", body });
  assert.equal(bad({ ...tables, trees: [{ ...tables.trees[0], kind: "nested" }] }), undefined);
  assert.equal(bad({ ...tables, trees: [{ ...tables.trees[0], root: { addr: "0x1000", entries: [[1, "0x1", null, 4]] } }] }), undefined);
  assert.equal(bad({ ...tables, trees: [{ ...tables.trees[0], root: { addr: "0x1000", entries: [[4096, "0x1"]] } }] }), undefined, "index beyond a table");
  assert.equal(bad({ ...tables, trees: [{ ...tables.trees[0], root: { addr: "<script>", entries: [] } }] }), undefined);
  assert.equal(bad({ ...tables, version: 7 }), undefined);
  assert.equal(bad({ ...tables, marks: undefined }), undefined);
  assert.equal(bad({ ...tables, marks: { guest: [["0x40000000", "broken", "?"]] } }), undefined, "a mark of an unknown status");
  assert.equal(bad({ ...tables, marks: { guest: [["<b>", "device", "?"]] } }), undefined);
  const run = (entry: unknown[]) => bad({ ...tables, trees: [{ ...tables.trees[0], root: { addr: "0x1000", entries: [entry] } }] });
  assert.notEqual(run([0, "0x200000c7", 512]), undefined, "a run of a whole table");
  assert.equal(run([0, "0x200000c7", 1]), undefined, "a run is at least two entries");
  assert.equal(run([2000, "0x200000c7", 100]), undefined, "a run past the end of a table");
  assert.deepEqual(parseHostMessage({ type: "unchanged", seq: 5 }), { type: "unchanged", seq: 5 });
  assert.equal(parseHostMessage({ type: "empty", seq: 2, message: "no session" })?.type, "empty");
  assert.equal(parseHostMessage({ type: "walk", address: "x".repeat(200) }), undefined);
  const walk = {
    technique: "hardware-assisted", address: "0x40000000", access: "r", space: "va", title: "read from VS-mode", references: 1,
    result: { kind: "device", text: "emulated device (uart): not in the G stage, every access exits (guest-page-fault)" },
    walks: [{ by: "hart", title: "t", ok: false, end: "…", steps: [{ stage: "g", level: 2, index: 0, tree: "gstage", pteAddr: "hpa:0x80800000", pte: "0x0", ref: 1, notes: ["FAIL G: …"] }] }],
  };
  assert.equal(parseHostMessage({ type: "walked", id: 3, body: walk })?.type, "walked");
  assert.deepEqual(parseHostMessage({ type: "walked", id: 3, error: "no H extension" }), { type: "walked", id: 3, error: "no H extension" });
  assert.equal(parseHostMessage({ type: "walked", id: 3 }), undefined, "neither a walk nor an error");
  assert.equal(parseHostMessage({ type: "walked", id: 3, body: { ...walk, result: { kind: "teleported", text: "" } } }), undefined);
  assert.equal(parseHostMessage({ type: "walked", id: 3, body: { ...walk, walks: [{ ...walk.walks[0], steps: [{ ...walk.walks[0].steps[0], pteAddr: "javascript:1" }] }] } }), undefined);
  assert.equal(parseHostMessage({ type: "eval", code: "alert(1)" }), undefined);
  assert.equal(parseHostMessage("pageTables"), undefined);
  assert.equal(parseHostMessage(null), undefined);
  const exits = { technique: "native", available: false, message: "no VMM", exits: [], total: 0, dropped: 0, reasons: [], instret: 5, priv: 3, timeline: { from: 0, to: 5, counts: [0, 0] } };
  assert.equal(parseHostMessage({ type: "exits", seq: 3, session: "s", body: exits })?.type, "exits");
  assert.equal(parseHostMessage({ type: "exits", seq: 3, session: "s", body: { ...exits, exits: [{ seq: 1 }] } }), undefined);
});

test("the extension acts only on well-formed webview messages, and opens memory only at a real reference", () => {
  assert.deepEqual(parseViewMessage({ type: "openMemory", memoryReference: "hpa:0x90001000" }), { type: "openMemory", memoryReference: "hpa:0x90001000" });
  assert.equal(parseViewMessage({ type: "openMemory", memoryReference: "file:///etc/passwd" }), undefined);
  assert.equal(parseViewMessage({ type: "openMemory", memoryReference: "pa:0x80000000;rm" }), undefined);
  assert.deepEqual(parseViewMessage({ type: "filter", reasons: ["csr-write", "wfi"] }), { type: "filter", reasons: ["csr-write", "wfi"] });
  assert.equal(parseViewMessage({ type: "filter", reasons: ["CSR WRITE"] }), undefined);
  assert.equal(parseViewMessage({ type: "filter", reasons: "wfi" }), undefined);
  assert.deepEqual(parseViewMessage({ type: "reveal", pc: "0x80000010" }), { type: "reveal", pc: "0x80000010" });
  assert.equal(parseViewMessage({ type: "reveal", pc: 0x80000010 }), undefined);
  const summary = { columns: [{ id: "guest", label: "g", domRows: 40, listRows: 16000, entries: 16417, rows: ["guest/1", ""] }], diff: { missing: 0, stale: 0, permissions: 0, device: 1 }, walk: [], header: ["Page tables"], hints: [] };
  assert.equal(parseViewMessage({ type: "rendered", seq: 4, ms: 12.5, summary })?.type, "rendered");
  assert.equal(parseViewMessage({ type: "rendered", seq: 4, ms: Infinity, summary }), undefined);
  assert.equal(parseViewMessage({ type: "rendered", seq: 4, ms: 1, summary: { ...summary, walk: [1] } }), undefined);
  assert.equal(parseViewMessage({ type: "rendered", seq: 4, ms: 1, summary: { ...summary, hints: undefined } }), undefined);
  assert.equal(parseViewMessage({ type: "rendered", seq: 4, ms: 1, summary: { ...summary, columns: [{ ...summary.columns[0], rows: [7] }] } }), undefined);
  assert.deepEqual(parseViewMessage({ type: "walk", id: 2, address: "sp + 8", access: "w", space: "gva" }), { type: "walk", id: 2, address: "sp + 8", access: "w", space: "gva" });
  assert.equal(parseViewMessage({ type: "walk", id: 2, address: "sp", access: "rw", space: "va" }), undefined);
  assert.equal(parseViewMessage({ type: "walk", id: 2, address: "sp", access: "r", space: "hpa" }), undefined, "the hart walks no host-physical address");
  assert.deepEqual(parseViewMessage({ type: "ready", extra: 1 }), { type: "ready" });
  assert.equal(parseViewMessage({ type: "runCommand", command: "workbench.action.quit" }), undefined);
});

test("the Memory panel's messages: reads and writes only in real spaces and within bounds", () => {
  assert.deepEqual(parseViewMessage({ type: "memoryRead", id: 1, space: "gva", address: "0x80001000", count: 512 }), { type: "memoryRead", id: 1, space: "gva", address: "0x80001000", count: 512 });
  assert.equal(parseViewMessage({ type: "memoryRead", id: 1, space: "file", address: "0x0", count: 512 }), undefined);
  assert.equal(parseViewMessage({ type: "memoryRead", id: 1, space: "pa", address: "0x0", count: 1 << 20 }), undefined, "larger than a screenful of blocks");
  assert.equal(parseViewMessage({ type: "memoryRead", id: 1, space: "pa", address: "0x0", count: 0 }), undefined);
  assert.deepEqual(parseViewMessage({ type: "memoryWrite", id: 2, space: "hpa", address: "0x88000000", data: "5aff" }), { type: "memoryWrite", id: 2, space: "hpa", address: "0x88000000", data: "5aff" });
  assert.equal(parseViewMessage({ type: "memoryWrite", id: 2, space: "hpa", address: "0x88000000", data: "5" }), undefined);
  assert.equal(parseViewMessage({ type: "memoryWrite", id: 2, space: "hpa", address: "0x88000000", data: "??" }), undefined, "an unreadable byte is never written");
  assert.equal(parseViewMessage({ type: "memoryEvaluate", id: 3, expression: "x".repeat(300) }), undefined);
  const summary = { space: "va", expression: "sp", address: "0x80001000", spaces: ["va", "pa"], rows: [{ address: "0x80001000", bytes: "00??  ", changed: [0] }], domRows: 30, fetched: 1024 };
  assert.equal(parseViewMessage({ type: "memoryRendered", summary })?.type, "memoryRendered");
  assert.equal(parseViewMessage({ type: "memoryRendered", summary: { ...summary, rows: [{ ...summary.rows[0], changed: [16] }] } }), undefined);

  assert.deepEqual(parseHostMessage({ type: "memoryData", id: 1, bytes: "00ff??" }), { type: "memoryData", id: 1, bytes: "00ff??" });
  assert.equal(parseHostMessage({ type: "memoryData", id: 1, bytes: "<img>" }), undefined);
  assert.equal(parseHostMessage({ type: "memorySession", session: "s", technique: "native", spaces: [{ id: "va", label: "virtual" }] })?.type, "memorySession");
  assert.equal(parseHostMessage({ type: "memorySession", session: "s", technique: "native", spaces: [{ id: "io", label: "ports" }] }), undefined);
  assert.deepEqual(parseHostMessage({ type: "memoryValue", id: 4, address: "0x80001000" }), { type: "memoryValue", id: 4, address: "0x80001000" });
  assert.equal(parseHostMessage({ type: "memoryValue", id: 4, address: "sp" }), undefined);
});
