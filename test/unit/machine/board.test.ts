import assert from "node:assert/strict";
import { test } from "node:test";
import { Board, BoardOptionsError, LoadError } from "../../../src/machine/board";
import { ins, li, program, RAM } from "./hart/encode";
import { EBREAK } from "./hart/harness";

test("load: places segments, zero-fills memsz, resets to M-mode at the entry with a0 = a1 = a2 = 0", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  b.hart.setReg(11, 5n);
  b.load({ entry: BigInt(RAM + 4), segments: [{ paddr: RAM, data: Uint8Array.of(1, 2, 3, 4, 0x13, 0, 0, 0), memsz: 16 }] });
  assert.equal(b.hart.pc, BigInt(RAM + 4));
  assert.equal(b.hart.priv, 3);
  assert.deepEqual([10, 11, 12].map((i) => b.hart.getReg(i)), [0n, 0n, 0n]);
  assert.deepEqual([...b.ram.bytes.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(b.instret, 0n);
  assert.throws(() => b.load({ entry: 0n, segments: [{ paddr: 0x1000, data: new Uint8Array(4), memsz: 4 }] }), LoadError);
  assert.throws(() => b.load({ entry: 0n, segments: [{ paddr: RAM + (1 << 20) - 2, data: new Uint8Array(4), memsz: 4 }] }), /segment 0 .* outside RAM/);
  assert.throws(() => new Board({ memoryBytes: 1000 }), BoardOptionsError);
});

test("run counts budget; step runs exactly one instruction; instret follows", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  b.load(program([ins("addi", 1, 1, 1), ins("jal", 0, -4)]));
  assert.deepEqual(b.run(1001), { kind: "budget" });
  assert.equal(b.instret, 1001n);
  assert.equal(b.hart.getReg(1), 501n);
  assert.deepEqual(b.step(), { kind: "budget" });
  assert.equal(b.instret, 1002n);
});

test("breakpoints stop before the instruction; resuming from one executes it", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  b.load(program([ins("addi", 1, 1, 1), ins("addi", 2, 2, 1), ins("jal", 0, -8)]));
  b.hart.breakpoints.add(BigInt(RAM + 4));
  assert.deepEqual(b.run(100), { kind: "breakpoint", pc: BigInt(RAM + 4) });
  assert.equal(b.hart.getReg(2), 0n);
  assert.deepEqual(b.run(100), { kind: "breakpoint", pc: BigInt(RAM + 4) });
  assert.deepEqual([b.hart.getReg(1), b.hart.getReg(2)], [2n, 1n]);
  b.hart.breakpoints.clear();
  assert.deepEqual(b.run(30), { kind: "budget" });
});

test("write watches see guest stores (HTIF style); data watches stop after the access; halt ends the run", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  b.load(program([...li(5, BigInt(RAM + 0x1000)), ...li(6, 0x1234n), ins("sd", 6, 5, 0), ins("lw", 7, 5, 4), ins("sw", 6, 5, 8), EBREAK]));
  const seen: [number, bigint, number][] = [];
  const off = b.watchWrites(RAM + 0x1000, 8, (pa, v, w) => { seen.push([pa, v, w]); if (v === 0x1234n) b.halt(3, "htif"); });
  assert.deepEqual(b.run(100), { kind: "halt", code: 3, how: "htif" });
  assert.deepEqual(seen, [[RAM + 0x1000, 0x1234n, 8]]);
  off();
  b.load(program([...li(5, BigInt(RAM + 0x1000)), ins("lw", 7, 5, 4), ins("sw", 6, 5, 8), EBREAK]));
  b.watchData(RAM + 0x1008, 4, { write: true });
  const r = b.run(100);
  assert.equal(r.kind, "watchpoint");
  assert.deepEqual(r, { kind: "watchpoint", pc: BigInt(RAM + 16), pa: RAM + 0x1008, size: 4, write: true }); // li takes 3 instructions
  assert.equal(b.hart.pc, BigInt(RAM + 20), "stopped after the store");
});

test("self-modifying code: a store over decoded code takes effect on the next execution", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  // loop twice over "addi x1, x1, 1"; after the first pass, overwrite it with "addi x1, x1, 100"
  const patched = ins("addi", 1, 1, 100);
  b.load(program([
    ...li(5, BigInt(RAM + 4 * 6)), ...li(6, BigInt(patched)), ins("addi", 7, 0, 2),
    ins("addi", 1, 1, 1), // at RAM + 24
    ins("sw", 6, 5, 0), ins("addi", 7, 7, -1), ins("bne", 7, 0, -12), EBREAK,
  ]));
  b.hart.onTrap = () => true;
  b.run(1000);
  assert.equal(b.hart.getReg(1), 101n);
});

test("irqLine drives mip; the interrupt is taken at the next boundary", () => {
  const b = new Board({ memoryBytes: 1 << 20 });
  b.load(program([ins("addi", 1, 1, 1), ins("jal", 0, -4)]));
  b.clint.mtimecmp = (1n << 64n) - 1n;
  b.hart.writeCsr(0x304, 1n << 11n);
  b.hart.writeCsr(0x300, 8n);
  assert.equal(b.run(10).kind, "budget");
  b.irqLine(11).set(true);
  assert.equal(b.hart.readCsr(0x344), 1n << 11n);
  b.hart.onTrap = () => true;
  const r = b.run(10);
  assert.equal(r.kind, "trap");
  assert.equal((r as { cause: bigint }).cause, (1n << 63n) | 11n);
});
