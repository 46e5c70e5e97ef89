import { Exc } from "../../isa/causes";
import {
  HSTATUS_VTVM, M_INTERRUPTS, MSTATUS_GVA, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MPV, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW,
  S_INTERRUPTS, SSTATUS_VIEW, VS_INTERRUPTS,
} from "../../isa/csr_bits";
import { CSR, csrPrivilege, csrReadOnly } from "../../isa/csrs";
import { hCsrRead, hCsrWrite } from "./csr_h";
import type { Hart } from "./hart";
import { flushFast } from "./mem";
import { mipValue } from "./trap";
import { fpEnabled, markFpDirty, sdBit, sstatusWritable } from "./fpu/status";

/**
 * The CSRs this hart implements, their WARL rules and access checks.
 *
 * Where the spec leaves room, this hart follows QEMU 7.2 (`-cpu rv64` without H: the oracle's
 * model), so that a guest reads back what it would read on QEMU: menvcfg writable bits
 * 0xc0000000000000f1, senvcfg 0xf1, mcounteren/scounteren/mcountinhibit all 64 bits, satp ASID
 * 16 bits, mtvec writes with mode ≥ 2 ignored, mcause any value.
 * Where QEMU deviates from the spec, this hart follows the spec (test/oracle/lockstep.ts, rule 9, lists
 * each case with its section): medeleg writable bits 0xb3ff (medeleg[11] is read-only zero, 3.1.8),
 * mideleg 0x222 and mie 0xaaa (the VS*, SGEI and LCOFI bits are read-only zero without H and
 * Sscofpmf; QEMU 7.2 keeps them writable), pmpcfg bits 6:5 zero, pmpaddr bits 63:54 zero.
 * Where they differ, by design:
 *   - misa is RV64 ACDFIMSU (ACIMSU with cpu f=false,d=false; fflags/frm/fcsr exist only with F and
 *     need mstatus.FS ≠ Off, fpu/status.ts). misa is read-only, as
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

const MSTATUS_WRITABLE = MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
const XL64 = (2n << 32n) | (2n << 34n); // UXL = SXL = 2
const MISA = 0x8000000000141105n; // MXL=2, A C I M S U
const MISA_F = 1n << 5n;
const MISA_D = 1n << 3n;
const MISA_H = 1n << 7n;
const MEDELEG_WRITABLE = 0xb3ff;
const MEDELEG_WRITABLE_H = 0xf0b7ff;
const MIDELEG_WRITABLE = S_INTERRUPTS;
const MIDELEG_ONES_H = VS_INTERRUPTS;
const MIE_WRITABLE = S_INTERRUPTS | M_INTERRUPTS;
const MIP_WRITABLE = S_INTERRUPTS;
const MENVCFG_WRITABLE = 0xc0000000000000f1n;
const SENVCFG_WRITABLE = 0xf1n;

function mstatusValue(h: Hart): bigint {
  return BigInt(h.mstatus) | XL64 | sdBit(h.mstatus) | (h.mpv ? MSTATUS_MPV : 0n) | (h.gva ? MSTATUS_GVA : 0n);
}

function misaValue(h: Hart): bigint {
  return MISA | (h.hasH ? MISA_H : 0n) | (h.hasF ? MISA_F : 0n) | (h.hasD ? MISA_D : 0n);
}

/** When V=1, the VS CSR that an s* CSR number stands for. */
export function redirectVs(num: number): number {
  switch (num) {
    case CSR.sstatus: case CSR.sie: case CSR.stvec: case CSR.sscratch: case CSR.sepc: case CSR.scause: case CSR.stval: case CSR.sip: case CSR.satp:
      return num + 0x100;
  }
  return num;
}

/** The CSR's current value, or undefined when not implemented. No side effects. */
export function csrRead(h: Hart, num: number): bigint | undefined {
  switch (num) {
    case CSR.sstatus: return BigInt(h.mstatus & SSTATUS_VIEW) | (2n << 32n) | sdBit(h.mstatus);
    case CSR.fflags: return h.hasF ? BigInt(h.fflags) : undefined;
    case CSR.frm: return h.hasF ? BigInt(h.frm) : undefined;
    case CSR.fcsr: return h.hasF ? BigInt((h.frm << 5) | h.fflags) : undefined;
    case CSR.sie: return BigInt(h.mie & h.mideleg & S_INTERRUPTS);
    case CSR.stvec: return h.stvec;
    case CSR.scounteren: return h.scounteren;
    case CSR.senvcfg: return h.senvcfg;
    case CSR.sscratch: return h.sscratch;
    case CSR.sepc: return h.sepc;
    case CSR.scause: return h.scause;
    case CSR.stval: return h.stval;
    case CSR.sip: return BigInt(mipValue(h) & h.mideleg & S_INTERRUPTS);
    case CSR.satp: return h.satp;
    case CSR.mstatus: return mstatusValue(h);
    case CSR.misa: return misaValue(h);
    case CSR.medeleg: return BigInt(h.medeleg);
    case CSR.mideleg: return BigInt(h.hasH ? h.mideleg | MIDELEG_ONES_H : h.mideleg);
    case CSR.mie: return BigInt(h.mie);
    case CSR.mtvec: return h.mtvec;
    case CSR.mcounteren: return h.mcounteren;
    case CSR.menvcfg: return h.menvcfg;
    case CSR.mcountinhibit: return h.mcountinhibit;
    case CSR.mscratch: return h.mscratch;
    case CSR.mepc: return h.mepc;
    case CSR.mcause: return h.mcause;
    case CSR.mtval: return h.mtval;
    case CSR.mip: return BigInt(mipValue(h));
    case CSR.pmpcfg0: return h.pmp.readCfg(0);
    case CSR.pmpcfg0 + 2: return h.pmp.readCfg(2);
    case CSR.mcycle: case CSR.cycle: return h.cycle.read(h.retired);
    case CSR.minstret: case CSR.instret: return h.instretCounter.read(h.retired);
    case CSR.time: return h.virt ? BigInt.asUintN(64, h.time.mtime() + h.htimedelta) : h.time.mtime();
    case CSR.mhartid: return BigInt(h.hartId);
    case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return 0n;
  }
  if (num >= CSR.pmpaddr0 && num < CSR.pmpaddr0 + 16) return h.pmp.addr[num - CSR.pmpaddr0];
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
    case CSR.mstatus: {
      const writable = MSTATUS_WRITABLE | sstatusWritable(h);
      let next = (h.mstatus & ~writable) | (low & writable);
      if ((next & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT === 2) next = (next & ~MSTATUS_MPP) | (h.mstatus & MSTATUS_MPP);
      h.mstatus = next;
      if (h.hasH) {
        h.mpv = (v & MSTATUS_MPV) !== 0n;
        h.gva = (v & MSTATUS_GVA) !== 0n;
      }
      flushFast(h);
      break;
    }
    case CSR.sstatus:
      h.mstatus = (h.mstatus & ~sstatusWritable(h)) | (low & sstatusWritable(h));
      flushFast(h);
      break;
    case CSR.fflags: h.fflags = low & 31; markFpDirty(h); break;
    case CSR.frm: h.frm = low & 7; markFpDirty(h); break;
    case CSR.fcsr: h.fflags = low & 31; h.frm = (low >> 5) & 7; markFpDirty(h); break;
    case CSR.medeleg: h.medeleg = low & (h.hasH ? MEDELEG_WRITABLE_H : MEDELEG_WRITABLE); break;
    case CSR.mideleg: h.mideleg = low & MIDELEG_WRITABLE; break;
    case CSR.mie: h.mie = low & (h.hasH ? MIE_WRITABLE | VS_INTERRUPTS : MIE_WRITABLE); break;
    case CSR.sie: {
      const mask = h.mideleg & S_INTERRUPTS;
      h.mie = (h.mie & ~mask) | (low & mask);
      break;
    }
    case CSR.mip:
      h.mipSw = low & MIP_WRITABLE;
      if (h.hasH) h.hvip = (h.hvip & ~4) | (low & 4); // VSSIP
      break;
    case CSR.sip: {
      const mask = h.mideleg & 2; // only SSIP is writable through sip
      h.mipSw = (h.mipSw & ~mask) | (low & mask);
      break;
    }
    case CSR.mtvec: if ((v & 3n) < 2n) h.mtvec = v; break;
    case CSR.stvec: if ((v & 3n) < 2n) h.stvec = v; break;
    case CSR.mepc: h.mepc = v & ~1n; break;
    case CSR.sepc: h.sepc = v & ~1n; break;
    case CSR.mcause: h.mcause = v; break;
    case CSR.scause: h.scause = v; break;
    case CSR.mtval: h.mtval = v; break;
    case CSR.stval: h.stval = v; break;
    case CSR.mscratch: h.mscratch = v; break;
    case CSR.sscratch: h.sscratch = v; break;
    case CSR.mcounteren: h.mcounteren = v; break;
    case CSR.scounteren: h.scounteren = v; break;
    case CSR.menvcfg: h.menvcfg = v & MENVCFG_WRITABLE; break;
    case CSR.senvcfg: h.senvcfg = v & SENVCFG_WRITABLE; break;
    case CSR.mcountinhibit:
      h.mcountinhibit = v;
      h.cycle.inhibit(h.retired, (v & 1n) !== 0n);
      h.instretCounter.inhibit(h.retired, (v & 4n) !== 0n);
      break;
    case CSR.mcycle: h.cycle.write(h.retired, v); break;
    case CSR.minstret: h.instretCounter.write(h.retired, v); break;
    case CSR.pmpcfg0: h.pmp.writeCfg(0, v); break;
    case CSR.pmpcfg0 + 2: h.pmp.writeCfg(2, v); break;
    case CSR.satp: writeSatp(h, v); break;
    default:
      if (num >= CSR.pmpaddr0 && num < CSR.pmpaddr0 + 16) h.pmp.writeAddr(num - CSR.pmpaddr0, v);
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
  if (csrRead(h, num) === undefined) return Exc.illegalInstruction;
  if (write && csrReadOnly(num)) return Exc.illegalInstruction;
  if (num >= CSR.fflags && num <= CSR.fcsr && !fpEnabled(h)) return Exc.illegalInstruction;
  const need = csrPrivilege(num);
  const prv = h.prv;
  if (!h.virt) {
    if ((prv === 1 ? 2 : prv) < need) return Exc.illegalInstruction;
    if ((num === CSR.satp || num === CSR.hgatp) && prv === 1 && (h.mstatus & MSTATUS_TVM) !== 0) return Exc.illegalInstruction;
  } else {
    if (need === 3) return Exc.illegalInstruction;
    if (need === 2 || (need === 1 && prv === 0)) return Exc.virtualInstruction;
    if (num === CSR.satp && (h.hstatus & HSTATUS_VTVM) !== 0) return Exc.virtualInstruction;
  }
  if (num >= CSR.cycle && num <= 0xc1f && prv < 3) {
    const bit = BigInt(num - CSR.cycle);
    if (((h.mcounteren >> bit) & 1n) === 0n) return Exc.illegalInstruction;
    if (h.virt) {
      if (((h.hcounteren >> bit) & 1n) === 0n || (prv === 0 && ((h.scounteren >> bit) & 1n) === 0n)) return Exc.virtualInstruction;
    } else if (prv === 0 && ((h.scounteren >> bit) & 1n) === 0n) {
      return Exc.illegalInstruction;
    }
  }
  return 0;
}

/** Whether a CSR instruction in the current mode may access CSR `num` (csrCheck found nothing to raise). */
export function csrAccessible(h: Hart, num: number, write: boolean): boolean {
  return csrCheck(h, num, write) === 0;
}
