import {
  HSTATUS_GVA, HSTATUS_HU, HSTATUS_SPV, HSTATUS_SPVP, HSTATUS_VGEIN, HSTATUS_VTSR, HSTATUS_VTVM, HSTATUS_VTW, VS_INTERRUPTS,
} from "../../isa/csr_bits";
import { CSR } from "../../isa/csrs";
import type { Hart } from "./hart";
import { flushFast } from "./mem";
import { mipValue } from "./trap";
import { sdBit, sstatusWritable } from "./fpu/status";

/**
 * The H extension's CSRs (privileged spec 1.12, "Hypervisor Extension"): the HS-level h* CSRs, the
 * VS CSRs, mtval2 and mtinst. csr.ts asks here only when the hart has H.
 *
 * WARL choices, as QEMU 7.2 (`-cpu rv64,h=true`) makes them where the spec leaves room:
 *   - GEILEN = 0: hgeip and hgeie read 0; hstatus.VGEIN keeps its 6 bits (WLRL) but selects nothing;
 *   - hstatus.VSXL = 2 and vsstatus.UXL = 2 read-only, VSBE = 0; hedeleg writable bits 0xb1ff
 *     (0–8, 12, 13, 15), hideleg and hvip 0x444 (VSSI, VSTI, VSEI);
 *   - hgatp: Sv39x4 (8) or Bare, any other mode becomes Bare (fields WARL); VMID 14 bits; PPN[1:0]
 *     read 0 (16 KiB root);
 *   - writes to htinst are ignored (it holds what trap entry wrote), mtinst/mtval2/htval keep any
 *     value; henvcfg writable bits 0xf1 plus PBMTE/STCE where menvcfg has them; htimedelta, hcounteren
 *     all 64 bits.
 * Where QEMU 7.2 deviates from the spec, this follows the spec:
 *   - hstatus and vsstatus keep only their defined fields (QEMU stores every bit written: WPRI bits must
 *     read 0 when not implemented, privileged spec 1.12 2.3);
 *   - mideleg[12] (SGEI) is read-only 0 (read-only one only "if GEILEN is nonzero", mideleg in the H
 *     chapter); QEMU makes it one;
 *   - hie.SGEIE and mie.SGEIE are read-only 0 ("Hypervisor Interrupt Registers": a bit of hie is
 *     writable only if that interrupt can ever become pending, and SGEIP cannot with GEILEN = 0);
 *   - mip.VSTIP/VSEIP are read-only (aliases of hip, which ORs hvip in: "mip and mie"); only VSSIP is
 *     writable through mip, hip and vsip. QEMU lets mip writes set all three.
 */

const HSTATUS_WRITABLE = HSTATUS_GVA | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_HU | HSTATUS_VGEIN | HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR;
const XL = 2n << 32n; // hstatus.VSXL, vsstatus.UXL
const HEDELEG_WRITABLE = 0xb1ff;
const HENVCFG_WRITABLE = 0xf1n;
const HENVCFG_FROM_MENVCFG = 3n << 62n; // PBMTE, STCE

function henvcfgMask(h: Hart): bigint {
  return HENVCFG_WRITABLE | (h.menvcfg & HENVCFG_FROM_MENVCFG);
}

/** The H CSR's value, or undefined when it is not one. No side effects. */
export function hCsrRead(h: Hart, num: number): bigint | undefined {
  switch (num) {
    case CSR.hstatus: return BigInt(h.hstatus) | XL;
    case CSR.hedeleg: return BigInt(h.hedeleg);
    case CSR.hideleg: return BigInt(h.hideleg);
    case CSR.hie: return BigInt(h.mie & VS_INTERRUPTS);
    case CSR.htimedelta: return h.htimedelta;
    case CSR.hcounteren: return h.hcounteren;
    case CSR.hgeie: case CSR.hgeip: return 0n;
    case CSR.henvcfg: return h.henvcfg & henvcfgMask(h);
    case CSR.htval: return h.htval;
    case CSR.hip: return BigInt(mipValue(h) & VS_INTERRUPTS);
    case CSR.hvip: return BigInt(h.hvip);
    case CSR.htinst: return h.htinst;
    case CSR.hgatp: return h.hgatp;
    case CSR.vsstatus: return BigInt(h.vsstatus) | XL | sdBit(h.vsstatus);
    case CSR.vsie: return BigInt((h.mie & h.hideleg & VS_INTERRUPTS) >> 1);
    case CSR.vstvec: return h.vstvec;
    case CSR.vsscratch: return h.vsscratch;
    case CSR.vsepc: return h.vsepc;
    case CSR.vscause: return h.vscause;
    case CSR.vstval: return h.vstval;
    case CSR.vsip: return BigInt((mipValue(h) & h.hideleg & VS_INTERRUPTS) >> 1);
    case CSR.vsatp: return h.vsatp;
    case CSR.mtinst: return h.mtinst;
    case CSR.mtval2: return h.mtval2;
  }
  return undefined;
}

/** Writes an H CSR (one hCsrRead knows) with its WARL rules; `v` is unsigned 64-bit. */
export function hCsrWrite(h: Hart, num: number, v: bigint): void {
  const low = Number(v & 0xffffffffn);
  switch (num) {
    case CSR.hstatus: h.hstatus = low & HSTATUS_WRITABLE; break;
    case CSR.hedeleg: h.hedeleg = low & HEDELEG_WRITABLE; break;
    case CSR.hideleg: h.hideleg = low & VS_INTERRUPTS; break;
    case CSR.hie: h.mie = (h.mie & ~VS_INTERRUPTS) | (low & VS_INTERRUPTS); break;
    case CSR.htimedelta: h.htimedelta = v; break;
    case CSR.hcounteren: h.hcounteren = v; break;
    case CSR.henvcfg: h.henvcfg = v & henvcfgMask(h); break;
    case CSR.htval: h.htval = v; break;
    case CSR.hip: h.hvip = (h.hvip & ~4) | (low & 4); break;
    case CSR.hvip: h.hvip = low & VS_INTERRUPTS; break;
    case CSR.hgatp: h.hgatp = v; break;
    case CSR.vsstatus:
      h.vsstatus = (h.vsstatus & ~sstatusWritable(h)) | (low & sstatusWritable(h));
      flushFast(h);
      break;
    case CSR.vsie: {
      const mask = h.hideleg & VS_INTERRUPTS;
      h.mie = (h.mie & ~mask) | ((low << 1) & mask);
      break;
    }
    case CSR.vstvec: if ((v & 3n) < 2n) h.vstvec = v; break;
    case CSR.vsscratch: h.vsscratch = v; break;
    case CSR.vsepc: h.vsepc = v & ~1n; break;
    case CSR.vscause: h.vscause = v; break;
    case CSR.vstval: h.vstval = v; break;
    case CSR.vsip: {
      const mask = h.hideleg & 4; // only SSIP (hvip.VSSIP) is writable through vsip
      h.hvip = (h.hvip & ~mask) | ((low << 1) & mask);
      break;
    }
    case CSR.vsatp: h.vsatp = v; break;
    case CSR.mtinst: h.mtinst = v; break;
    case CSR.mtval2: h.mtval2 = v; break;
    // htinst (0x64a) ignores writes; hgeie, hgeip: GEILEN = 0
  }
}

/** hgatp's WARL rules: decodes into the hart and returns the value it reads back. */
export function writeHgatp(h: Hart, v: bigint): bigint {
  const mode = v >> 60n === 8n ? 8 : 0;
  const vmid = Number((v >> 44n) & 0x3fffn);
  const ppn = v & 0xffffffffffcn;
  h.hgatpMode = mode;
  h.hgatpVmid = vmid;
  h.hgatpRoot = Number(ppn) * 4096;
  flushFast(h);
  return (BigInt(mode) << 60n) | (BigInt(vmid) << 44n) | ppn;
}

/** vsatp's rules (those of satp): a write with a mode other than Bare or Sv39 keeps `old`. */
export function writeVsatp(h: Hart, v: bigint, old: bigint): bigint {
  const mode = Number(v >> 60n);
  if (mode !== 0 && mode !== 8) return old;
  h.vsatpMode = mode;
  h.vsatpAsid = Number((v >> 44n) & 0xffffn);
  h.vsatpRoot = Number(v & 0xfffffffffffn) * 4096;
  flushFast(h);
  return v;
}
