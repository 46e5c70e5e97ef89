import assert from "node:assert/strict";
import { test } from "node:test";
import { CSR } from "../../../../src/isa/csrs";
import type { Board } from "../../../../src/machine/board";
import { ins, type Item, li, RAM } from "./encode";
import { bootGuest, EBREAK, PageTables, PTE, pte, runToEbreak, runToTrap } from "./harness";

/*
 * One guest world: G stage (Sv39x4, root at HPA G_ROOT) maps GPA RAM..RAM+2 MiB (code) to the same
 * HPA with a 2 MiB leaf, the data page GPA_DATA to HPA_DATA, and the VS tables' pages at GPA
 * VS_ROOT + k·4 KiB to HPA VS_HPA + k·4 KiB, all with 4 KiB leaves. The VS stage (vsatp, root at
 * GPA VS_ROOT) maps VA RAM 1:1 with a 1 GiB leaf (code) and VA to GPA_DATA with a 4 KiB leaf.
 */
const G_ROOT = RAM + 0x10_0000;
const GPA_DATA = RAM + 0x20_0000, HPA_DATA = RAM + 0x60_0000, HPA_OTHER = RAM + 0x61_0000;
const VS_ROOT = RAM + 0x30_0000, VS_HPA = RAM + 0x70_0000;
const VA = 0x4000_0000;
const VMID = 1;
const RWX = PTE.R | PTE.W | PTE.X;
const AD = PTE.A | PTE.D;

interface World { b: Board; g: PageTables; vs: PageTables; vsLeaf: number; gLeaf: number }

function world(code: Item[], prv = 1, virt = true): World {
  let g!: PageTables, vs!: PageTables, vsLeaf = 0, gLeaf = 0;
  const b = bootGuest(code, prv, virt, (w) => {
    g = new PageTables(w, G_ROOT, { sv39x4: true });
    g.map(RAM, RAM, RWX | PTE.U | AD, 1);
    for (let k = 0; k < 4; k++) g.map(VS_ROOT + k * 4096, VS_HPA + k * 4096, PTE.R | PTE.W | PTE.U);
    gLeaf = g.map(GPA_DATA, HPA_DATA, PTE.R | PTE.W | PTE.U);
    vs = new PageTables(w, VS_ROOT, { hostOffset: VS_HPA - VS_ROOT });
    vs.map(RAM, RAM, RWX | AD, 2);
    vsLeaf = vs.map(VA, GPA_DATA, PTE.R | PTE.W);
    w.hart.hgatp = (8n << 60n) | (BigInt(VMID) << 44n) | BigInt(G_ROOT / 4096);
    w.hart.vsatp = vs.satp(7);
    for (let i = 0; i < 8; i++) {
      w.ram.view.setBigUint64(HPA_DATA - RAM + 8 * i, 0x1000n + BigInt(i), true);
      w.ram.view.setBigUint64(HPA_OTHER - RAM + 8 * i, 0x2000n + BigInt(i), true);
    }
  });
  return { b, g, vs, vsLeaf, gLeaf };
}

const LOAD = [...li(5, BigInt(VA)), ins("ld", 6, 5, 8), EBREAK];

test("two-stage: VA → GPA → HPA; the walk reads 15 PTEs (3 VS PTEs each through 3 G levels, then the GPA's 3)", () => {
  const w = world([...li(5, BigInt(VA)), ins("ld", 6, 5, 8), ins("sd", 6, 5, 16), EBREAK]);
  const h = w.b.hart;
  assert.deepEqual(h.translate(BigInt(VA + 8), "r"), { pa: HPA_DATA + 8, steps: h.walk(BigInt(VA + 8), "r").steps });
  const walk = h.walk(BigInt(VA + 8), "r");
  assert.deepEqual([walk.gpa, walk.pa], [GPA_DATA + 8, HPA_DATA + 8]);
  assert.equal(walk.steps.map((s) => s.stage).join(""), "gggvsgggvsgggvsggg");
  assert.deepEqual([walk.steps[3].gpa, walk.steps[3].pteAddr], [VS_ROOT + 8, VS_HPA + 8]);
  assert.equal(w.vs.pteAt(w.vsLeaf) & AD, 0n, "the debugger's walk changes nothing");
  runToEbreak(w.b);
  assert.equal(h.getReg(6), 0x1001n);
  assert.equal(w.b.ram.view.getBigUint64(HPA_DATA - RAM + 16, true), 0x1001n);
  assert.equal(w.vs.pteAt(w.vsLeaf) & AD, AD, "VS leaf: A and D");
  assert.equal(w.g.pteAt(w.gLeaf) & AD, AD, "G leaf of the data page: A and D");
  assert.equal(w.g.pteAt(w.g.slot(VS_ROOT, 0)) & AD, PTE.A, "G leaf of a VS table page: A only (read)");
  const e = h.tlbEntries().find((t) => t.vpn === VA / 4096)!;
  assert.deepEqual([e.vmid, e.asid, e.ppn], [VMID, 7, HPA_DATA / 4096]);
});

test("a G-stage fault on a VS PTE read is a guest-page fault of the access: htval = the PTE's GPA >> 2, htinst = 0x3000", () => {
  for (const toHs of [true, false]) {
    const w = world(LOAD);
    w.g.write(w.g.slot(VS_ROOT + 0x2000, 0), 0n); // the VS level-0 table's page
    if (toHs) w.b.hart.writeCsr(CSR.medeleg, 1n << 21n);
    const t = runToTrap(w.b);
    const h = w.b.hart;
    assert.deepEqual([t.cause, t.tval], [21n, BigInt(VA + 8)]);
    const pteGpa = BigInt(VS_ROOT + 0x2000); // index 0 of the level-0 table
    if (toHs) {
      assert.deepEqual([h.htval, h.htinst, (h.hstatus >> 6) & 3], [pteGpa >> 2n, 0x3000n, 3], "GVA and SPV");
    } else {
      assert.deepEqual([h.mtval2, h.mtinst, (h.readCsr(CSR.mstatus)! >> 38n) & 3n], [pteGpa >> 2n, 0x3000n, 3n], "GVA and MPV");
    }
  }
});

test("a G-stage fault on the final GPA: htval = exact GPA >> 2, htinst = the transformed load/store", () => {
  let w = world(LOAD);
  w.g.write(w.gLeaf, pte(HPA_DATA, PTE.V | PTE.R | PTE.W)); // no U: G-stage accesses are U-mode
  w.b.hart.writeCsr(CSR.medeleg, 1n << 21n);
  runToTrap(w.b);
  assert.deepEqual([w.b.hart.scause, w.b.hart.htval, w.b.hart.htinst], [21n, BigInt(GPA_DATA + 8) >> 2n, 0x3303n]);
  w = world([...li(5, BigInt(VA)), ins("sd", 6, 5, 16), EBREAK]);
  w.g.write(w.gLeaf, pte(HPA_DATA, PTE.V | PTE.R | PTE.U));
  const t = runToTrap(w.b);
  assert.deepEqual([t.cause, w.b.hart.mtval2, w.b.hart.mtinst], [23n, BigInt(GPA_DATA + 16) >> 2n, 0x603023n], "sd x6: rs2, funct3, opcode");
  w = world([...li(9, BigInt(VA)), { c: 0x6484 } /* c.ld x9, 8(x9) */, EBREAK]);
  w.g.write(w.gLeaf, 0n);
  runToTrap(w.b);
  assert.equal(w.b.hart.mtinst, 0x3481n, "ld x9, 0(x0) with bit 1 cleared");
});

test("an SC without a reservation at V=1 is translated as a store: a G-stage read-only page is a store guest-page fault", () => {
  const sc = ins("sc.w", 7, 5, 6);
  const w = world([...li(5, BigInt(VA + 4)), sc, EBREAK]);
  w.g.write(w.gLeaf, pte(HPA_DATA, PTE.V | PTE.R | PTE.U));
  const t = runToTrap(w.b);
  assert.deepEqual([t.cause, t.tval, w.b.hart.mtval2], [23n, BigInt(VA + 4), BigInt(GPA_DATA + 4) >> 2n]);
  assert.equal(w.b.hart.mtinst, BigInt(sc >>> 0) & ~0xf8000n, "the SC with rs1 cleared");
});

test("a VS-stage page fault from V=1: htval 0, GVA 1; VS-mode needs vsstatus.SUM for U pages", () => {
  const w = world(LOAD);
  w.vs.write(w.vsLeaf, pte(GPA_DATA, PTE.V | PTE.R | PTE.U));
  w.b.hart.writeCsr(CSR.medeleg, 1n << 13n);
  runToTrap(w.b);
  assert.deepEqual([w.b.hart.scause, w.b.hart.htval, (w.b.hart.hstatus >> 6) & 1], [13n, 0n, 1]);
  const ok = world(LOAD);
  ok.vs.write(ok.vsLeaf, pte(GPA_DATA, PTE.V | PTE.R | PTE.U));
  ok.b.hart.vsstatus = 1 << 18; // SUM
  runToEbreak(ok.b);
  assert.equal(ok.b.hart.getReg(6), 0x1001n);
});

test("superpages in both stages; a misaligned G-stage superpage is a guest-page fault", () => {
  const w = world([...li(5, BigInt(VA + 0x20_1000)), ins("ld", 6, 5, 8), EBREAK]);
  w.vs.map(VA + 0x20_0000, RAM + 0x40_0000, PTE.R | AD, 1);
  w.g.map(RAM + 0x40_0000, RAM + 0x80_0000, PTE.R | PTE.U | AD, 1);
  w.b.ram.view.setBigUint64(0x80_1008, 0x77n, true);
  runToEbreak(w.b);
  assert.equal(w.b.hart.getReg(6), 0x77n);
  const m = world([...li(5, BigInt(VA + 0x20_1000)), ins("ld", 6, 5, 8), EBREAK]);
  m.vs.map(VA + 0x20_0000, RAM + 0x40_0000, PTE.R | AD, 1);
  m.g.map(RAM + 0x40_0000, RAM + 0x81_0000, PTE.R | PTE.U | AD, 1);
  const t = runToTrap(m.b);
  assert.deepEqual([t.cause, m.b.hart.mtval2], [21n, BigInt(RAM + 0x40_1008) >> 2n]);
});

test("vsatp Bare: the guest virtual address is the GPA; beyond 41 bits it is a guest-page fault", () => {
  const w = world([...li(5, BigInt(GPA_DATA)), ins("ld", 6, 5, 8), ...li(5, 1n << 41n), ins("ld", 6, 5, 0), EBREAK]);
  w.b.hart.vsatp = 0n;
  const t = runToTrap(w.b);
  assert.equal(w.b.hart.getReg(6), 0x1001n);
  assert.deepEqual([t.cause, t.tval, w.b.hart.mtval2], [21n, 1n << 41n, 1n << 39n]);
});

test("HLV/HSV from HS act as VS (SPVP = 1) or VU (SPVP = 0) with two-stage translation; HLVX needs X", () => {
  const code = [...li(5, BigInt(VA + 8)), ins("hlv.d", 6, 5), ins("hsv.d", 6, 5) /* x6 → (x5) */, ...li(7, BigInt(RAM)), ins("hlvx.wu", 8, 7), EBREAK];
  const w = world(code, 1, false);
  w.b.hart.hstatus = 1 << 8; // SPVP = VS
  runToEbreak(w.b);
  const h = w.b.hart;
  assert.deepEqual([h.getReg(6), h.getReg(8)], [0x1001n, BigInt(code[0] >>> 0)], "hlvx.wu reads the (execute-only for it) code");
  assert.equal(w.vs.pteAt(w.vsLeaf) & AD, AD);
  const u = world([...li(5, BigInt(VA + 8)), ins("hlv.d", 6, 5), EBREAK], 1, false); // SPVP = 0: VU, page has no U
  const t = runToTrap(u.b);
  const ms = u.b.hart.readCsr(CSR.mstatus)!;
  assert.deepEqual([t.cause, t.tval, (ms >> 38n) & 3n], [13n, BigInt(VA + 8), 1n], "GVA = 1, MPV = 0");
  const x = world([...li(5, BigInt(VA + 8)), ins("hlvx.wu", 6, 5), EBREAK], 1, false);
  x.b.hart.hstatus = 1 << 8;
  assert.equal(runToTrap(x.b).cause, 13n, "HLVX on a page without X: load page fault");
  const user = world([...li(5, BigInt(VA + 8)), ins("hlv.d", 6, 5), EBREAK], 0, false);
  user.b.hart.hstatus = (1 << 9) | (1 << 8); // HU
  runToEbreak(user.b);
  assert.equal(user.b.hart.getReg(6), 0x1001n);
});

test("MPRV with MPV = 1: M-mode loads use two-stage translation", () => {
  const w = world(LOAD, 3, false);
  w.b.hart.writeCsr(CSR.mstatus, (1n << 17n) | (1n << 11n) | (1n << 39n)); // MPRV, MPP = S, MPV
  runToEbreak(w.b);
  assert.equal(w.b.hart.getReg(6), 0x1001n);
});

/** Runs the code at RAM + off in mode (prv, virt) up to its ebreak. */
function runAt(b: Board, off: number, prv: number, virt: boolean): void {
  b.hart.pc = BigInt(RAM + off);
  b.hart.setMode(prv, virt);
  runToEbreak(b);
}

test("stale two-stage TLB entries stay until the fence for their VMID: sfence.vma in HS and other VMIDs leave them", () => {
  // 0: ld; 8: sfence.vma; 16: hfence.gvma x0, x7; 24: hfence.vvma; 32: sfence.vma (from VS)
  const code = [ins("ld", 6, 5, 8), EBREAK, ins("sfence.vma", 0, 0), EBREAK, ins("hfence.gvma", 0, 7), EBREAK, ins("hfence.vvma", 0, 0), EBREAK, ins("sfence.vma", 0, 0), EBREAK];
  const w = world(code);
  const h = w.b.hart;
  h.setReg(5, BigInt(VA));
  const load = () => (runAt(w.b, 0, 1, true), h.getReg(6));
  assert.equal(load(), 0x1001n);
  w.g.write(w.gLeaf, pte(HPA_OTHER, PTE.V | PTE.R | PTE.W | PTE.U | AD));
  assert.equal(load(), 0x1001n, "stale after the G-stage change");
  runAt(w.b, 8, 1, false);
  assert.equal(load(), 0x1001n, "sfence.vma in HS fences HS translations only");
  h.setReg(7, 5n);
  runAt(w.b, 16, 1, false);
  assert.equal(load(), 0x1001n, "hfence.gvma for another VMID");
  h.setReg(7, BigInt(VMID));
  runAt(w.b, 16, 1, false);
  assert.equal(load(), 0x2001n, "hfence.gvma for this VMID");
  w.vs.write(w.vsLeaf, pte(GPA_DATA, PTE.V | PTE.R | AD)); // back to the first page: a VS-stage change
  w.g.write(w.gLeaf, pte(HPA_DATA, PTE.V | PTE.R | PTE.W | PTE.U | AD));
  assert.equal(load(), 0x2001n, "stale");
  runAt(w.b, 32, 1, true);
  assert.equal(load(), 0x1001n, "sfence.vma in VS fences the VS stage of the current VMID");
  w.g.write(w.gLeaf, pte(HPA_OTHER, PTE.V | PTE.R | PTE.W | PTE.U | AD));
  assert.equal(load(), 0x1001n);
  runAt(w.b, 24, 1, false);
  assert.equal(load(), 0x2001n, "hfence.vvma drops the whole cached translation");
  w.g.write(w.gLeaf, pte(HPA_DATA, PTE.V | PTE.R | PTE.W | PTE.U | AD));
  h.hgatp = (8n << 60n) | (2n << 44n) | BigInt(G_ROOT / 4096);
  assert.equal(load(), 0x1001n, "another VMID walks afresh");
  h.vsatp = 0n;
  h.setReg(5, BigInt(GPA_DATA));
  assert.equal(load(), 0x1001n, "vsatp Bare takes effect without a fence");
});

test("guest code in VS-mode is translated to JavaScript and computes what the interpreter computes", () => {
  // the sum of the 64 doublewords at VA, 200 times
  const loop = [
    ...li(10, 0n), ...li(12, 200n),
    ...li(5, BigInt(VA)), ...li(11, 64n),
    ins("ld", 6, 5, 0), ins("add", 10, 10, 6), ins("addi", 5, 5, 8), ins("addi", 11, 11, -1), ins("bne", 11, 0, -16),
    ins("addi", 12, 12, -1), ins("bne", 12, 0, -(4 * (li(5, BigInt(VA)).length + li(11, 64n).length + 6))),
    EBREAK,
  ];
  const run = (translate: boolean) => {
    const w = world(loop);
    w.b.hart.translator.enabled = translate;
    w.b.hart.translator.threshold = 100;
    runToEbreak(w.b, 10_000_000);
    return { sum: w.b.hart.getReg(10), translated: w.b.hart.translatorStats.translatedInstructions };
  };
  const fast = run(true), slow = run(false);
  assert.equal(fast.sum, slow.sum);
  assert.equal(fast.sum, 200n * (8n * 0x1000n + 28n), "the page holds 0x1000 + i in its first 8 doublewords");
  assert.ok(fast.translated > 50_000, `translated ${fast.translated} of 64,400`);
});
