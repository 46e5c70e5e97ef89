import assert from "node:assert/strict";
import { test } from "node:test";
import { ins, li } from "./encode";
import { boot, csrr, csrw, EBREAK, openPmp, runToEbreak, runToTrap, u64 } from "./harness";

const MSTATUS = 0x300, SSTATUS = 0x100;

test("WARL fields read back as the spec allows for RV64IMAC M/S/U (medeleg[11] and the H/LCOFI interrupt bits read-only zero), and misa is RV64 ACDFIMSU", () => {
  const code = [
    ...li(1, -1n),
    csrw(0x302, 1), csrr(2, 0x302), // medeleg
    csrw(0x303, 1), csrr(3, 0x303), // mideleg
    csrw(0x304, 1), csrr(4, 0x304), // mie
    csrw(0x30a, 1), csrr(5, 0x30a), // menvcfg
    csrw(0x10a, 1), csrr(6, 0x10a), // senvcfg
    csrw(0x306, 1), csrr(7, 0x306), // mcounteren
    csrw(0x342, 1), csrr(8, 0x342), // mcause
    csrr(9, 0x301), // misa
    csrr(10, MSTATUS),
    ...li(11, 0x80000003n), csrw(0x341, 11), csrr(12, 0x341), // mepc bit 0 clears
    ...li(13, 0x80000100n), csrw(0x305, 13), ...li(14, 0x80000202n), csrw(0x305, 14), csrr(15, 0x305), // mtvec mode 2 ignored
    ...li(16, 0x9000000000080000n), csrw(0x180, 16), csrr(17, 0x180), // satp Sv48 ignored
    ...li(18, 0x8000ffffffffffffn), csrw(0x180, 18), csrr(19, 0x180),
    ...li(20, 0x1000n), ins("csrrs", 0, MSTATUS, 20), csrr(21, MSTATUS), // MPP=2 not stored
    csrw(0x3b0, 1), csrr(22, 0x3b0), // pmpaddr0: 54 bits
    csrr(23, 0xf14), csrr(24, 0xf15), csrr(25, 0xb03),
    EBREAK,
  ];
  const b = boot(code);
  runToEbreak(b);
  const r = (i: number) => b.hart.getReg(i);
  // QEMU 7.2 keeps 0xf0bfff, 0x2666 and 0x2eee (the hypervisor's bits even without H): lockstep.ts rule 9.
  assert.equal(r(2), 0xb3ffn, "medeleg: causes 0–9, 12, 13, 15; not 11 (ecall from M) nor H's 10, 20–23");
  assert.equal(r(3), 0x222n, "mideleg: SSI, STI, SEI");
  assert.equal(r(4), 0xaaan, "mie: SSIE, MSIE, STIE, MTIE, SEIE, MEIE");
  assert.equal(r(5), 0xc0000000000000f1n);
  assert.equal(r(6), 0xf1n);
  assert.equal(r(7), u64(-1n));
  assert.equal(r(8), u64(-1n));
  assert.equal(r(9), 0x800000000014112dn);
  assert.equal(r(10), 0xa00000000n);
  assert.equal(r(12), 0x80000002n);
  assert.equal(r(15), 0x80000100n);
  assert.equal(r(17), 0n);
  assert.equal(r(19), 0x8000ffffffffffffn);
  assert.equal(r(21), 0xa00000000n);
  assert.equal(r(22), (1n << 54n) - 1n);
  assert.deepEqual([r(23), r(24), r(25)], [0n, 0n, 0n]);
});

test("sstatus is a view of mstatus: shared bits, UXL visible, M-only bits hidden and unwritable", () => {
  const code = [
    ...li(1, (1n << 3n) | (1n << 1n) | (1n << 18n) | (3n << 11n)), csrw(MSTATUS, 1), // MIE SIE SUM MPP=M
    csrr(2, SSTATUS),
    ...li(3, -1n), csrw(SSTATUS, 3), csrr(4, MSTATUS),
    ...li(5, 0n), csrw(SSTATUS, 5), csrr(6, MSTATUS),
    EBREAK,
  ];
  const b = boot(code);
  runToEbreak(b);
  assert.equal(b.hart.getReg(2), (2n << 32n) | (1n << 18n) | 2n);
  // writing all ones through sstatus sets SIE SPIE SPP FS SUM MXR only (and SD follows FS = Dirty)
  assert.equal(b.hart.getReg(4), (1n << 63n) | 0xa00000000n | 0x1808n | 0xc6122n);
  assert.equal(b.hart.getReg(6), 0xa00000000n | 0x1808n);
});

test("counters: minstret/mcycle count retired instructions, a write replaces the writer's own increment, time from the CLINT, mcountinhibit", () => {
  const code = [
    ins("addi", 0, 0, 0), ins("addi", 0, 0, 0),
    csrr(1, 0xb02), csrr(2, 0xc00), // 2 and 3 before them
    ...li(3, 1000n), csrw(0xb02, 3), csrr(4, 0xb02), // the spec: 1000 (QEMU 7.2: 1001, lockstep.ts rule 3)
    ...li(5, 5n), csrw(0x320, 5), ins("addi", 0, 0, 0), csrr(6, 0xb00), ins("addi", 0, 0, 0), csrr(7, 0xb00), // CY inhibited: frozen
    csrr(8, 0xc01),
    EBREAK,
  ];
  const b = boot(code, { instructionsPerTick: 3 });
  runToEbreak(b);
  assert.equal(b.hart.getReg(1), 2n);
  assert.equal(b.hart.getReg(2), 3n);
  assert.equal(b.hart.getReg(4), 1000n);
  assert.equal(b.hart.getReg(6), b.hart.getReg(7));
  const at = b.hart.retired - 1; // csrr time is the instruction before ebreak
  assert.equal(b.hart.getReg(8), BigInt(Math.floor(at / 3)));
});

test("a CSR write to mcycle or minstret is what the next instruction reads, for every CSR instruction form", () => {
  // Unprivileged spec 20191213, 9.1: "If a CSR access instruction writes such a CSR, the write is done
  // instead of the increment. In particular, a value written to instret by one instruction will be the
  // value read by the following instruction." mcycle counts instructions here, so it is such a CSR too.
  const code = [
    ...li(1, 1000n),
    csrw(0xb00, 1), csrr(2, 0xb00), csrr(3, 0xc00), // 1000, then 1001 through the user alias
    ins("csrrw", 4, 0xb02, 1), csrr(5, 0xb02), csrr(6, 0xc02), // the 4 instructions before it; 1000; 1001
    ins("addi", 7, 0, 0x10), ins("csrrs", 0, 0xb02, 7), csrr(8, 0xb02), // 1003 | 0x10 = 1019
    ins("csrrci", 0, 0xb00, 0x1f), csrr(9, 0xb00), // 1007 & ~0x1f = 992
    ins("csrrwi", 0, 0xb02, 0), csrr(10, 0xb02), ins("addi", 0, 0, 0), csrr(11, 0xb02), // 0; 2
    EBREAK,
  ];
  const b = boot(code);
  runToEbreak(b);
  const r = (i: number) => b.hart.getReg(i);
  assert.deepEqual([r(2), r(3)], [1000n, 1001n], "mcycle");
  assert.equal(r(4), 4n, "csrrw returns the count before the writing instruction");
  assert.deepEqual([r(5), r(6)], [1000n, 1001n], "minstret");
  assert.equal(r(8), 1019n, "csrrs: the written value replaces the increment");
  assert.equal(r(9), 992n, "csrrci on mcycle");
  assert.deepEqual([r(10), r(11)], [0n, 2n]);
});

test("writeCsr (the debugger's write, between instructions) sets mcycle/minstret to the value itself; inhibited counters keep it", () => {
  const b = boot([ins("addi", 0, 0, 0), ins("addi", 0, 0, 0), EBREAK]);
  b.step();
  b.hart.writeCsr(0xb02, 500n);
  b.hart.writeCsr(0xb00, 700n);
  assert.deepEqual([b.hart.readCsr(0xb02), b.hart.readCsr(0xb00), b.hart.readCsr(0xc02)], [500n, 700n, 500n]);
  b.step();
  assert.deepEqual([b.hart.readCsr(0xb02), b.hart.readCsr(0xb00)], [501n, 701n]);
  b.hart.writeCsr(0x320, 5n); // CY and IR inhibited
  b.hart.writeCsr(0xb02, 9n);
  runToEbreak(b);
  assert.deepEqual([b.hart.readCsr(0xb02), b.hart.readCsr(0xb00)], [9n, 701n]);
});

test("user counters obey mcounteren (S) and mcounteren & scounteren (U)", () => {
  for (const [priv, m, s, ok] of [[1, 0n, 0n, false], [1, 1n, 0n, true], [0, 1n, 0n, false], [0, 1n, 1n, true], [0, 0n, 1n, false]] as const) {
    const b = boot([csrr(1, 0xc00), EBREAK]);
    openPmp(b);
    b.hart.writeCsr(0x306, m);
    b.hart.writeCsr(0x106, s);
    b.hart.priv = priv;
    const t = runToTrap(b);
    assert.equal(t.cause, ok ? 3n : 2n, `priv ${priv} mcounteren ${m} scounteren ${s}`);
    if (!ok) assert.equal(t.tval, BigInt(csrr(1, 0xc00)));
  }
});

test("illegal CSR accesses: unimplemented, read-only write, privilege, TVM", () => {
  const cases: [number[], number, boolean][] = [
    [[csrr(1, 0x7a0)], 3, false], // tselect not implemented
    [[csrr(1, 0x3c0)], 3, false], // pmpaddr16
    [[csrr(1, 0x3a1)], 3, false], // pmpcfg1 is RV32-only
    [[csrr(1, 0x600)], 3, false], // hstatus (no H yet)
    [[csrr(1, 0x001)], 3, false], // fflags (no F)
    [[csrw(0xf14, 0)], 3, false], // write mhartid
    [[ins("csrrs", 1, 0xf14, 0)], 3, true], // read-only read is fine
    // csrrs/csrrc with rs1 ≠ x0 write even when rs1 holds 0 (x5 is 0 here), so a read-only CSR traps:
    // unprivileged spec 20191213, 9.1. QEMU 7.2 reads without trapping (lockstep.ts rule 10).
    [[ins("csrrs", 1, 0xf14, 5)], 3, false],
    [[ins("csrrc", 1, 0xc00, 5)], 3, false],
    [[ins("csrrsi", 1, 0xc00, 0)], 3, true], // uimm = 0: no write
    [[csrr(1, 0x300)], 1, false], // S reads mstatus
    [[csrr(1, 0x100)], 0, false], // U reads sstatus
    [[csrr(1, 0x180)], 1, true],
  ];
  for (const [code, priv, ok] of cases) {
    const b = boot([...code, EBREAK]);
    openPmp(b);
    b.hart.priv = priv;
    const t = runToTrap(b);
    assert.equal(t.cause, ok ? 3n : 2n, `0x${code[0].toString(16)} in priv ${priv}`);
    if (!ok) assert.equal(t.tval, BigInt(code[0] >>> 0));
  }
  const b = boot([csrr(1, 0x180), EBREAK]);
  openPmp(b);
  b.hart.writeCsr(MSTATUS, 1n << 20n); // TVM
  b.hart.priv = 1;
  assert.equal(runToTrap(b).cause, 2n);
});

test("readCsr/writeCsr API: no side effects, undefined for unimplemented, read-only refused", () => {
  const b = boot([EBREAK]);
  assert.equal(b.hart.readCsr(0x7a0), undefined);
  assert.equal(b.hart.writeCsr(0xf14, 1n), false);
  assert.equal(b.hart.writeCsr(0x340, 0x1234n), true);
  assert.equal(b.hart.readCsr(0x340), 0x1234n);
  assert.equal(b.hart.readCsr(0x344)! & 0x80n, 0x80n, "MTIP pending from reset: mtimecmp = 0 as in QEMU");
});
