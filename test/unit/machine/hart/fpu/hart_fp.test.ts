/**
 * The hart's F and D plumbing (the arithmetic is softfloat.test.ts's and the oracle's): the cpu
 * properties f/d, mstatus.FS with V=1 (both FS fields gate and both become Dirty), NaN-boxing on
 * loads and moves, and reserved rounding modes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CSR } from "../../../../../src/isa/csrs";
import { instructionByName } from "../../../../../src/isa/instructions";
import { boot, bootGuest, csrr, EBREAK, runToEbreak, runToTrap } from "../harness";

/** An F/D instruction by name with rd, rs1, rs2 and the rounding-mode field. */
const fp = (name: string, rd: number, rs1: number, rs2 = 0, rm = 7): number => {
  const s = instructionByName(name)!;
  const rmBits = s.operands?.endsWith("m") ? rm << 12 : 0;
  return (s.match | (rd << 7) | (rs1 << 15) | (rs2 << 20) | rmBits) >>> 0;
};
const FS = 3n << 13n;

test("cpu f=false,d=false: misa without F and D, every F/D instruction and FP CSR illegal", () => {
  for (const [f, d, misa] of [[false, false, 0n], [true, false, 1n << 5n], [true, true, (1n << 5n) | (1n << 3n)]] as const) {
    const b = boot([fp("fadd.d", 1, 2, 3), EBREAK], { f, d });
    b.hart.writeCsr(CSR.mstatus, FS);
    assert.equal(b.hart.readCsr(CSR.misa)! & ((1n << 5n) | (1n << 3n)), misa);
    assert.equal(b.hart.readCsr(CSR.mstatus)! & FS, f ? FS : 0n, "FS is read-only 0 without F");
    assert.equal(b.hart.readCsr(CSR.fcsr) === undefined, !f);
    const t = runToTrap(b);
    assert.equal(t.cause, d ? 3n : 2n, `fadd.d on f=${f} d=${d}`);
  }
  const single = boot([fp("fadd.s", 1, 2, 3), EBREAK], { d: false });
  single.hart.writeCsr(CSR.mstatus, FS);
  assert.equal(runToTrap(single).cause, 3n, "fadd.s runs with F alone");
});

test("with V=1 both mstatus.FS and vsstatus.FS must be on, and an FP write dirties both", () => {
  const add = fp("fadd.d", 1, 2, 3);
  for (const [ms, vs, traps] of [[0n, 1n, true], [1n, 0n, true], [1n, 1n, false]] as const) {
    const b = bootGuest([add, EBREAK], 1, true, (g) => {
      g.hart.mstatus = Number(ms << 13n);
      g.hart.vsstatus = Number(vs << 13n);
    });
    const t = runToTrap(b);
    assert.equal(t.cause, traps ? 2n : 3n, `mstatus.FS ${ms}, vsstatus.FS ${vs}`);
    if (!traps) {
      assert.equal(b.hart.readCsr(CSR.mstatus)! & FS, FS);
      assert.equal(b.hart.readCsr(CSR.vsstatus)! & FS, FS);
      assert.equal(b.hart.readCsr(CSR.vsstatus)! >> 63n, 1n, "vsstatus.SD");
    }
  }
  const csr = bootGuest([csrr(5, CSR.fflags)], 1, true, (g) => {
    g.hart.mstatus = 1 << 13;
  });
  assert.equal(runToTrap(csr).cause, 2n, "fflags with vsstatus.FS = Off: illegal, not virtual instruction");
});

test("NaN-boxing: flw and fmv.w.x box, fmv.x.w sign-extends, an unboxed single is the canonical NaN", () => {
  const b = boot([fp("fmv.w.x", 1, 5), fp("fmv.x.w", 6, 1), fp("fmv.d.x", 2, 7), fp("fadd.s", 3, 2, 2), fp("fsgnjn.s", 4, 2, 2), EBREAK]);
  b.hart.writeCsr(CSR.mstatus, FS);
  b.hart.setReg(5, 0x12345678bf800000n);
  b.hart.setReg(7, 0x3f800000n);
  runToEbreak(b);
  assert.equal(b.hart.f[1], 0xffffffffbf800000n);
  assert.equal(b.hart.getReg(6), 0xffffffffbf800000n, "fmv.x.w sign-extends bit 31");
  assert.equal(b.hart.f[3], 0xffffffff7fc00000n, "fadd.s of an unboxed operand: the canonical NaN");
  assert.equal(b.hart.f[4], 0xffffffffffc00000n, "sign injection reads it as the canonical NaN too");
  assert.equal(b.hart.readCsr(CSR.fflags), 0n, "a quiet NaN raises nothing");
});

test("reserved rounding modes: rm 5 and 6 in the instruction, or frm 5–7 under dyn, are illegal", () => {
  for (const [rm, frm, traps] of [[5, 0, true], [6, 0, true], [7, 5, true], [7, 7, true], [7, 4, false], [1, 7, false]] as const) {
    const b = boot([fp("fsqrt.d", 1, 2, 0, rm), EBREAK]);
    b.hart.writeCsr(CSR.mstatus, FS);
    b.hart.writeCsr(CSR.frm, BigInt(frm));
    const t = runToTrap(b);
    assert.equal(t.cause, traps ? 2n : 3n, `rm ${rm}, frm ${frm}`);
  }
});
