import type { Hart } from "./hart";
import { flushFast } from "./mem";
import { mipValue } from "./trap";

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

const HSTATUS_WRITABLE = 0x73f3c0; // GVA SPV SPVP HU VGEIN VTVM VTW VTSR
const VSSTATUS_WRITABLE = 0x000c0122; // SIE SPIE SPP SUM MXR
const XL = 2n << 32n; // hstatus.VSXL, vsstatus.UXL
export const VS_INTERRUPTS = 0x444;
const HEDELEG_WRITABLE = 0xb1ff;
const HENVCFG_WRITABLE = 0xf1n;
const HENVCFG_FROM_MENVCFG = 3n << 62n; // PBMTE, STCE

function henvcfgMask(h: Hart): bigint {
  return HENVCFG_WRITABLE | (h.menvcfg & HENVCFG_FROM_MENVCFG);
}

/** The H CSR's value, or undefined when it is not one. No side effects. */
export function hCsrRead(h: Hart, num: number): bigint | undefined {
  switch (num) {
    case 0x600: return BigInt(h.hstatus) | XL;
    case 0x602: return BigInt(h.hedeleg);
    case 0x603: return BigInt(h.hideleg);
    case 0x604: return BigInt(h.mie & VS_INTERRUPTS);
    case 0x605: return h.htimedelta;
    case 0x606: return h.hcounteren;
    case 0x607: case 0xe12: return 0n;
    case 0x60a: return h.henvcfg & henvcfgMask(h);
    case 0x643: return h.htval;
    case 0x644: return BigInt(mipValue(h) & VS_INTERRUPTS);
    case 0x645: return BigInt(h.hvip);
    case 0x64a: return h.htinst;
    case 0x680: return h.hgatp;
    case 0x200: return BigInt(h.vsstatus) | XL;
    case 0x204: return BigInt((h.mie & h.hideleg & VS_INTERRUPTS) >> 1);
    case 0x205: return h.vstvec;
    case 0x240: return h.vsscratch;
    case 0x241: return h.vsepc;
    case 0x242: return h.vscause;
    case 0x243: return h.vstval;
    case 0x244: return BigInt((mipValue(h) & h.hideleg & VS_INTERRUPTS) >> 1);
    case 0x280: return h.vsatp;
    case 0x34a: return h.mtinst;
    case 0x34b: return h.mtval2;
  }
  return undefined;
}

/** Writes an H CSR (one hCsrRead knows) with its WARL rules; `v` is unsigned 64-bit. */
export function hCsrWrite(h: Hart, num: number, v: bigint): void {
  const low = Number(v & 0xffffffffn);
  switch (num) {
    case 0x600: h.hstatus = low & HSTATUS_WRITABLE; break;
    case 0x602: h.hedeleg = low & HEDELEG_WRITABLE; break;
    case 0x603: h.hideleg = low & VS_INTERRUPTS; break;
    case 0x604: h.mie = (h.mie & ~VS_INTERRUPTS) | (low & VS_INTERRUPTS); break;
    case 0x605: h.htimedelta = v; break;
    case 0x606: h.hcounteren = v; break;
    case 0x60a: h.henvcfg = v & henvcfgMask(h); break;
    case 0x643: h.htval = v; break;
    case 0x644: h.hvip = (h.hvip & ~4) | (low & 4); break;
    case 0x645: h.hvip = low & VS_INTERRUPTS; break;
    case 0x680: h.hgatp = v; break;
    case 0x200:
      h.vsstatus = (h.vsstatus & ~VSSTATUS_WRITABLE) | (low & VSSTATUS_WRITABLE);
      flushFast(h);
      break;
    case 0x204: {
      const mask = h.hideleg & VS_INTERRUPTS;
      h.mie = (h.mie & ~mask) | ((low << 1) & mask);
      break;
    }
    case 0x205: if ((v & 3n) < 2n) h.vstvec = v; break;
    case 0x240: h.vsscratch = v; break;
    case 0x241: h.vsepc = v & ~1n; break;
    case 0x242: h.vscause = v; break;
    case 0x243: h.vstval = v; break;
    case 0x244: {
      const mask = h.hideleg & 4; // only SSIP (hvip.VSSIP) is writable through vsip
      h.hvip = (h.hvip & ~mask) | ((low << 1) & mask);
      break;
    }
    case 0x280: h.vsatp = v; break;
    case 0x34a: h.mtinst = v; break;
    case 0x34b: h.mtval2 = v; break;
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
