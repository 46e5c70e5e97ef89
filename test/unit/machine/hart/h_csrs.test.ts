import assert from "node:assert/strict";
import { test } from "node:test";
import { CSR } from "../../../../src/isa/csrs";
import type { Board } from "../../../../src/machine/board";
import { ins } from "./encode";
import { boot, bootGuest, csrr, csrw, EBREAK, runToEbreak, runToTrap } from "./harness";

const H = { hypervisorExtension: true };

/** The trap one instruction raises in mode (prv, virt): [cause, tval]. */
function trapOf(bits: number, prv: number, virt: boolean, setup?: (b: Board) => void): [bigint, bigint] {
  const t = runToTrap(bootGuest([bits], prv, virt, setup));
  return [t.cause, t.tval];
}

test("without H: misa has no H, H and VS CSRs and instructions do not exist", () => {
  const b = boot([csrr(5, CSR.hstatus)]);
  assert.equal(b.hart.readCsr(CSR.misa)! & (1n << 7n), 0n);
  for (const n of [CSR.hstatus, CSR.hgatp, CSR.vsstatus, CSR.vsatp, CSR.mtinst, CSR.mtval2]) assert.equal(b.hart.readCsr(n), undefined);
  assert.equal(b.hart.writeCsr(CSR.medeleg, -1n) && b.hart.readCsr(CSR.medeleg), 0xb3ffn);
  assert.equal(b.hart.readCsr(CSR.mideleg), 0n);
  const t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [2n, BigInt(csrr(5, CSR.hstatus))]);
});

test("H CSRs exist with their WARL rules", () => {
  const h = boot([EBREAK], H).hart;
  const rw = (n: number, v: bigint) => (h.writeCsr(n, v), h.readCsr(n));
  assert.equal(h.readCsr(CSR.misa)! & (1n << 7n), 1n << 7n);
  assert.equal(h.readCsr(CSR.hstatus), 2n << 32n, "VSXL = 2");
  assert.equal(rw(CSR.hstatus, -1n), (2n << 32n) | 0x73f3c0n, "VTSR VTW VTVM VGEIN HU SPVP SPV GVA; VSBE 0");
  assert.equal(rw(CSR.hedeleg, -1n), 0xb1ffn);
  assert.equal(rw(CSR.hideleg, -1n), 0x444n);
  assert.equal(rw(CSR.medeleg, -1n), 0xf0b7ffn, "ecall-VS and guest faults delegable; 11 read-only 0");
  assert.equal(rw(CSR.mideleg, 0n), 0x444n, "VS interrupts always delegated (no SGEI: GEILEN = 0)");
  assert.equal(rw(CSR.mie, -1n), 0xeeen, "SGEIE read-only 0 (GEILEN = 0)");
  assert.equal(rw(CSR.hie, 0n), 0n);
  assert.equal(h.readCsr(CSR.mie), 0xaaan, "hie is mie's VS bits");
  assert.equal(rw(CSR.hvip, -1n), 0x444n);
  assert.equal(h.readCsr(CSR.hip), 0x444n);
  assert.equal(h.readCsr(CSR.mip)! & 0x444n, 0x444n);
  h.writeCsr(CSR.mip, 0n);
  assert.equal(h.readCsr(CSR.hvip), 0x440n, "mip.VSSIP is hvip.VSSIP; VSTIP/VSEIP read-only in mip");
  assert.equal(rw(CSR.hgeie, -1n), 0n);
  assert.equal(h.readCsr(CSR.hgeip), 0n);
  assert.equal(rw(CSR.htinst, 0x1234n), 0n, "htinst holds only what traps write");
  assert.equal(rw(CSR.mtinst, 0x3000n), 0x3000n);
  assert.equal(rw(CSR.htval, 0x1234n), 0x1234n);
  assert.equal(rw(CSR.mtval2, 0x5678n), 0x5678n);
  assert.equal(rw(CSR.hgatp, (8n << 60n) | (0xffffn << 44n) | 0xfffffffffffn), (8n << 60n) | (0x3fffn << 44n) | 0xffffffffffcn, "VMID 14 bits, 16 KiB root");
  assert.equal(rw(CSR.hgatp, (9n << 60n) | 0x1230n), 0x1230n, "unsupported mode: Bare (WARL, not ignored)");
  assert.equal(rw(CSR.vsatp, (8n << 60n) | 0x80000n), (8n << 60n) | 0x80000n);
  assert.equal(rw(CSR.vsatp, 9n << 60n), (8n << 60n) | 0x80000n, "unsupported vsatp mode ignored, as for satp");
  assert.equal(rw(CSR.vsstatus, -1n), (1n << 63n) | (2n << 32n) | 0xc6122n, "SIE SPIE SPP FS SUM MXR; UXL = 2; SD as FS is Dirty");
  assert.equal(rw(CSR.henvcfg, -1n), 0xf1n, "PBMTE/STCE only where menvcfg has them");
  h.writeCsr(CSR.menvcfg, 1n << 63n);
  assert.equal(rw(CSR.henvcfg, -1n), (1n << 63n) | 0xf1n);
  h.writeCsr(CSR.hideleg, 0x40n);
  assert.equal(rw(CSR.vsie, -1n), 0x20n, "vsie.STIE is hie.VSTIE, when hideleg delegates VSTI");
  assert.equal(h.readCsr(CSR.hie), 0x40n);
  h.writeCsr(CSR.hideleg, 0x44n);
  h.writeCsr(CSR.hvip, 0x40n);
  assert.equal(rw(CSR.vsip, -1n), 0x22n, "vsip.SSIP writes hvip.VSSIP; STIP read-only");
  assert.equal(h.readCsr(CSR.hvip), 0x44n);
  assert.equal(rw(CSR.mstatus, (1n << 39n) | (1n << 38n)), (2n << 32n) | (2n << 34n) | (3n << 38n), "MPV, GVA");
});

test("when V=1 the s* CSRs are the vs* CSRs; time adds htimedelta", () => {
  const b = bootGuest([csrr(5, CSR.sstatus), csrw(CSR.sscratch, 6), csrr(7, CSR.sepc), csrr(8, CSR.time), EBREAK], 1, true, (g) => {
    g.hart.vsstatus = 0x2;
    g.hart.vsepc = 0x1230n;
    g.hart.htimedelta = 1000n;
    g.hart.writeCsr(CSR.mcounteren, 2n); // TM
    g.hart.writeCsr(CSR.hcounteren, 2n);
  });
  b.hart.setReg(6, 0x55n);
  runToEbreak(b);
  const h = b.hart;
  assert.equal(h.getReg(5), (2n << 32n) | 2n);
  assert.equal(h.vsscratch, 0x55n);
  assert.equal(h.sscratch, 0n);
  assert.equal(h.getReg(7), 0x1230n);
  assert.ok(h.getReg(8) >= 1000n);
});

test("virtual-instruction (22) where HS-mode could do it, illegal (2) otherwise; tval = instruction", () => {
  const VS = [1, true] as const, VU = [0, true] as const;
  const cases: [number, readonly [number, boolean], bigint, ((b: Board) => void)?][] = [
    [csrr(5, CSR.hstatus), VS, 22n],
    [csrr(5, CSR.vsstatus), VS, 22n],
    [csrr(5, CSR.hgatp), VS, 22n],
    [csrr(5, CSR.mstatus), VS, 2n],
    [csrw(CSR.hgeip, 5), VS, 2n], // read-only: not allowed in HS either
    [csrr(5, CSR.sstatus), VU, 22n],
    [csrr(5, CSR.hstatus), VU, 22n],
    [csrr(5, CSR.satp), VS, 22n, (b) => (b.hart.hstatus = 1 << 20)], // VTVM
    [ins("sfence.vma", 0, 0), VS, 22n, (b) => (b.hart.hstatus = 1 << 20)],
    [ins("sret"), VS, 22n, (b) => (b.hart.hstatus = 1 << 22)], // VTSR
    [ins("sret"), VU, 22n],
    [ins("sfence.vma", 0, 0), VU, 22n],
    [ins("wfi"), VU, 22n],
    [ins("wfi"), VS, 22n, (b) => (b.hart.hstatus = 1 << 21)], // VTW
    [ins("wfi"), VS, 2n, (b) => b.hart.writeCsr(CSR.mstatus, 1n << 21n)], // TW
    [ins("hfence.vvma", 0, 0), VS, 22n],
    [ins("hfence.gvma", 0, 0), VS, 22n],
    [ins("hlv.d", 5, 6), VS, 22n],
    [ins("hsv.w", 5, 6), VU, 22n],
    [csrr(5, CSR.cycle), VS, 22n, (b) => b.hart.writeCsr(CSR.mcounteren, 1n)], // hcounteren = 0
    [csrr(5, CSR.cycle), VS, 2n], // mcounteren = 0
    [csrr(5, CSR.cycle), VU, 22n, (b) => { b.hart.writeCsr(CSR.mcounteren, 1n); b.hart.writeCsr(CSR.hcounteren, 1n); }], // scounteren = 0
    [csrr(5, CSR.hgatp), [1, false], 2n, (b) => b.hart.writeCsr(CSR.mstatus, 1n << 20n)], // TVM in HS
    [ins("hfence.gvma", 0, 0), [1, false], 2n, (b) => b.hart.writeCsr(CSR.mstatus, 1n << 20n)],
    [ins("hlv.d", 5, 6), [0, false], 2n], // U-mode, HU = 0
    [ins("hfence.vvma", 0, 0), [0, false], 2n, (b) => (b.hart.hstatus = 1 << 9)], // HU covers only HLV/HSV
  ];
  for (const [bits, [prv, virt], cause, setup] of cases) {
    assert.deepEqual(trapOf(bits, prv, virt, setup), [cause, BigInt(bits >>> 0)], `0x${bits.toString(16)} in ${virt ? "V" : ""}${["U", "S"][prv]}`);
  }
});

test("allowed: VS reads its counters with hcounteren and fences; HS reads H CSRs; VS waits in WFI", () => {
  runToEbreak(bootGuest([csrr(5, CSR.cycle), ins("sfence.vma", 0, 0), EBREAK], 1, true, (b) => {
    b.hart.writeCsr(CSR.mcounteren, 1n);
    b.hart.writeCsr(CSR.hcounteren, 1n);
  }));
  runToEbreak(bootGuest([csrr(5, CSR.hgatp), csrr(6, CSR.vsstatus), EBREAK], 1, false));
  const w = bootGuest([ins("wfi")], 1, true);
  w.step();
  assert.ok(w.hart.waiting);
  assert.equal(w.hart.pc, 0x8000_0004n);
});
