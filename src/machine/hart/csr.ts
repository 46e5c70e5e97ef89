import { csrPrivilege, csrReadOnly } from "../../isa/csrs";
import { hCsrRead, hCsrWrite, VS_INTERRUPTS } from "./csr_h";
import type { Hart } from "./hart";
import { flushFast } from "./mem";
import { mipValue } from "./trap";

/**
 * The CSRs this hart implements, their WARL rules and access checks.
 *
 * Where the spec leaves room, this hart follows QEMU 7.2 (`-cpu rv64` without H, F, D: the oracle's
 * model), so that a guest reads back what it would read on QEMU: menvcfg writable bits
 * 0xc0000000000000f1, senvcfg 0xf1, mcounteren/scounteren/mcountinhibit all 64 bits, satp ASID
 * 16 bits, mtvec writes with mode ≥ 2 ignored, mcause any value.
 * Where QEMU deviates from the spec, this hart follows the spec (test/oracle/lockstep.ts, rule 9, lists
 * each case with its section): medeleg writable bits 0xb3ff (medeleg[11] is read-only zero, 3.1.8),
 * mideleg 0x222 and mie 0xaaa (the VS*, SGEI and LCOFI bits are read-only zero without H and
 * Sscofpmf; QEMU 7.2 keeps them writable), pmpcfg bits 6:5 zero, pmpaddr bits 63:54 zero.
 * Where they differ, by design:
 *   - misa is RV64 ACIMSU (QEMU reports F and D too; this hart has no FPU). misa is read-only, as
 *     in QEMU (misa_w off), so C cannot be turned off.
 *   - satp writes with modes other than Bare and Sv39 are ignored (QEMU's default CPU also takes
 *     Sv48/Sv57: run QEMU with `-cpu rv64,sv48=off,sv57=off` to compare). A satp write does not
 *     flush the TLB (QEMU's does); ASIDs are the point.
 *   - mepc/sepc bit 0 reads as 0 (spec: IALIGN = 16); QEMU returns what was written.
 *   - mstatus.MPP = 2 (reserved) is not stored: the field keeps its old value (QEMU stores 2).
 *   - mip writable bits are SSIP, STIP, SEIP (QEMU also VSSIP/VSEIP/LCOFIP, and drops STIP with Sstc).
 *   - pmpaddr keeps 54 bits (QEMU all 64).
 *   - mhpmcounter3–31, mhpmevent3–31 and hpmcounter3–31 read 0 and ignore writes.
 *   - tselect/tdata* (QEMU implements Sdtrig) and every other CSR not listed here: illegal.
 *
 * With the H extension (csr_h.ts has its CSRs): misa.H, mstatus.MPV/GVA, medeleg bits 10 and 20–23
 * writable, mideleg's VS bits 10, 6, 2 read-only one (bit 12, SGEI, only "if GEILEN is nonzero",
 * 8.4.2: here it is 0; QEMU 7.2 makes it one too), mie's VS bits writable, mip.VSSIP writable. When V=1 the s* CSRs sstatus, sie, stvec,
 * sscratch, sepc, scause, stval, sip and satp are their vs* counterparts (csrInstruction), `time`
 * adds htimedelta, and csrCheck chooses between illegal-instruction and virtual-instruction as the
 * spec's "Virtual-Instruction Exceptions" lists.
 */

const MSTATUS_WRITABLE = 0x7e19aa; // SIE MIE SPIE MPIE SPP MPP MPRV SUM MXR TVM TW TSR
const SSTATUS_VIEW = 0x000de762; // SIE SPIE UBE SPP VS FS XS SUM MXR
const SSTATUS_WRITABLE = 0x000c0122; // SIE SPIE SPP SUM MXR
const XL64 = (2n << 32n) | (2n << 34n); // UXL = SXL = 2
const MISA = 0x8000000000141105n; // MXL=2, A C I M S U
const MISA_H = 1n << 7n;
const MEDELEG_WRITABLE = 0xb3ff;
const MEDELEG_WRITABLE_H = 0xf0b7ff;
const MIDELEG_WRITABLE = 0x222;
const MIDELEG_ONES_H = 0x444;
const MIE_WRITABLE = 0xaaa;
const MIP_WRITABLE = 0x222;
const MSTATUS_MPV = 1n << 39n;
const MSTATUS_GVA = 1n << 38n;
const S_INTERRUPTS = 0x222;
const MENVCFG_WRITABLE = 0xc0000000000000f1n;
const SENVCFG_WRITABLE = 0xf1n;

function mstatusValue(h: Hart): bigint {
  return BigInt(h.mstatus) | XL64 | (h.mpv ? MSTATUS_MPV : 0n) | (h.gva ? MSTATUS_GVA : 0n);
}

/** When V=1, the VS CSR that an s* CSR number stands for. */
export function redirectVs(num: number): number {
  switch (num) {
    case 0x100: case 0x104: case 0x105: case 0x140: case 0x141: case 0x142: case 0x143: case 0x144: case 0x180:
      return num + 0x100;
  }
  return num;
}

/** The CSR's current value, or undefined when not implemented. No side effects. */
export function csrRead(h: Hart, num: number): bigint | undefined {
  switch (num) {
    case 0x100: return BigInt(h.mstatus & SSTATUS_VIEW) | (2n << 32n);
    case 0x104: return BigInt(h.mie & h.mideleg & S_INTERRUPTS);
    case 0x105: return h.stvec;
    case 0x106: return h.scounteren;
    case 0x10a: return h.senvcfg;
    case 0x140: return h.sscratch;
    case 0x141: return h.sepc;
    case 0x142: return h.scause;
    case 0x143: return h.stval;
    case 0x144: return BigInt(mipValue(h) & h.mideleg & S_INTERRUPTS);
    case 0x180: return h.satp;
    case 0x300: return mstatusValue(h);
    case 0x301: return h.hasH ? MISA | MISA_H : MISA;
    case 0x302: return BigInt(h.medeleg);
    case 0x303: return BigInt(h.hasH ? h.mideleg | MIDELEG_ONES_H : h.mideleg);
    case 0x304: return BigInt(h.mie);
    case 0x305: return h.mtvec;
    case 0x306: return h.mcounteren;
    case 0x30a: return h.menvcfg;
    case 0x320: return h.mcountinhibit;
    case 0x340: return h.mscratch;
    case 0x341: return h.mepc;
    case 0x342: return h.mcause;
    case 0x343: return h.mtval;
    case 0x344: return BigInt(mipValue(h));
    case 0x3a0: return h.pmp.readCfg(0);
    case 0x3a2: return h.pmp.readCfg(2);
    case 0xb00: case 0xc00: return h.cycle.read(h.retired);
    case 0xb02: case 0xc02: return h.instretCounter.read(h.retired);
    case 0xc01: return h.virt ? BigInt.asUintN(64, h.time.mtime() + h.htimedelta) : h.time.mtime();
    case 0xf11: case 0xf12: case 0xf13: case 0xf14: case 0xf15: return 0n;
  }
  if (num >= 0x3b0 && num < 0x3c0) return h.pmp.addr[num - 0x3b0];
  if ((num >= 0xb03 && num <= 0xb1f) || (num >= 0xc03 && num <= 0xc1f) || (num >= 0x323 && num <= 0x33f)) return 0n;
  return h.hasH ? hCsrRead(h, num) : undefined;
}

/**
 * Writes a CSR with its WARL rules, as the CSR instruction being executed does (so a write to mcycle or
 * minstret replaces that instruction's increment: counters.ts). `v` is the unsigned 64-bit value; the
 * CSR must exist.
 */
export function csrWrite(h: Hart, num: number, v: bigint): void {
  const low = Number(v & 0xffffffffn);
  switch (num) {
    case 0x300: {
      let next = (h.mstatus & ~MSTATUS_WRITABLE) | (low & MSTATUS_WRITABLE);
      if (((next >> 11) & 3) === 2) next = (next & ~(3 << 11)) | (h.mstatus & (3 << 11));
      h.mstatus = next;
      if (h.hasH) {
        h.mpv = (v & MSTATUS_MPV) !== 0n;
        h.gva = (v & MSTATUS_GVA) !== 0n;
      }
      flushFast(h);
      break;
    }
    case 0x100:
      h.mstatus = (h.mstatus & ~SSTATUS_WRITABLE) | (low & SSTATUS_WRITABLE);
      flushFast(h);
      break;
    case 0x302: h.medeleg = low & (h.hasH ? MEDELEG_WRITABLE_H : MEDELEG_WRITABLE); break;
    case 0x303: h.mideleg = low & MIDELEG_WRITABLE; break;
    case 0x304: h.mie = low & (h.hasH ? MIE_WRITABLE | VS_INTERRUPTS : MIE_WRITABLE); break;
    case 0x104: {
      const mask = h.mideleg & S_INTERRUPTS;
      h.mie = (h.mie & ~mask) | (low & mask);
      break;
    }
    case 0x344:
      h.mipSw = low & MIP_WRITABLE;
      if (h.hasH) h.hvip = (h.hvip & ~4) | (low & 4); // VSSIP
      break;
    case 0x144: {
      const mask = h.mideleg & 2; // only SSIP is writable through sip
      h.mipSw = (h.mipSw & ~mask) | (low & mask);
      break;
    }
    case 0x305: if ((v & 3n) < 2n) h.mtvec = v; break;
    case 0x105: if ((v & 3n) < 2n) h.stvec = v; break;
    case 0x341: h.mepc = v & ~1n; break;
    case 0x141: h.sepc = v & ~1n; break;
    case 0x342: h.mcause = v; break;
    case 0x142: h.scause = v; break;
    case 0x343: h.mtval = v; break;
    case 0x143: h.stval = v; break;
    case 0x340: h.mscratch = v; break;
    case 0x140: h.sscratch = v; break;
    case 0x306: h.mcounteren = v; break;
    case 0x106: h.scounteren = v; break;
    case 0x30a: h.menvcfg = v & MENVCFG_WRITABLE; break;
    case 0x10a: h.senvcfg = v & SENVCFG_WRITABLE; break;
    case 0x320:
      h.mcountinhibit = v;
      h.cycle.inhibit(h.retired, (v & 1n) !== 0n);
      h.instretCounter.inhibit(h.retired, (v & 4n) !== 0n);
      break;
    case 0xb00: h.cycle.write(h.retired, v); break;
    case 0xb02: h.instretCounter.write(h.retired, v); break;
    case 0x3a0: h.pmp.writeCfg(0, v); break;
    case 0x3a2: h.pmp.writeCfg(2, v); break;
    case 0x180: writeSatp(h, v); break;
    default:
      if (num >= 0x3b0 && num < 0x3c0) h.pmp.writeAddr(num - 0x3b0, v);
      else if (h.hasH) hCsrWrite(h, num, v);
      // everything else implemented is read-only zero or read-only by number
  }
}

function writeSatp(h: Hart, v: bigint): void {
  const mode = Number(v >> 60n);
  if (mode !== 0 && mode !== 8) return;
  h.satp = v;
  h.satpMode = mode;
  h.satpAsid = Number((v >> 44n) & 0xffffn);
  h.satpRoot = Number(v & 0xfffffffffffn) * 4096;
  flushFast(h);
}

/**
 * Whether a CSR instruction in the current mode may access CSR `num` (reading it, and writing it
 * when `write`): 0, or the exception it raises instead, 2 (illegal instruction) or 22 (virtual
 * instruction). Covers existence, read-only numbers, the privilege in the number (HS-mode counts as
 * the hypervisor level 2), mcounteren/hcounteren/scounteren for the user counters, mstatus.TVM for
 * satp and hgatp in HS-mode, and hstatus.VTVM for satp in VS-mode. When V=1, an access HS-mode
 * could make (TVM assumed 0) to an H or VS CSR, or from VU-mode to an S CSR, is a virtual
 * instruction; to an M CSR it is illegal.
 */
export function csrCheck(h: Hart, num: number, write: boolean): number {
  if (csrRead(h, num) === undefined) return 2;
  if (write && csrReadOnly(num)) return 2;
  const need = csrPrivilege(num);
  const prv = h.prv;
  if (!h.virt) {
    if ((prv === 1 ? 2 : prv) < need) return 2;
    if ((num === 0x180 || num === 0x680) && prv === 1 && (h.mstatus & (1 << 20)) !== 0) return 2;
  } else {
    if (need === 3) return 2;
    if (need === 2 || (need === 1 && prv === 0)) return 22;
    if (num === 0x180 && (h.hstatus & (1 << 20)) !== 0) return 22;
  }
  if (num >= 0xc00 && num <= 0xc1f && prv < 3) {
    const bit = BigInt(num - 0xc00);
    if (((h.mcounteren >> bit) & 1n) === 0n) return 2;
    if (h.virt) {
      if (((h.hcounteren >> bit) & 1n) === 0n || (prv === 0 && ((h.scounteren >> bit) & 1n) === 0n)) return 22;
    } else if (prv === 0 && ((h.scounteren >> bit) & 1n) === 0n) {
      return 2;
    }
  }
  return 0;
}

/** Whether a CSR instruction in the current mode may access CSR `num` (csrCheck found nothing to raise). */
export function csrAccessible(h: Hart, num: number, write: boolean): boolean {
  return csrCheck(h, num, write) === 0;
}
