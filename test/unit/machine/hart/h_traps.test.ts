import assert from "node:assert/strict";
import { test } from "node:test";
import { CSR } from "../../../../src/isa/csrs";
import type { Board } from "../../../../src/machine/board";
import { ins, RAM } from "./encode";
import { bootGuest, csrr, runToTrap } from "./harness";

const ILLEGAL = csrr(5, CSR.mstatus); // illegal (2) in VS and VU
const LOOP = ins("jal", 0, 0);
const INT = 1n << 63n;
const VEC = BigInt(RAM + 0x100);
const bit = (v: bigint | number | undefined, n: number) => (BigInt(v ?? 0) >> BigInt(n)) & 1n;

test("an exception from VS that medeleg and hedeleg delegate goes to VS: vs* CSRs, V stays 1", () => {
  const b = bootGuest([ILLEGAL], 1, true, (g) => {
    g.hart.writeCsr(CSR.medeleg, 1n << 2n);
    g.hart.writeCsr(CSR.hedeleg, 1n << 2n);
    g.hart.vstvec = VEC;
    g.hart.vsstatus = 2; // SIE
  });
  const t = runToTrap(b);
  const h = b.hart;
  assert.deepEqual([t.cause, t.tval], [2n, BigInt(ILLEGAL)], "the cause is not shifted for exceptions");
  assert.deepEqual([h.virt, h.prv, h.pc], [true, 1, VEC]);
  assert.deepEqual([h.vscause, h.vstval, h.vsepc], [2n, BigInt(ILLEGAL), BigInt(RAM)]);
  assert.deepEqual([bit(h.vsstatus, 8), bit(h.vsstatus, 5), bit(h.vsstatus, 1)], [1n, 1n, 0n], "SPP = VS, SPIE = old SIE");
  assert.deepEqual([h.scause, h.hstatus, h.mcause], [0n, 0, 0n], "HS and M untouched");
});

test("an exception from V=1 that only medeleg delegates goes to HS: SPV, SPVP, GVA = 0, htval/htinst = 0", () => {
  for (const prv of [1, 0]) {
    const b = bootGuest([ILLEGAL], prv, true, (g) => {
      g.hart.writeCsr(CSR.medeleg, 1n << 2n);
      g.hart.stvec = VEC;
      g.hart.hstatus = 1 << 6; // GVA, to see it cleared
    });
    runToTrap(b);
    const h = b.hart;
    assert.deepEqual([h.virt, h.prv, h.pc, h.scause, h.sepc], [false, 1, VEC, 2n, BigInt(RAM)]);
    assert.deepEqual([bit(h.hstatus, 7), bit(h.hstatus, 8), bit(h.hstatus, 6)], [1n, BigInt(prv), 0n], "SPV, SPVP, GVA");
    assert.equal(bit(h.mstatus, 8), BigInt(prv), "sstatus.SPP");
    assert.deepEqual([h.htval, h.htinst], [0n, 0n]);
  }
});

test("ecall: 10 from VS, 8 from VU, 9 from HS; hedeleg can send VU's to VS, never VS's", () => {
  const cause = (prv: number, virt: boolean, setup?: (b: Board) => void) => runToTrap(bootGuest([ins("ecall")], prv, virt, setup)).cause;
  assert.equal(cause(1, true), 10n);
  assert.equal(cause(0, true), 8n);
  assert.equal(cause(1, false), 9n);
  const deleg = (b: Board) => {
    b.hart.writeCsr(CSR.medeleg, (1n << 8n) | (1n << 10n));
    b.hart.writeCsr(CSR.hedeleg, -1n);
  };
  const vu = bootGuest([ins("ecall")], 0, true, deleg);
  runToTrap(vu);
  assert.deepEqual([vu.hart.virt, vu.hart.vscause], [true, 8n]);
  const vs = bootGuest([ins("ecall")], 1, true, deleg);
  runToTrap(vs);
  assert.deepEqual([vs.hart.virt, vs.hart.scause], [false, 10n], "hedeleg bit 10 is read-only 0");
});

test("a trap from V=1 into M sets MPV and MPP; mret returns into VS; MPV is cleared", () => {
  const b = bootGuest([ILLEGAL], 1, true, (g) => (g.hart.mtvec = VEC));
  runToTrap(b);
  const h = b.hart;
  assert.deepEqual([h.virt, h.prv, h.mcause], [false, 3, 2n]);
  const ms = h.readCsr(CSR.mstatus)!;
  assert.deepEqual([bit(ms, 39), (ms >> 11n) & 3n, bit(ms, 38)], [1n, 1n, 0n], "MPV, MPP, GVA");
  h.mret();
  assert.deepEqual([h.virt, h.prv, h.pc, bit(h.readCsr(CSR.mstatus), 39)], [true, 1, BigInt(RAM), 0n]);
});

test("sret in HS with SPV = 1 enters VS at sepc; sret in VS returns through vsstatus and vsepc", () => {
  const b = bootGuest([ins("sret"), LOOP, ins("sret"), LOOP, ins("ecall")], 1, false, (g) => {
    g.hart.hstatus = 1 << 7; // SPV
    g.hart.writeCsr(CSR.sstatus, 1n << 8n); // SPP = S
    g.hart.sepc = BigInt(RAM + 8);
    g.hart.vsepc = BigInt(RAM + 16);
    g.hart.vsstatus = 1 << 5; // SPIE, SPP = U
  });
  const t = runToTrap(b);
  const h = b.hart;
  assert.deepEqual([t.cause, t.pc], [8n, BigInt(RAM + 16)], "ecall from VU");
  assert.equal(bit(h.hstatus, 7), 0n, "the first sret cleared SPV");
  assert.deepEqual([bit(h.vsstatus, 1), bit(h.vsstatus, 5)], [1n, 1n], "SIE = SPIE, SPIE = 1");
  assert.equal(bit(h.readCsr(CSR.mstatus), 39), 1n, "came from V=1");
});

/** A VS (or VU) guest spinning with VSTIP pending in hvip and enabled in hie. */
function vsTimer(prv: number, hideleg: number, vsSie: boolean): Board {
  return bootGuest([LOOP], prv, true, (g) => {
    const h = g.hart;
    h.writeCsr(CSR.hideleg, BigInt(hideleg));
    h.writeCsr(CSR.hie, 1n << 6n);
    h.hvip = 1 << 6;
    h.vstvec = VEC | 1n; // vectored
    h.stvec = VEC;
    h.vsstatus = vsSie ? 2 : 0;
  });
}

test("hvip.VSTIP delegated by hideleg reaches VS as a supervisor timer interrupt (5), vectored", () => {
  const b = vsTimer(1, 0x40, true);
  const t = runToTrap(b, 100);
  const h = b.hart;
  assert.equal(t.cause, INT | 5n);
  assert.deepEqual([h.virt, h.vscause, h.pc], [true, INT | 5n, VEC + 20n]);
  assert.equal(h.readCsr(CSR.vsip), 1n << 5n, "vsip.STIP");
});

test("VS-level interrupts need vsstatus.SIE in VS, never in VU; undelegated they go to HS whatever sstatus.SIE", () => {
  const masked = vsTimer(1, 0x40, false);
  masked.hart.onTrap = () => true;
  assert.equal(masked.run(50).kind, "budget");
  assert.equal(runToTrap(vsTimer(0, 0x40, false), 100).cause, INT | 5n);
  const hs = vsTimer(1, 0, false);
  const t = runToTrap(hs, 100);
  assert.equal(t.cause, INT | 6n, "HS sees VSTI as 6");
  assert.deepEqual([hs.hart.virt, hs.hart.scause, bit(hs.hart.hstatus, 7)], [false, INT | 6n, 1n]);
});

test("M-level interrupts come before HS, HS before VS", () => {
  const b = vsTimer(1, 0x40, true);
  b.hart.writeCsr(CSR.mie, (1n << 6n) | (1n << 9n));
  b.hart.mipSw = 1 << 9; // SEIP (HS-level, not delegated by hideleg: it cannot be)
  b.hart.writeCsr(CSR.mideleg, 1n << 9n);
  assert.equal(runToTrap(b, 100).cause, INT | 9n);
  assert.equal(b.hart.virt, false);
});
