import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BoardOptionsError, QUANTUM } from "../../../src/machine/board";
import { CSR } from "../../../src/isa/csrs";
import { MIP_MSIP, MIP_MTIP } from "../../../src/isa/csr_bits";
import { VirtBoard } from "../../../src/machine/virt";
import { ins, li, program, RAM } from "./hart/encode";
import { boot, csrr } from "./hart/harness";

const T0 = 5, T1 = 6, T2 = 7, T3 = 28, A0 = 10;
const DATA = RAM + 0x1000;
/** rd = target, as two instructions (auipc, addi) placed at `pc`. */
function la(rd: number, pc: number, target: number): number[] {
  const off = target - pc;
  const lo = (off << 20) >> 20;
  return [ins("auipc", rd, ((off - lo) >>> 12) & 0xfffff), ins("addi", rd, rd, lo)];
}
/** An endless loop counting in t1: what a hart runs when the test only needs it busy. */
const COUNT = [ins("addi", T1, T1, 1), ins("jal", 0, -4)];

describe("a board with several harts (smp)", () => {
  test("every hart starts at the entry in M-mode with a0 = mhartid; mhartid reads its id", () => {
    const b = boot([csrr(T0, CSR.mhartid), ...COUNT], { memoryBytes: 1 << 20, smp: 3 });
    assert.deepEqual(b.harts.map((h) => [h.pc, h.priv, h.getReg(A0)]), [0n, 1n, 2n].map((id) => [BigInt(RAM), 3, id]));
    b.run(3 * QUANTUM);
    assert.deepEqual(b.harts.map((h) => h.getReg(T0)), [0n, 1n, 2n]);
  });

  test("round-robin: each hart runs QUANTUM steps in turn, from hart 0; instret counts them all", () => {
    const b = boot(COUNT, { memoryBytes: 1 << 20, smp: 2 });
    assert.deepEqual(b.run(QUANTUM + 10), { kind: "budget" });
    assert.deepEqual(b.harts.map((h) => h.retired), [QUANTUM, 10]);
    assert.equal(b.current, 1);
    assert.equal(b.instret, BigInt(QUANTUM + 10));
    b.run(QUANTUM);
    assert.deepEqual(b.harts.map((h) => h.retired), [QUANTUM + 10, QUANTUM]);
  });

  test("the interleaving does not depend on how the runs are cut", () => {
    const guest = [...la(T0, RAM, DATA), ins("amoadd.d", T2, T0, A0), ins("ld", T3, T0, 0), ins("add", T1, T1, T3), ins("jal", 0, -12)];
    const whole = boot(guest, { memoryBytes: 1 << 20, smp: 3, quantum: 7 });
    whole.run(10_000);
    const pieces = boot(guest, { memoryBytes: 1 << 20, smp: 3, quantum: 7 });
    for (const n of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]) pieces.run(n);
    pieces.run(10_000 - 231);
    assert.deepEqual(pieces.harts.map((h) => h.getReg(T1)), whole.harts.map((h) => h.getReg(T1)));
    assert.equal(pieces.ram.view.getBigUint64(DATA - RAM, true), whole.ram.view.getBigUint64(DATA - RAM, true));
  });

  test("smp and quantum are checked", () => {
    assert.throws(() => boot([], { smp: 0 }), BoardOptionsError);
    assert.throws(() => boot([], { smp: 9 }), /smp must be a whole number of harts from 1 to 8, not 9/);
    assert.throws(() => boot([], { smp: 2, quantum: 0 }), /quantum must be a positive integer/);
  });
});

describe("LR/SC across harts", () => {
  // Hart 0 takes a reservation on DATA (which holds 0); then hart 1 runs; then hart 0's SC of 7.
  const guest = [
    ...la(T0, RAM, DATA),
    ins("bne", A0, 0, 16),
    ins("lr.d", T1, T0),
    ins("sc.d", T2, T0, T3),
    ins("jal", 0, 0),
    // hart 1 (at +20): what `hart1` puts here
  ];
  const run = (hart1: number[]) => {
    const b = boot([...guest, ...hart1, ins("jal", 0, 0)], { memoryBytes: 1 << 20, smp: 2 });
    b.harts[0].setReg(T3, 7n);
    b.harts[1].setReg(T3, 9n);
    b.run(4); // hart 0: li, bne, lr.d
    assert.equal(b.harts[0].pc, BigInt(RAM + 16));
    b.focus(1);
    b.run(3 + hart1.length);
    b.focus(0);
    b.run(1); // hart 0's sc.d
    return { sc: b.harts[0].getReg(T2), memory: b.ram.view.getBigUint64(DATA - RAM, true) };
  };

  test("a store by another hart to the reserved address breaks the reservation, even of the same value", () => {
    assert.deepEqual(run([ins("sd", 0, T0, 0)]), { sc: 1n, memory: 0n });
  });

  test("an SC by another hart to the reserved address breaks it", () => {
    assert.deepEqual(run([ins("lr.d", T1, T0), ins("sc.d", T2, T0, 0)]), { sc: 1n, memory: 0n });
  });

  test("an AMO by another hart breaks it", () => {
    assert.deepEqual(run([ins("amoor.d", T1, T0, 0)]), { sc: 1n, memory: 0n });
  });

  test("stores elsewhere leave it: the SC succeeds", () => {
    assert.deepEqual(run([ins("sd", T3, T0, 8)]), { sc: 0n, memory: 7n });
  });
});

describe("CLINT and PLIC per hart", () => {
  test("msip n and mtimecmp n drive hart n's MSIP and MTIP only", () => {
    const b = new VirtBoard({ memoryBytes: 1 << 20, smp: 3 });
    b.load(program(COUNT));
    b.clint.write(0x4000, 4, -1); b.clint.write(0x4004, 4, -1);
    b.clint.write(0x4008, 4, -1); b.clint.write(0x400c, 4, -1);
    b.clint.write(0x4010, 4, 5); b.clint.write(0x4014, 4, 0);
    b.clint.write(4, 4, 1);
    b.run(1);
    const pending = (bit: number) => b.harts.map((h) => (h.mipHw & bit) !== 0);
    assert.deepEqual(pending(MIP_MSIP), [false, true, false]);
    assert.deepEqual(pending(MIP_MTIP), [false, false, false]);
    b.run(600); // mtime = 6 ≥ 5
    b.run(1); // the lines are driven at the start of each slice
    assert.deepEqual(pending(MIP_MTIP), [false, false, true]);
    assert.deepEqual([0, 4, 8, 12, 0x4008, 0x4014, 0x4018].map((o) => b.clint.registerName(o, false)),
      ["msip", "msip[1]", "msip[2]", "+0xc", "mtimecmp[1]", "mtimecmp[2]+4", "+0x4018"]);
    assert.equal(b.clint.read(4, 4), 1);
    assert.equal(b.clint.read(12, 4), 0);
  });

  test("PLIC context 2n is hart n's M-mode, 2n+1 its S-mode, as QEMU's virt numbers them", () => {
    const b = new VirtBoard({ memoryBytes: 1 << 20, smp: 2 });
    b.load(program(COUNT));
    const ctx = (n: number) => 0x20_0000 + 0x1000 * n;
    b.plic.write(10 * 4, 4, 1); // UART's priority
    b.plic.write(0x2000 + 0x80 * 3, 4, 1 << 10); // enabled for context 3: hart 1, S-mode
    b.plic.source(10).set(true);
    const lines = () => b.harts.map((h) => h.mipHw & ((1 << 11) | (1 << 9)));
    assert.deepEqual(lines(), [0, 1 << 9]);
    assert.equal(b.plic.read(ctx(3) + 4, 4), 10);
    assert.deepEqual(lines(), [0, 0]);
    assert.deepEqual(b.plic.state().contexts.map((c) => `${c.hart}${c.mode}`), ["0M", "0S", "1M", "1S"]);
  });
});

describe("the run loop with several harts", () => {
  test("a store by one hart over code another hart has run takes effect for both", () => {
    // Both run `addi t1, t1, 1` at CODE then return; hart 0 then rewrites it to `addi t1, t1, 2`.
    const code = RAM + 0x800;
    const b = boot([
      ...la(T0, RAM, code), ins("jalr", 1, T0, 0),
      ins("bne", A0, 0, 20),
      ...li(T2, BigInt(ins("addi", T1, T1, 2))), // lui, addiw
      ins("sw", T2, T0, 0),
      ins("jalr", 1, T0, 0),
      ins("jal", 0, 0),
    ], { memoryBytes: 1 << 20, smp: 2 }, [{ paddr: code, data: Uint8Array.from([0x13, 0x03, 0x13, 0x00, 0x67, 0x80, 0x00, 0x00]) }]);
    b.run(5); // hart 0 to its bne
    b.focus(1);
    b.run(20);
    assert.equal(b.harts[1].getReg(T1), 1n);
    b.focus(0);
    b.run(10);
    assert.equal(b.harts[0].getReg(T1), 3n);
    b.harts[1].pc = BigInt(code);
    b.focus(1);
    b.run(1);
    assert.equal(b.harts[1].getReg(T1), 3n);
  });

  test("harts waiting in WFI: time warps to the earliest timer when all wait, and the board idles when none can wake", () => {
    // Each hart enables MTIE (MIE stays off: WFI wakes, no trap is taken) and waits.
    const b = new VirtBoard({ memoryBytes: 1 << 20, smp: 2 });
    b.load(program([ins("addi", T0, 0, 1 << 7), ins("csrrw", 0, CSR.mie, T0), ins("wfi"), ins("jal", 0, 0)]));
    b.clint.write(0x4000, 4, 50); b.clint.write(0x4004, 4, 0);
    b.clint.write(0x4008, 4, -1); b.clint.write(0x400c, 4, -1);
    assert.deepEqual(b.run(20), { kind: "budget" });
    assert.equal(b.clint.mtime(), 50n, "warped to hart 0's mtimecmp once both waited");
    assert.deepEqual(b.harts.map((h) => [h.waiting, h.pc]), [[false, BigInt(RAM + 12)], [true, BigInt(RAM + 12)]]);
    const idle = new VirtBoard({ memoryBytes: 1 << 20, smp: 2 });
    idle.load(program([ins("wfi"), ins("jal", 0, -4)]));
    assert.deepEqual(idle.run(100), { kind: "idle" });
  });

  test("a breakpoint stops the run with the hart that hit it; resuming runs that hart on", () => {
    const b = boot([ins("bne", A0, 0, 12), ...COUNT, ins("addi", T2, T2, 1), ins("jal", 0, -4)], { memoryBytes: 1 << 20, smp: 2 });
    for (const h of b.harts) h.breakpoints.add(BigInt(RAM + 12));
    assert.deepEqual(b.run(5000), { kind: "breakpoint", pc: BigInt(RAM + 12) });
    assert.equal(b.stopHart, 1);
    assert.deepEqual(b.run(5000), { kind: "breakpoint", pc: BigInt(RAM + 12) });
    assert.equal(b.stopHart, 1);
    assert.equal(b.harts[1].getReg(T2), 1n);
  });
});
