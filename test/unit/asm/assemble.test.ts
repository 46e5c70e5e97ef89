/** Behaviour of the assembler's API: images, symbols, line tables, guest images and error reporting. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../../src/asm/assemble";
import { readGuestImage } from "../../../src/asm/guest_image";
import { withoutDotSegments } from "../../../src/asm/source";

const files = (map: Record<string, string>) => (p: string) => map[p];

test("a program becomes segments at 0x80000000 with _start as entry and its symbols", () => {
  const r = assemble("m.s", files({ "m.s": ".text\nfoo: nop\n.globl _start\n.type _start, @function\n_start: li a0, 1\nret\n.size _start, .-_start\n.data\nv: .word 7\n" }));
  assert.deepEqual(r.errors, []);
  assert.equal(r.program!.entry, 0x80000002n);
  assert.equal(r.program!.segments[0]!.paddr, 0x8000_0000);
  assert.deepEqual([...r.program!.segments[0]!.data], [0x01, 0x00, 0x05, 0x45, 0x82, 0x80]);
  const start = r.symbols.find((s) => s.name === "_start")!;
  assert.deepEqual(start, { name: "_start", address: 0x80000002n, size: 4n, isFunction: true });
  const v = r.symbols.find((s) => s.name === "v")!;
  assert.equal(v.address, 0x80001006n); // DATA_SEGMENT_ALIGN: next page, same offset
  assert.deepEqual([...r.program!.segments[1]!.data], [7, 0, 0, 0]);
});

test("the line table maps macro expansions to the invocation line and follows .include", () => {
  const r = assemble(
    "m.S",
    files({
      "m.S": '.macro two\nnop\nnop\n.endm\n_start:\n  two\n  .include "inc.s"\n  ret\n',
      "inc.s": "addi a0, a0, 1\n",
    }),
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.lineTable.map((l) => [Number(l.address - 0x80000000n), l.file, l.line]),
    [[0, "m.S", 6], [2, "m.S", 6], [4, "inc.s", 1], [6, "m.S", 8]],
  );
});

test("every error in a file is reported with file, line, column and what was expected", () => {
  const r = assemble("bad.s", files({ "bad.s": "_start:\n  addi a0, a1\n  lw a0, 4(q9)\n  frob a0\n  li a0, undefined_sym\n  .word 1, \n  addi a0, a0, 5000\n" }));
  const got = r.errors.map((e) => [e.line, e.column, e.message]);
  assert.equal(r.program, undefined);
  assert.deepEqual(got.map((g) => g[0]), [2, 3, 4, 5, 6, 7]);
  assert.match(String(got[0]![2]), /two registers and an immediate/);
  assert.equal(got[1]![1], 12);
  assert.match(String(got[1]![2]), /expected a base register/);
  assert.match(String(got[2]![2]), /unknown instruction 'frob'/);
  assert.match(String(got[3]![2]), /li needs a constant/);
  assert.match(String(got[5]![2]), /out of range; expected -2048..2047/);
});

test("undefined symbols are reported at the line that uses them", () => {
  const r = assemble("u.s", files({ "u.s": "_start:\n  call nowhere\n  j _start\n" }));
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.line, 2);
  assert.match(r.errors[0]!.message, /undefined symbol 'nowhere'/);
});

test("#include keeps every line of the included file, its last one too", () => {
  const r = assemble("main.S", files({ "main.S": '#include "lib.S"\n', "lib.S": "_start: nop\nlast:" }));
  assert.deepEqual(r.errors, []);
  assert.ok(r.symbols.some((s) => s.name === "last"));
});

test("an included file is named by its plain path, without . or .. segments", () => {
  const r = assemble("/w/lesson/main.S", files({ "/w/lesson/main.S": '#include "../shared/./lib.S"\n', "/w/shared/lib.S": "_start: nop\n" }));
  assert.deepEqual(r.errors, []);
  assert.deepEqual([...new Set(r.lineTable.map((l) => l.file))], ["/w/shared/lib.S"]);
  assert.equal(withoutDotSegments("../a/./b/../c"), "../a/c");
});

test("runaway .rept, recursive macros and recursive includes end with a clear error", () => {
  const t0 = Date.now();
  const bomb = assemble("b.s", files({ "b.s": ".rept 100000\n.rept 100000\nnop\n.endr\n.endr\n" }));
  assert.match(bomb.errors[0]!.message, /preprocessing would read more than 1,000,000 source lines/);
  const rec = assemble("r.s", files({ "r.s": ".macro m\nm\n.endm\nm\n" }));
  assert.match(rec.errors[0]!.message, /nested more than 100 deep/);
  const inc = assemble("i.s", files({ "i.s": '.include "i.s"\n' }));
  assert.match(inc.errors[0]!.message, /nested more than 40 deep/);
  const cpp = assemble("c.S", files({ "c.S": '#include "c.S"\n' }));
  assert.match(cpp.errors[0]!.message, /nested more than 40 deep/);
  const selfMacro = assemble("d.S", files({ "d.S": "#define A A B\n#define B A\nli a0, A\n" }));
  assert.ok(selfMacro.errors.length > 0);
  assert.ok(Date.now() - t0 < 10_000);
});

test("readGuestImage assembles .S sources and reports their errors", () => {
  const ok = readGuestImage("g.S", new TextEncoder().encode("#define N 3\n_start: li a0, N\n"));
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.equal(ok.program.entry, 0x80000000n);
    assert.deepEqual(ok.program.lineTable, [{ address: 0x80000000n, file: "g.S", line: 2 }]);
  }
  const bad = readGuestImage("g.s", new TextEncoder().encode("_start: bogus\nalso bad\n"));
  assert.ok(!bad.ok);
  if (!bad.ok) {
    assert.match(bad.error, /^g\.s:1:9: unknown instruction 'bogus' \(and 1 more error\)$/);
    assert.equal(bad.diagnostics!.length, 2);
  }
  const neither = readGuestImage("g.bin", new Uint8Array([1, 2, 3]));
  assert.ok(!neither.ok);
});
