import assert from "node:assert/strict";
import { test } from "node:test";
import { ins, li, RAM } from "./encode";
import { boot, EBREAK, PageTables, PTE, runToEbreak, runToTrap, u64 } from "./harness";

const DATA = RAM + 0x8000;

test("PMP: S/U accesses fail with no entry; TOR/NA4/NAPOT permissions; tval is the address", () => {
  let b = boot([EBREAK]);
  b.hart.priv = 1;
  let t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [1n, BigInt(RAM)], "no PMP entry: S cannot even fetch");
  // entry 0: TOR [0, DATA) RWX; entry 1: NA4 at DATA read-only; entry 2: NAPOT 4 KiB at DATA+0x1000 no access
  const code = [...li(5, BigInt(DATA)), ins("lw", 6, 5, 0), ins("sw", 6, 5, 0)];
  b = boot([...code, EBREAK]);
  b.hart.writeCsr(0x3b0, BigInt(DATA / 4));
  b.hart.writeCsr(0x3b1, BigInt(DATA / 4));
  b.hart.writeCsr(0x3b2, BigInt((DATA + 0x1000) / 4) | 0x1ffn);
  b.hart.writeCsr(0x3a0, 0x0fn | (0x11n << 8n) | (0x18n << 16n));
  b.hart.priv = 0;
  t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [7n, BigInt(DATA)], "read allowed, write denied by NA4 R");
  b = boot([...li(5, BigInt(DATA + 0x1800)), ins("ld", 6, 5, 0)]);
  b.hart.writeCsr(0x3b0, BigInt(DATA / 4));
  b.hart.writeCsr(0x3b2, BigInt((DATA + 0x1000) / 4) | 0x1ffn);
  b.hart.writeCsr(0x3a0, 0x0fn | (0x18n << 16n));
  b.hart.priv = 1;
  t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [5n, BigInt(DATA + 0x1800)]);
});

test("PMP: M-mode is checked only against locked entries; locked entries ignore writes", () => {
  const b = boot([...li(5, BigInt(DATA)), ins("lw", 6, 5, 0), ins("sw", 6, 5, 0), EBREAK]);
  b.hart.writeCsr(0x3b0, BigInt(DATA / 4));
  b.hart.writeCsr(0x3a0, 0x91n); // NA4, R, locked
  b.hart.writeCsr(0x3a0, 0x9fn);
  b.hart.writeCsr(0x3b0, 0n);
  assert.equal(b.hart.readCsr(0x3a0), 0x91n);
  assert.equal(b.hart.readCsr(0x3b0), BigInt(DATA / 4));
  const t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [7n, BigInt(DATA)]);
});

test("PMP applies to page-table walks (as S-mode reads): a walk into a denied region is an access fault", () => {
  const b = boot([...li(5, 0x40000000n), ins("ld", 6, 5, 0), EBREAK]);
  const pt = new PageTables(b, RAM + 0x100000);
  pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
  pt.map(0x40000000, DATA, PTE.R | PTE.A);
  b.hart.writeCsr(0x3b0, BigInt((RAM + 0x100000) / 4)); // TOR [0, tables) RWX
  b.hart.writeCsr(0x3b1, BigInt((RAM + 0x110000) / 4)); // TOR [tables, +64K) no access
  b.hart.writeCsr(0x3b2, (1n << 54n) - 1n); // NAPOT all, RWX
  b.hart.writeCsr(0x3a0, 0x0fn | (0x08n << 8n) | (0x1fn << 16n));
  b.hart.writeCsr(0x180, pt.satp());
  b.hart.priv = 1;
  const t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [1n, BigInt(RAM)], "the fetch's own walk reads the denied root table");
});

test("LR/SC: success, failure without reservation, failure after the value changed, reservation cleared by traps", () => {
  const b = boot([
    ...li(5, BigInt(DATA)), ...li(6, 7n),
    ins("lr.d", 7, 5), ins("sc.d", 8, 5, 6), // success: x8 = 0
    ins("sc.d", 9, 5, 6), // no reservation: 1
    ins("lr.w", 10, 5), ins("sw", 0, 5, 0), ins("sc.w", 11, 5, 6), // value changed: 1
    ins("lr.w", 12, 5), ins("ecall"), ins("sc.w", 13, 5, 6), // trap in between: 1
    EBREAK,
  ]);
  b.ram.view.setBigUint64(DATA - RAM, 0x8000000011111111n, true);
  b.hart.writeCsr(0x305, BigInt(RAM + 0x400));
  // handler: csrr x1, mepc; addi x1, x1, 4; csrw mepc, x1; mret
  b.bus.writeBytes(RAM + 0x400, Uint8Array.from([
    ...le(ins("csrrs", 1, 0x341, 0)), ...le(ins("addi", 1, 1, 4)), ...le(ins("csrrw", 0, 0x341, 1)), ...le(0x30200073),
  ]));
  runToEbreak(b);
  const r = (i: number) => b.hart.getReg(i);
  assert.deepEqual([r(7), r(8), r(9), r(10), r(11), r(12), r(13)], [0x8000000011111111n, 0n, 1n, 7n, 1n, 0n, 1n]);
  const t = runToTrap(boot([...li(5, BigInt(DATA + 4)), ins("lr.d", 7, 5)]));
  assert.deepEqual([t.cause, t.tval], [4n, BigInt(DATA + 4)]);
});

test("SC is checked as a store with or without a reservation (as Spike): misaligned 6, page fault 15, PMP 7, nothing there 7", () => {
  // Unprivileged spec 20240411, "Zalrsc": "For the purposes of memory protection, a failed SC.W may be
  // treated like a store"; QEMU 7.2 fails an unreserved SC without these checks (lockstep.ts rule 24).
  const VA = 0x4000_0000;
  const sc = (addr: bigint, size: 4 | 8, withLr = false) =>
    [...li(5, addr), ...li(7, 0x55n), ...(withLr ? [ins("lr.w", 8, 5)] : []), ins(size === 4 ? "sc.w" : "sc.d", 7, 5, 6), EBREAK];
  const cases: [string, number[], (b: ReturnType<typeof boot>) => void, bigint, bigint][] = [
    ["misaligned sc.w", sc(BigInt(DATA + 2), 4), () => {}, 6n, BigInt(DATA + 2)],
    ["misaligned sc.d", sc(BigInt(DATA + 4), 8), () => {}, 6n, BigInt(DATA + 4)],
    ["nothing there", sc(0x1000n, 8), () => {}, 7n, 0x1000n],
    ["wild address", sc(1n << 60n, 8), () => {}, 7n, 1n << 60n],
    ["read-only page", sc(BigInt(VA), 4), (b) => readOnlyPage(b, VA), 15n, BigInt(VA)],
    ["read-only page, reserved", sc(BigInt(VA), 4, true), (b) => readOnlyPage(b, VA), 15n, BigInt(VA)],
    ["PMP read-only, U-mode", sc(BigInt(DATA), 4), (b) => {
      b.hart.writeCsr(0x3b0, BigInt(DATA / 4)); // TOR [0, DATA) RWX
      b.hart.writeCsr(0x3b1, BigInt(DATA / 4)); // NA4 at DATA: R
      b.hart.writeCsr(0x3a0, 0x0fn | (0x11n << 8n));
      b.hart.priv = 0;
    }, 7n, BigInt(DATA)],
  ];
  for (const [what, code, setup, cause, tval] of cases) {
    const b = boot(code);
    b.ram.view.setBigUint64(DATA - RAM, 0x1122334455667788n, true);
    setup(b);
    const t = runToTrap(b);
    assert.deepEqual([t.cause, t.tval], [cause, tval], what);
    assert.equal(b.hart.getReg(7), 0x55n, `${what}: rd is not written`);
    assert.equal(b.ram.view.getBigUint64(DATA - RAM, true), 0x1122334455667788n, `${what}: memory is unchanged`);
  }
});

test("an SC that fails for want of a reservation writes nothing, so a write watch does not fire; one that succeeds does", () => {
  const b = boot([...li(5, BigInt(DATA)), ...li(6, 9n), ins("sc.w", 7, 5, 6), ins("lr.w", 8, 5), ins("sc.w", 9, 5, 6), EBREAK]);
  const hits: [number, bigint][] = [];
  b.hart.addWatch({ pa: DATA, len: 4, read: false, write: true, onHit: (pa, v) => (hits.push([pa, v]), false) });
  runToEbreak(b);
  assert.deepEqual([b.hart.getReg(7), b.hart.getReg(9)], [1n, 0n]);
  assert.deepEqual(hits, [[DATA, 9n]]);
});

/** S-mode, Sv39: VA → DATA readable only (A set), RAM identity-mapped for the code. */
function readOnlyPage(b: ReturnType<typeof boot>, va: number): void {
  const pt = new PageTables(b, RAM + 0x100000);
  pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
  pt.map(va, DATA, PTE.R | PTE.A);
  b.hart.writeCsr(0x3b0, (1n << 54n) - 1n);
  b.hart.writeCsr(0x3a0, 0x1fn);
  b.hart.writeCsr(0x180, pt.satp());
  b.hart.priv = 1;
}

function le(w: number): number[] {
  return [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24];
}

test("AMOs .w and .d: old value to rd, result to memory; misaligned AMO raises 6", () => {
  const ops: [string, (a: bigint, b: bigint) => bigint][] = [
    ["amoswap", (_a, b) => b], ["amoadd", (a, b) => a + b], ["amoxor", (a, b) => a ^ b], ["amoand", (a, b) => a & b],
    ["amoor", (a, b) => a | b],
    ["amomin", (a, b) => (BigInt.asIntN(64, a) < BigInt.asIntN(64, b) ? a : b)], ["amomax", (a, b) => (BigInt.asIntN(64, a) > BigInt.asIntN(64, b) ? a : b)],
    ["amominu", (a, b) => (a < b ? a : b)], ["amomaxu", (a, b) => (a > b ? a : b)],
  ];
  for (const [name, f] of ops) {
    for (const [mem, src] of [[0xfffffffffffffff0n, 5n], [3n, 0x8000000000000001n], [0x7fffffffn, 0xffffffffn]]) {
      for (const size of [4, 8]) {
        const b = boot([...li(5, BigInt(DATA)), ...li(6, src), ins(`${name}.${size === 4 ? "w" : "d"}`, 7, 5, 6), ins("ld", 8, 5, 0), EBREAK]);
        b.ram.view.setBigUint64(DATA - RAM, mem, true);
        runToEbreak(b);
        const sx = (v: bigint) => (size === 4 ? u64(BigInt.asIntN(32, v)) : u64(v));
        const old = sx(mem);
        const res = size === 4 ? (mem & ~0xffffffffn) | BigInt.asUintN(32, f(old, sx(src))) : u64(f(old, sx(src)));
        assert.equal(b.hart.getReg(7), old, `${name}.${size} rd`);
        assert.equal(b.hart.getReg(8), res, `${name}.${size} memory (mem 0x${mem.toString(16)}, src 0x${src.toString(16)})`);
      }
    }
  }
  const t = runToTrap(boot([...li(5, BigInt(DATA + 2)), ins("amoadd.w", 7, 5, 6)]));
  assert.deepEqual([t.cause, t.tval], [6n, BigInt(DATA + 2)]);
  const ro = boot([...li(5, 0x1000n), ins("amoor.d", 7, 5, 6)]);
  assert.equal(runToTrap(ro).cause, 7n, "AMO faults are store/AMO faults");
});
