import assert from "node:assert/strict";
import { test } from "node:test";
import { ins, li, RAM } from "./encode";
import type { Board } from "../../../../src/machine/board";
import { boot, csrw, openPmp, runToTrap } from "./harness";

const INT = 1n << 63n;
const MSTATUS = 0x300;
const spin = (n: number) => Array.from({ length: n }, () => ins("addi", 1, 1, 1));

test("M-level priorities: MEI > MSI > MTI > SEI > SSI > STI", () => {
  const b = boot(spin(100));
  b.clint.mtimecmp = 1n << 40n;
  b.hart.writeCsr(0x305, 0x80000000n);
  b.hart.writeCsr(0x304, 0xaaan);
  const mei = b.irqLine(11);
  mei.set(true);
  b.clint.write(0, 4, 1);
  b.clint.write(0x4000, 4, 0); b.clint.write(0x4004, 4, 0); // MTIP
  b.hart.writeCsr(0x344, 0x222n); // SSIP STIP SEIP
  const order: bigint[] = [];
  const clear: Record<string, () => void> = {
    "11": () => mei.set(false), "3": () => b.clint.write(0, 4, 0), "7": () => { b.clint.write(0x4004, 4, 0xffffffff); b.clint.write(0x4000, 4, 0xffffffff); },
    "9": () => b.hart.writeCsr(0x344, 0x22n), "1": () => b.hart.writeCsr(0x344, 0x20n), "5": () => b.hart.writeCsr(0x344, 0n),
  };
  for (let i = 0; i < 6; i++) {
    b.hart.writeCsr(MSTATUS, 1n << 3n);
    const t = runToTrap(b);
    order.push(t.cause & 0xffn);
    clear[String(t.cause & 0xffn)]();
  }
  assert.deepEqual(order, [11n, 3n, 7n, 9n, 1n, 5n]);
});

test("delegation: delegated interrupts go to S only below M; M-level ones preempt S even with MIE = 0", () => {
  const b = boot(spin(100));
  openPmp(b);
  b.clint.mtimecmp = 1n << 40n;
  b.hart.writeCsr(0x303, 0x222n);
  b.hart.writeCsr(0x304, 0x2aan);
  b.hart.writeCsr(0x344, 2n); // SSIP
  b.hart.writeCsr(MSTATUS, (1n << 3n) | (1n << 1n));
  b.hart.onTrap = () => true;
  assert.equal(b.run(5).kind, "budget", "delegated SSI is not taken in M");
  b.hart.writeCsr(0x105, 0x80000100n);
  b.hart.priv = 1;
  let t = runToTrap(b);
  assert.equal(t.cause, INT | 1n);
  assert.equal(b.hart.priv, 1);
  assert.equal(b.hart.scause, INT | 1n);
  assert.equal(b.hart.pc, 0x80000100n);
  // in S with SIE now 0, an M-level MSI is still taken (MIE is ignored below M)
  b.hart.writeCsr(MSTATUS, 0n);
  b.hart.writeCsr(0x344, 0n);
  b.clint.write(0, 4, 1);
  b.hart.writeCsr(0x305, 0x80000180n);
  t = runToTrap(b);
  assert.equal(t.cause, INT | 3n);
  assert.equal(b.hart.priv, 3);
});

test("CLINT timer interrupt is taken right after the instruction at which mtime reaches mtimecmp", () => {
  const code = [
    ...li(5, 0x0200_4000n), ...li(6, 7n), ins("sd", 6, 5, 0), // mtimecmp = 7 (ticks of 100 instructions)
    ...li(6, 0x80n), csrw(0x304, 6), ...li(6, 8n), csrw(MSTATUS, 6), // MTIE, MIE
    ...spin(1000),
  ];
  const b = boot(code);
  b.hart.writeCsr(0x305, 0x80100000n);
  const t = runToTrap(b);
  assert.equal(t.cause, INT | 7n);
  assert.equal(b.instret, 700n);
  assert.equal(b.clint.mtime(), 7n);
  assert.equal(t.pc, BigInt(RAM + 4 * 700), "mepc: the 701st instruction, not executed");
});

test("timer interrupts follow instructionsPerTick and guest writes to mtime", () => {
  const b = boot(spin(400), { instructionsPerTick: 10 });
  b.hart.writeCsr(0x304, 0x80n);
  b.hart.writeCsr(MSTATUS, 8n);
  b.clint.write(0xbff8, 4, 100); // mtime = 100 from the start
  b.clint.write(0x4000, 4, 105); b.clint.write(0x4004, 4, 0);
  runToTrap(b);
  assert.equal(b.instret, 50n);
});

test("a fractional instructionsPerTick (QEMU's icount shift 6: 100/64 = 1.5625) floors mtime and ends at the first instruction that reaches mtimecmp", () => {
  const timerAt = (mtimecmp: bigint): Board => {
    const b = boot(spin(500), { instructionsPerTick: 100 / 64 });
    b.hart.writeCsr(0x304, 0x80n);
    b.hart.writeCsr(MSTATUS, 8n);
    b.clint.mtimecmp = mtimecmp;
    runToTrap(b);
    return b;
  };
  const early = timerAt(7n);
  assert.equal(early.instret, 11n, "10 instructions make 6.4 ticks, 11 make 7.04");
  assert.equal(early.clint.mtime(), 7n);
  const exact = timerAt(256n);
  assert.equal(exact.instret, 400n, "256 ticks × 1.5625 = 400 instructions exactly");
  assert.equal(exact.clint.mtime(), 256n);
});

test("instructionsPerTick must be a positive multiple of 1/1024", () => {
  for (const bad of [0, -100, 0.3, 100 / 3, Infinity]) {
    assert.throws(() => boot(spin(1), { instructionsPerTick: bad }), { name: "BoardOptionsError", message: `instructionsPerTick must be a positive multiple of 1/1024, not ${bad}` });
  }
  assert.equal(boot(spin(1), { instructionsPerTick: 100 / 1024 }).clint.instructionsPerTick, 0.09765625);
});

test("WFI: idle when nothing can wake it; warps time to mtimecmp when only the timer can; wakes without trap when MIE = 0", () => {
  const b = boot([0x10500073, ins("addi", 1, 0, 1), 0x10500073, ins("addi", 2, 0, 2), 0x00100073]);
  b.clint.mtimecmp = (1n << 64n) - 1n;
  assert.deepEqual(b.run(100), { kind: "idle" });
  assert.equal(b.instret, 1n);
  assert.equal(b.hart.pc, BigInt(RAM + 4));
  assert.deepEqual(b.run(100), { kind: "idle" }, "still waiting");
  b.clint.mtimecmp = 1_000_000n;
  b.hart.writeCsr(0x304, 0x80n); // MTIE, but MIE = 0: wake, no trap
  b.hart.onTrap = () => true;
  const r = b.run(100);
  assert.deepEqual(r, { kind: "trap", cause: 3n, tval: 0n, pc: BigInt(RAM + 16) }, "both wfis completed, then ebreak");
  assert.equal(b.instret, 4n, "the warp retires nothing");
  assert.equal(b.clint.mtime(), 1_000_000n, "mtime jumped to mtimecmp");
  assert.deepEqual([b.hart.getReg(1), b.hart.getReg(2)], [1n, 2n]);
});

test("WFI is illegal in U-mode and in S-mode with TW; legal in M with TW", () => {
  for (const [priv, tw, illegal] of [[0, false, true], [1, true, true], [1, false, false], [3, true, false]] as const) {
    const b = boot([0x10500073, 0x00100073]);
    openPmp(b);
    b.clint.mtimecmp = 10n;
    b.hart.writeCsr(0x304, 0x80n);
    if (tw) b.hart.writeCsr(MSTATUS, 1n << 21n);
    b.hart.priv = priv;
    const t = runToTrap(b);
    if (illegal) assert.deepEqual([t.cause, t.tval], [2n, 0x10500073n]);
    else assert.notEqual(t.cause, 2n);
  }
});
