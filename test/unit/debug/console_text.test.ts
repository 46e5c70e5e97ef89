import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CONSOLE_WIDTH, table, wrap } from "../../../src/debug/console_text";

describe("console text", () => {
  test("a table pads labels left and numbers right, two spaces apart, without trailing blanks", () => {
    assert.deepEqual(table([["reason", "count"], ["csr-write", "8"], ["total", "233"], []]), [
      "reason     count",
      "csr-write      8",
      "total        233",
      "",
    ]);
  });

  test("a table can pad more leading columns left (code beside code)", () => {
    assert.deepEqual(table([["0x10", "ret", "ecall", "2"], ["0x1000", "j 10", "jal 20", "10"]], 3), [
      "0x10    ret   ecall    2",
      "0x1000  j 10  jal 20  10",
    ]);
  });

  test("a short line is left alone", () => {
    assert.deepEqual(wrap("  slowdown ×1.00", "    "), ["  slowdown ×1.00"]);
  });

  test("a long line breaks at spaces, continuation lines indented, none wider than the width", () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`);
    const lines = wrap(words.join(" "), "  ", 30);
    assert.ok(lines.length > 1);
    assert.ok(lines.every((l) => l.length <= 30), JSON.stringify(lines));
    assert.ok(lines.slice(1).every((l) => /^ {2}\S/.test(l)), "indented continuations");
    assert.deepEqual(lines.join(" ").split(/\s+/).filter(Boolean), words, "no word lost or split");
  });

  test("a word longer than a line is cut rather than overflowing", () => {
    const lines = wrap(`at ${"x".repeat(100)} end`, "    ");
    assert.ok(lines.every((l) => l.length <= CONSOLE_WIDTH), JSON.stringify(lines));
    assert.equal(lines.join("").replace(/\s/g, ""), `at${"x".repeat(100)}end`, "nothing lost");
  });

  test("the first line's own indentation is kept and never broken inside", () => {
    const lines = wrap(`      ${"y".repeat(20)} ${"z".repeat(20)}`, "      ", 30);
    assert.deepEqual(lines, [`      ${"y".repeat(20)}`, `      ${"z".repeat(20)}`]);
  });
});
