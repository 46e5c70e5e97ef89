import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { foldingRanges } from "../../../src/extension/folding";

const lines = (text: string) => text.split("\n");
const ranges = (text: string) => foldingRanges(lines(text)).map((f) => [f.start, f.end, f.kind ?? ""]);

describe("folding ranges", () => {
  it("fold .macro….endm, with the .endm, and the repeat and conditional blocks", () => {
    assert.deepEqual(ranges([
      ".macro PUSH reg", // 0
      "  addi sp, sp, -8", // 1
      "  sd \\reg, 0(sp)", // 2
      ".endm", // 3
      ".rept 2", // 4
      "nop", // 5
      ".endr", // 6
      ".ifdef X", // 7
      "nop", // 8
      ".endif", // 9
      "#ifdef Y", // 10
      "nop", // 11
      "#endif", // 12
    ].join("\n")), [[0, 3, ""], [4, 6, ""], [7, 9, ""], [10, 12, ""]]);
  });

  it("fold #region…#endregion as regions, nested blocks inside", () => {
    assert.deepEqual(ranges("# region boot\n.macro M\nnop\n.endm\n# endregion\nnop"), [[0, 4, "region"], [1, 3, ""]]);
  });

  it("fold by indentation, as VS Code does without a provider: a label folds its indented body", () => {
    assert.deepEqual(ranges([
      "_start:", // 0
      "    li a0, 1", // 1
      "", // 2
      "    call f", // 3
      "", // 4
      "f:", // 5
      "\tret", // 6
      "done:", // 7
    ].join("\n")), [[0, 3, ""], [5, 6, ""]]);
  });

  it("fold multi-line block comments, not one-line ones", () => {
    assert.deepEqual(ranges("/* one */\nnop\n/*\n * two\n */\nnop"), [[2, 4, "comment"]]);
  });

  it("ignore an end without a start and a start without an end", () => {
    assert.deepEqual(ranges(".endm\n.macro M\nnop"), []);
  });

  it("leave the language's folding markers to #region alone: VS Code labels the minimap with every line they match", () => {
    const config = JSON.parse(readFileSync(new URL("../../../syntaxes/language-configuration.json", import.meta.url), "utf8"));
    const start = new RegExp(config.folding.markers.start);
    assert.ok(start.test("# region Boot code") && start.test("#region"));
    for (const line of [".macro SAVE_ALL frame", "  .rept 4", ".ifdef X", "#ifdef UART", "#if 1"]) assert.ok(!start.test(line), line);
  });

  it("fold every .macro of a lesson", () => {
    const text = readFileSync(new URL("../../../sample-guests/shadow-paging/shadow_paging.S", import.meta.url), "utf8");
    const macros = lines(text).flatMap((l, i) => (/^\s*\.macro\b/.test(l) ? [i] : []));
    assert.ok(macros.length > 0, "the lesson has macros");
    const folds = foldingRanges(lines(text));
    for (const m of macros) assert.ok(folds.some((f) => f.start === m && /^\s*\.endm\b/.test(lines(text)[f.end]!)), `line ${m + 1}`);
  });
});
