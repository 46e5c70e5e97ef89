import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assemble } from "../../../src/asm/assemble";
import { assembleForEditor } from "../../../src/extension/diagnostics";
import { nameMarkdown, type NameTable } from "../../../src/extension/names";

const FILES: Record<string, string> = {
  "/w/uart.h": "#define UART_BASE 0x10000000\n#define UART_LSR (UART_BASE + 5)\n",
  "/w/main.S": [
    '#include "uart.h"', // 1
    "#define STEP 1", // 2
    "#define PUT(c) li a0, c", // 3
    "  .equ COUNT, 3", // 4
    "  .text", // 5
    "_start:", // 6
    "  li t0, UART_LSR", // 7
    "  j .Lloop", // 8
    "  nop", // 9
    ".Lloop:", // 10
    "  call puts", // 11
    "#define STEP 2", // 12
    "puts:", // 13
    "  ret", // 14
    "",
  ].join("\n"),
};
const read = (p: string) => FILES[p];
const table = (): NameTable => {
  const a = assembleForEditor("/w/main.S", FILES["/w/main.S"]!, read);
  assert.deepEqual(a.problems, []);
  return { names: a.names, defines: a.defines, stale: false };
};
const at = (line: number) => ({ file: "/w/main.S", line });

describe("hover on the guest's names", () => {
  it("gives a label's address from the assembly and where it is defined", () => {
    // The address of the instruction on a line, from the assembler's line table.
    const lines = assemble("/w/main.S", read).lineTable;
    const addressOf = (line: number) => `0x${lines.find((l) => l.line === line)!.address.toString(16)}`;
    const t = table();
    assert.equal(nameMarkdown(t, "puts", at(11)), `\`puts\`: label at \`${addressOf(14)}\`, defined on line 13`);
    assert.equal(nameMarkdown(t, ".Lloop", at(8)), `\`.Lloop\`: label at \`${addressOf(11)}\`, defined on line 10`, "local labels too");
    assert.equal(nameMarkdown(t, "_start", at(8)), "`_start`: label at `0x80000000`, defined on line 6");
  });

  it("gives an .equ's value", () => {
    assert.equal(nameMarkdown(table(), "COUNT", at(9)), "`COUNT` = `3` (`.equ`), defined on line 4");
  });

  it("gives a #define's body and its value, from an included file too", () => {
    const t = table();
    assert.equal(nameMarkdown(t, "UART_BASE", at(7)), "```\n#define UART_BASE 0x10000000\n```\n\ndefined on uart.h, line 1");
    assert.equal(nameMarkdown(t, "UART_LSR", at(7)), "```\n#define UART_LSR (UART_BASE + 5)\n```\n\n= `0x10000005` (268435461), defined on uart.h, line 2");
    assert.equal(nameMarkdown(t, "PUT", at(9)), "```\n#define PUT(c) li a0, c\n```\n\ndefined on line 3");
  });

  it("takes the #define in force at the hovered line", () => {
    const t = table();
    assert.match(nameMarkdown(t, "STEP", at(5))!, /#define STEP 1[\s\S]*line 2$/);
    assert.match(nameMarkdown(t, "STEP", at(13))!, /#define STEP 2[\s\S]*line 12$/);
  });

  it("keeps the last addresses while the file has errors, and says so; #defines come from the failed assembly", () => {
    const broken = assembleForEditor("/w/main.S", FILES["/w/main.S"]!.replace("  nop", "  nop a0\n#define LATE 7"), read);
    assert.equal(broken.problems.length, 1);
    assert.deepEqual(broken.names, [], "no addresses without a link");
    const t: NameTable = { names: table().names, defines: broken.defines, stale: true };
    assert.match(nameMarkdown(t, "puts", at(11))!, /label at `0x8\w+`, defined on line 13\n\n_From the last assembly without errors\._$/);
    assert.match(nameMarkdown(t, "LATE", at(20))!, /#define LATE 7/);
  });

  it("knows nothing of other words", () => {
    assert.equal(nameMarkdown(table(), "printf", at(1)), undefined);
  });
});
