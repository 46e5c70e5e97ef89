import assert from "node:assert/strict";
import { test } from "node:test";
import type { Board } from "../../../../src/machine/board";
import { ins, li, RAM } from "./encode";
import { boot, EBREAK, openPmp, PageTables, PTE, runToEbreak, runToTrap, u64 } from "./harness";

const ROOT = RAM + 0x100000;
const PA_A = RAM + 0x200000, PA_B = RAM + 0x201000;
const VA = 0x4000_0000;
const RWX_AD = PTE.R | PTE.W | PTE.X | PTE.A | PTE.D;

function supervisor(code: number[], asid = 0, priv = 1): { b: Board; pt: PageTables } {
  const b = boot(code);
  openPmp(b);
  const pt = new PageTables(b, ROOT);
  pt.map(RAM, RAM, RWX_AD | (priv === 0 ? PTE.U : 0n), 2); // code, tables and data, identity
  b.ram.view.setBigUint64(PA_A - RAM, 0x1111n, true);
  b.ram.view.setBigUint64(PA_B - RAM, 0x2222n, true);
  b.hart.writeCsr(0x180, pt.satp(asid));
  b.hart.priv = priv;
  return { b, pt };
}

test("Sv39 walk: translate() reports the steps; loads set A and stores set D in the PTE", () => {
  const { b, pt } = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 8), EBREAK, ins("sd", 6, 5, 0), EBREAK]);
  const at = pt.map(VA, PA_A, PTE.R | PTE.W);
  const tr = b.hart.translate(BigInt(VA + 8), "r");
  assert.ok("pa" in tr && tr.pa === PA_A + 8 && tr.steps.length === 3 && tr.steps[2].pteAddr === at);
  runToEbreak(b);
  assert.equal(pt.pteAt(at) & (PTE.A | PTE.D), PTE.A);
  b.hart.pc = b.hart.mepc + 4n;
  b.hart.priv = 1;
  runToEbreak(b);
  assert.equal(pt.pteAt(at) & (PTE.A | PTE.D), PTE.A | PTE.D);
  b.hart.priv = 1;
  assert.deepEqual(b.hart.translate(BigInt(VA), "x"), { fault: 12n });
  assert.deepEqual(b.hart.translate(1n << 40n, "r"), { fault: 13n });
});

test("superpages: a 2 MiB leaf maps; a misaligned one page-faults with tval = address", () => {
  const { b, pt } = supervisor([...li(5, BigInt(VA + 0x1000)), ins("ld", 6, 5, 0), ...li(7, BigInt(VA + 0x200000)), ins("ld", 8, 7, 0), EBREAK]);
  pt.map(VA, PA_A, PTE.R | PTE.A, 1); // PA_A is 2 MiB aligned
  pt.map(VA + 0x200000, PA_B, PTE.R | PTE.A, 1); // not aligned: ppn[0] != 0
  const t = runToTrap(b);
  assert.equal(b.hart.getReg(6), 0x2222n, "VA + 0x1000 lands on PA_A + 0x1000 = PA_B");
  assert.deepEqual([t.cause, t.tval], [13n, BigInt(VA + 0x200000)]);
});

test("U pages: S-mode loads need SUM, S-mode never executes them; MXR makes X-only pages readable", () => {
  let s = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), EBREAK]);
  s.pt.map(VA, PA_A, PTE.R | PTE.U | PTE.A);
  let t = runToTrap(s.b);
  assert.deepEqual([t.cause, t.tval], [13n, BigInt(VA)]);
  s = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), EBREAK]);
  s.pt.map(VA, PA_A, PTE.R | PTE.U | PTE.A);
  s.b.hart.writeCsr(0x100, 1n << 18n);
  runToEbreak(s.b);
  assert.equal(s.b.hart.getReg(6), 0x1111n);
  s = supervisor([...li(5, BigInt(VA)), ins("jalr", 0, 5, 0)]);
  s.pt.map(VA, PA_A, PTE.R | PTE.X | PTE.U | PTE.A);
  s.b.hart.writeCsr(0x100, 1n << 18n);
  t = runToTrap(s.b);
  assert.deepEqual([t.cause, t.tval], [12n, BigInt(VA)]);
  for (const mxr of [false, true]) {
    s = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), EBREAK]);
    s.pt.map(VA, PA_A, PTE.X | PTE.A);
    if (mxr) s.b.hart.writeCsr(0x100, 1n << 19n);
    t = runToTrap(s.b);
    assert.equal(t.cause, mxr ? 3n : 13n);
  }
  // U-mode: its own pages are fine, a supervisor page faults; stores to a read-only page fault 15
  s = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), ins("sd", 6, 5, 0)], 0, 0);
  s.pt.map(VA, PA_A, PTE.R | PTE.U | PTE.A);
  t = runToTrap(s.b);
  assert.deepEqual([t.cause, t.tval, s.b.hart.getReg(6)], [15n, BigInt(VA), 0x1111n]);
  s = supervisor([...li(5, BigInt(VA + 0x1000)), ins("ld", 6, 5, 0)], 0, 0);
  s.pt.map(VA + 0x1000, PA_A, PTE.R | PTE.A, 0);
  t = runToTrap(s.b);
  assert.deepEqual([t.cause, t.tval], [13n, BigInt(VA + 0x1000)]);
});

test("invalid PTEs, W without R, reserved bits and non-canonical addresses page-fault", () => {
  for (const [setup, va] of [
    [(pt: PageTables) => pt.map(VA, PA_A, PTE.W | PTE.A), VA],
    [(pt: PageTables) => pt.write(pt.slot(VA, 0), (1n << 60n) | (BigInt(PA_A / 4096) << 10n) | PTE.V | PTE.R | PTE.A), VA],
    [(pt: PageTables) => pt.write(pt.slot(VA, 0), 0n), VA],
    [() => {}, 2 ** 38],
  ] as const) {
    const s = supervisor([...li(5, BigInt(va)), ins("ld", 6, 5, 0), EBREAK]);
    setup(s.pt);
    const t = runToTrap(s.b);
    assert.deepEqual([t.cause, t.tval], [13n, BigInt(va)]);
  }
});

test("the TLB keeps stale translations until sfence.vma; each rs1/rs2 form flushes what it names", () => {
  // x5 = VA, x9 = new PTE, x10 = PTE address, x11 = another VA, x12 = ASID 1, x13 = ASID 2
  const cases: [number, number, boolean, boolean][] = [
    // rs1, rs2, global PTE, expect new mapping after the fence
    [0, 0, false, true],
    [5, 0, false, true],
    [11, 0, false, false],
    [0, 12, false, true],
    [0, 12, true, false],
    [0, 13, false, false],
    [5, 12, false, true],
    [5, 12, true, false],
  ];
  for (const [rs1, rs2, global, fresh] of cases) {
    const s = supervisor([
      ...li(5, BigInt(VA)), ...li(11, BigInt(VA + 0x5000)), ...li(12, 1n), ...li(13, 2n),
      ins("ld", 6, 5, 0), ins("sd", 9, 10, 0), ins("ld", 7, 5, 0), ins("sfence.vma", rs1, rs2), ins("ld", 8, 5, 0), EBREAK,
    ], 1);
    const g = global ? PTE.G : 0n;
    const at = s.pt.map(VA, PA_A, PTE.R | PTE.A | g);
    s.b.hart.setReg(9, ((BigInt(PA_B / 4096) << 10n) | PTE.V | PTE.R | PTE.A | g));
    s.b.hart.setReg(10, BigInt(at));
    runToEbreak(s.b);
    const what = `sfence.vma x${rs1}, x${rs2}${global ? " (global PTE)" : ""}`;
    assert.equal(s.b.hart.getReg(6), 0x1111n);
    assert.equal(s.b.hart.getReg(7), 0x1111n, `stale before the fence: ${what}`);
    assert.equal(s.b.hart.getReg(8), fresh ? 0x2222n : 0x1111n, what);
  }
});

test("TLB entries are tagged by ASID: switching satp ASID does not see the other space's entry", () => {
  const s = supervisor([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), EBREAK], 1);
  s.pt.map(VA, PA_A, PTE.R | PTE.A);
  runToEbreak(s.b);
  const entry = s.b.hart.tlbEntries().find((e) => e.vpn === VA / 4096);
  assert.ok(entry && entry.asid === 1 && !entry.global && entry.level === 0 && entry.ppn === PA_A / 4096);
  s.pt.map(VA, PA_B, PTE.R | PTE.A);
  s.b.hart.writeCsr(0x180, s.pt.satp(2));
  s.b.hart.pc = BigInt(RAM);
  s.b.hart.priv = 1;
  runToEbreak(s.b);
  assert.equal(s.b.hart.getReg(6), 0x2222n);
});

test("MPRV: M-mode loads and stores translate with MPP's privilege; fetches do not", () => {
  const b = boot([...li(5, BigInt(VA)), ins("ld", 6, 5, 0), EBREAK]);
  openPmp(b);
  const pt = new PageTables(b, ROOT);
  pt.map(VA, PA_A, PTE.R | PTE.A);
  b.ram.view.setBigUint64(PA_A - RAM, 0x1111n, true);
  b.hart.writeCsr(0x180, pt.satp());
  b.hart.writeCsr(0x300, (1n << 17n) | (1n << 11n)); // MPRV, MPP = S
  runToEbreak(b);
  assert.equal(b.hart.getReg(6), 0x1111n);
  assert.equal(u64(BigInt(b.hart.priv)), 3n);
});
