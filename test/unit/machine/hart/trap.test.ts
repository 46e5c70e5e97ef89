import assert from "node:assert/strict";
import { test } from "node:test";
import { ins, li, RAM } from "./encode";
import { boot, EBREAK, openPmp, runToEbreak, runToTrap, u64 } from "./harness";

const MSTATUS = 0x300;
const INT = 1n << 63n;

test("ecall causes by privilege, tval 0, mepc = pc; M-mode traps are never delegated", () => {
  for (const [priv, cause] of [[3, 11n], [1, 9n], [0, 8n]] as const) {
    const b = boot([ins("addi", 0, 0, 0), ins("ecall")]);
    openPmp(b);
    b.hart.writeCsr(0x302, 0xffffn);
    b.hart.writeCsr(0x305, 0x80001000n);
    b.hart.priv = priv;
    const t = runToTrap(b);
    assert.deepEqual([t.cause, t.tval, t.pc], [cause, 0n, BigInt(RAM + 4)]);
    // delegated to S unless from M
    assert.equal(b.hart.priv, priv === 3 ? 3 : 1);
    if (priv === 3) assert.equal(b.hart.mepc, BigInt(RAM + 4));
    else assert.deepEqual([b.hart.scause, b.hart.sepc], [cause, BigInt(RAM + 4)]);
  }
});

test("trap entry to M saves MIE in MPIE and priv in MPP; mret restores, MPP := U, MPRV cleared", () => {
  const b = boot([ins("ecall"), EBREAK]);
  openPmp(b);
  b.hart.writeCsr(0x305, 0x80000100n);
  b.hart.writeCsr(MSTATUS, (1n << 1n) | (1n << 5n)); // SIE SPIE
  b.hart.priv = 1;
  b.hart.onTrap = () => true;
  b.run(10);
  let ms = b.hart.readCsr(MSTATUS)!;
  assert.equal((ms >> 11n) & 3n, 1n, "MPP = S");
  assert.equal((ms >> 7n) & 1n, 0n, "MPIE = old MIE (0)");
  assert.equal(b.hart.pc, 0x80000100n);
  // handler: set MIE in MPIE, MPRV, mepc += 4, mret
  b.hart.writeCsr(MSTATUS, ms | (1n << 7n) | (1n << 17n));
  b.hart.writeCsr(0x341, BigInt(RAM + 4));
  b.bus.writeBytes(0x80000100, Uint8Array.from([0x73, 0x00, 0x20, 0x30])); // mret
  b.hart.onTrap = () => true;
  const r = b.run(10);
  assert.equal(r.kind, "trap"); // the ebreak, now in S
  assert.equal(b.hart.priv, 3);
  ms = b.hart.readCsr(MSTATUS)!;
  assert.equal((ms >> 11n) & 3n, 1n, "ebreak from S recorded in MPP");
  assert.equal((ms >> 17n) & 1n, 0n, "MPRV cleared by mret to S");
  assert.equal((ms >> 7n) & 1n, 1n, "mret set MIE from MPIE; the ebreak saved it in MPIE");
});

test("delegated trap to S: SPP, SPIE, SIE; sret returns and sets SPP to U; sret illegal in U and under TSR", () => {
  const b = boot([ins("ecall"), EBREAK]);
  openPmp(b);
  b.hart.writeCsr(0x302, 1n << 8n);
  b.hart.writeCsr(0x105, 0x80000200n);
  b.hart.writeCsr(MSTATUS, 1n << 1n); // SIE
  b.hart.priv = 0;
  b.hart.onTrap = () => true;
  b.run(10);
  const ms = b.hart.readCsr(MSTATUS)!;
  assert.deepEqual([b.hart.priv, (ms >> 8n) & 1n, (ms >> 5n) & 1n, (ms >> 1n) & 1n], [1, 0n, 1n, 0n]);
  assert.equal(b.hart.pc, 0x80000200n);
  b.hart.writeCsr(0x141, BigInt(RAM + 4));
  b.bus.writeBytes(0x80000200, Uint8Array.from([0x73, 0x00, 0x20, 0x10])); // sret
  b.run(10);
  assert.equal(b.hart.mcause, 3n, "ebreak after sret, taken to M from U");
  assert.equal((b.hart.readCsr(MSTATUS)! >> 11n) & 3n, 0n);

  for (const [priv, tsr] of [[0, false], [1, true]] as const) {
    const c = boot([0x10200073, EBREAK]);
    openPmp(c);
    if (tsr) c.hart.writeCsr(MSTATUS, 1n << 22n);
    c.hart.priv = priv;
    const t = runToTrap(c);
    assert.deepEqual([t.cause, t.tval], [2n, 0x10200073n]);
  }
  const m = boot([0x30200073, EBREAK]); // mret in S
  openPmp(m);
  m.hart.priv = 1;
  assert.equal(runToTrap(m).cause, 2n);
});

test("vectored mtvec: interrupts go to base + 4·cause, exceptions to base", () => {
  const b = boot([ins("addi", 0, 0, 0), ins("ecall")]);
  b.hart.writeCsr(0x305, 0x80000401n);
  b.hart.writeCsr(0x304, 1n << 3n); // MSIE
  b.hart.writeCsr(MSTATUS, 1n << 3n);
  b.clint.write(0, 4, 1); // msip
  b.hart.onTrap = () => true;
  let r = b.run(10);
  assert.deepEqual(r, { kind: "trap", cause: INT | 3n, tval: 0n, pc: BigInt(RAM) });
  assert.equal(b.hart.pc, 0x80000400n + 12n);
  const e = boot([ins("ecall")]);
  e.hart.writeCsr(0x305, 0x80000401n);
  e.hart.onTrap = () => true;
  r = e.run(10);
  assert.equal(e.hart.pc, 0x80000400n);
});

test("fault tvals: access faults and page-crossing; misaligned loads and stores are performed", () => {
  let t = runToTrap(boot([...li(1, 0x1000n), ins("jalr", 0, 1, 0)]));
  assert.deepEqual([t.cause, t.tval, t.pc], [1n, 0x1000n, 0x1000n]);
  t = runToTrap(boot([...li(1, 0x20n), ins("ld", 2, 1, 3)]));
  assert.deepEqual([t.cause, t.tval], [5n, 0x23n]);
  t = runToTrap(boot([...li(1, -8n), ins("sw", 2, 1, 0)]));
  assert.deepEqual([t.cause, t.tval], [7n, u64(-8n)]);
  // a load crossing the end of RAM faults at the first byte outside
  t = runToTrap(boot([...li(1, BigInt(RAM + 0x10000 - 2)), ins("lw", 2, 1, 0)], { memoryBytes: 0x10000 }));
  assert.deepEqual([t.cause, t.tval], [5n, BigInt(RAM + 0x10000)]);
  const b = boot([
    ...li(1, BigInt(RAM + 0x2ffd)), ...li(2, 0x1122334455667788n), ins("sd", 2, 1, 0), ins("ld", 3, 1, 0), ins("lw", 4, 1, 1),
    ins("lhu", 5, 1, 0), EBREAK,
  ]);
  runToEbreak(b);
  assert.equal(b.hart.getReg(3), 0x1122334455667788n);
  assert.equal(b.hart.getReg(4), 0x44556677n);
  assert.equal(b.hart.getReg(5), 0x7788n);
  // a jump far outside any address space keeps its exact value for mepc/mtval
  t = runToTrap(boot([...li(1, 0x123456789abcdef0n), ins("jalr", 0, 1, 0)]));
  assert.deepEqual([t.cause, t.tval, t.pc], [1n, 0x123456789abcdef0n, 0x123456789abcdef0n]);
  assert.equal(boot([]).hart.readCsr(0x341), 0n);
});

test("illegal instruction tval is the instruction (16 bits for compressed); ebreak and c.ebreak tval 0", () => {
  let t = runToTrap(boot([0xffffffff]));
  assert.deepEqual([t.cause, t.tval], [2n, 0xffffffffn]);
  t = runToTrap(boot([{ c: 0x9002 }]));
  assert.deepEqual([t.cause, t.tval], [3n, 0n]);
  t = runToTrap(boot([ins("csrrw", 0, 0xc00, 1)])); // write to read-only cycle
  assert.deepEqual([t.cause, t.tval], [2n, BigInt(ins("csrrw", 0, 0xc00, 1))]);
});

test("trap hook stops before the handler's first instruction; takeTrap forces a trap", () => {
  const b = boot([ins("ecall")]);
  b.hart.writeCsr(0x305, 0x80000100n);
  let seen: bigint[] = [];
  b.hart.onTrap = (cause, tval, pc) => { seen = [cause, tval, pc]; return true; };
  assert.equal(b.run(100).kind, "trap");
  assert.deepEqual(seen, [11n, 0n, BigInt(RAM)]);
  assert.equal(b.hart.pc, 0x80000100n);
  assert.equal(b.instret, 0n);
  b.hart.onTrap = undefined;
  b.hart.takeTrap(INT | 7n, 0n);
  assert.equal(b.hart.mcause, INT | 7n);
  assert.equal(b.hart.mepc, 0x80000100n);
});
