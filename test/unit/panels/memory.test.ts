import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BLOCK_BYTES, ROW_BYTES, UNREADABLE, addressDigits, blocksFor, byteAt, decodeBytes, encodeBytes, parseEdit, parseEvaluated, parseTarget,
  recentre, rowAddress, rowCells, windowAround, type Space,
} from "../../../src/webview/model/memory";

const NATIVE: Space[] = [{ id: "va", label: "virtual" }, { id: "pa", label: "physical" }];
const VMM: Space[] = [{ id: "gva", label: "guest-virtual", alias: "va" }, { id: "gpa", label: "guest-physical", alias: "pa" }, { id: "hpa", label: "host-physical" }];

const block = (start: bigint, fill: (i: number) => number) => [start, Int16Array.from({ length: BLOCK_BYTES }, (_, i) => fill(i))] as const;

test("bytes travel as hex pairs, unreadable ones as ??, and malformed text is refused", () => {
  const bytes = Int16Array.from([0x00, 0x4f, UNREADABLE, 0xff]);
  assert.equal(encodeBytes(bytes), "004f??ff");
  assert.deepEqual(decodeBytes("004f??ff"), bytes);
  assert.equal(decodeBytes("4f?"), undefined);
  assert.equal(decodeBytes("4g"), undefined);
  assert.equal(decodeBytes("<b"), undefined);
});

test("the window puts an address in its middle row, and stops at the ends of the 64-bit space", () => {
  const { window, row } = windowAround(0x80001238n, 1024);
  assert.equal(row, 512);
  assert.equal(rowAddress(window, row), 0x80001230n, "the row that holds the address");
  assert.equal(window.start, 0x80001230n - 512n * 16n);

  const low = windowAround(0x20n, 1024);
  assert.deepEqual([low.window.start, low.row], [0n, 2]);
  const high = windowAround((1n << 64n) - 1n, 1024);
  assert.equal(high.row, 1023);
  assert.equal(rowAddress(high.window, high.row), (1n << 64n) - 16n);
});

test("scrolling near an end of the window moves it, keeping the same address under the first visible row", () => {
  const { window } = windowAround(0x80000000n, 1024);
  assert.equal(recentre(window, 500, 100), undefined, "in the middle: nothing moves");
  const down = recentre(window, 1000, 100)!;
  assert.equal(rowAddress(down.window, 1000 - down.shift), rowAddress(window, 1000));
  assert.equal(down.shift, 1000 - 512);
  const up = recentre(window, 10, 100)!;
  assert.equal(rowAddress(up.window, 10 - up.shift), rowAddress(window, 10));
  assert.ok(up.shift < 0);
  // At address 0 there is nothing above to page to.
  assert.equal(recentre(windowAround(0n, 1024).window, 3, 100), undefined);
  assert.equal(recentre(windowAround((1n << 64n) - 1n, 1024).window, 1020, 100), undefined);
});

test("only the blocks that hold the visible rows are fetched", () => {
  const w = { start: 0x80000000n, rows: 1024 };
  const rowsPerBlock = BLOCK_BYTES / ROW_BYTES;
  assert.deepEqual(blocksFor(w, 0, 1), [0x80000000n]);
  assert.deepEqual(blocksFor(w, rowsPerBlock - 1, rowsPerBlock + 1), [0x80000000n, 0x80000000n + BigInt(BLOCK_BYTES)]);
  assert.equal(blocksFor(w, 100, 140).length, Math.ceil(140 / rowsPerBlock) - Math.floor(100 / rowsPerBlock));
  assert.deepEqual(blocksFor(w, 5, 5), []);
  assert.deepEqual(blocksFor({ start: 0x80000008n - 8n, rows: 4 }, 0, 4), [0x80000000n]);
});

test("a row shows hex and ASCII, ?? where nothing can be read, and marks bytes changed since the last stop", () => {
  const base = 0x80001000n;
  const before = new Map([block(base, (i) => (i === 3 ? UNREADABLE : i))]);
  const now = new Map([block(base, (i) => (i === 1 ? 0x41 : i === 2 ? UNREADABLE : i))]);
  const cells = rowCells(base, now, before);
  assert.deepEqual(cells.slice(0, 5).map((c) => [c.hex, c.ascii, c.changed, c.unreadable]), [
    ["00", "·", false, false],
    ["41", "A", true, false],
    ["??", "?", true, true],
    ["03", "·", true, false],
    ["04", "·", false, false],
  ]);
  assert.equal(byteAt(now, base + 1n), 0x41);
  // A block not fetched at the previous stop has nothing to compare with; one not fetched now is blank.
  const fresh = rowCells(base, now, new Map());
  assert.ok(fresh.every((c) => !c.changed));
  const loading = rowCells(base + BigInt(BLOCK_BYTES), now, before);
  assert.ok(loading.every((c) => c.hex === "" && !c.changed));
});

test("an edit is hex pairs in the hex column and text with escapes in the ASCII column", () => {
  const bytes = (text: string, column: "hex" | "ascii") => {
    const e = parseEdit(text, column);
    return e.ok ? [...e.bytes] : e.message;
  };
  assert.deepEqual(bytes("5a", "hex"), [0x5a]);
  assert.deepEqual(bytes(" 0xde ad,BEEF ", "hex"), [0xde, 0xad, 0xbe, 0xef]);
  assert.match(bytes("5", "hex") as string, /not whole bytes.*05/);
  assert.match(bytes("zz", "hex") as string, /not hexadecimal/);
  assert.match(bytes("", "hex") as string, /nothing to write/);
  assert.match(bytes("00".repeat(257), "hex") as string, /at most 256/);
  assert.deepEqual(bytes("Hi!", "ascii"), [0x48, 0x69, 0x21]);
  assert.deepEqual(bytes("a\\n\\0\\x7f\\\\", "ascii"), [0x61, 0x0a, 0x00, 0x7f, 0x5c]);
  assert.match(bytes("\\q", "ascii") as string, /not an escape/);
  assert.match(bytes("é", "ascii") as string, /not ASCII/);
});

test("the address box takes a space the session offers, or its alias, and an expression", () => {
  assert.deepEqual(parseTarget("sp", VMM), { expression: "sp" });
  assert.deepEqual(parseTarget("hpa: a0 + 16", VMM), { space: "hpa", expression: "a0 + 16" });
  assert.deepEqual(parseTarget("va:0x80001000", VMM), { space: "gva", expression: "0x80001000" }, "va is the guest's view under a VMM");
  assert.deepEqual(parseTarget("pa:0x80001000", NATIVE), { space: "pa", expression: "0x80001000" });
  assert.deepEqual(parseTarget("gpa:0x80001000", NATIVE), { error: "there is no gpa address space here: use va, pa" });
  assert.deepEqual(parseTarget("  ", NATIVE), { error: "write an address or an expression, such as sp or 0x80001000" });
  assert.deepEqual(parseTarget("*(u64*)sp", NATIVE), { expression: "*(u64*)sp" });
});

test("an evaluated address is read from the adapter's hex or decimal result", () => {
  assert.equal(parseEvaluated("0x0000000080001000"), 0x80001000n);
  assert.equal(parseEvaluated("4096"), 4096n);
  assert.equal(parseEvaluated("0x1" + "0".repeat(16)), undefined, "beyond 64 bits");
  assert.equal(parseEvaluated("'x'"), undefined);
});

test("addresses take 8 hex digits while the window stays below 4 GiB, 16 above", () => {
  assert.equal(addressDigits(windowAround(0x80001000n, 1024).window), 8);
  assert.equal(addressDigits(windowAround(0xffffffc000000000n, 1024).window), 16);
  assert.equal(addressDigits({ start: (1n << 32n) - 1024n * 16n, rows: 1024 }), 8, "the last row ends at 4 GiB");
});
