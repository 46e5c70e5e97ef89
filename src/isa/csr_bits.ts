/**
 * Masks of the CSR bits that the hart and the VMM test and set, read off the field table
 * (csr_fields.ts) so that each bit position is written once. Flat constants rather than an object:
 * the hart's hot paths use them, and a module-level const is folded where a property load is not.
 */
import { Irq } from "./causes";
import { CSR_FIELDS } from "./csr_fields";

/** The mask of a field in the low 32 bits of a CSR. */
function mask(csr: string, field: string): number {
  const f = CSR_FIELDS.get(csr)?.find((x) => x.name === field);
  if (!f || f.lsb + f.width > 31) throw new Error(`csr_bits: ${csr}.${field} is not a low-word field`);
  return ((1 << f.width) - 1) << f.lsb;
}

/** The mask of a field in the high 32 bits of a CSR, as a bigint. */
function mask64(csr: string, field: string): bigint {
  const f = CSR_FIELDS.get(csr)?.find((x) => x.name === field);
  if (!f) throw new Error(`csr_bits: no field ${csr}.${field}`);
  return ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
}

export const MSTATUS_SIE = mask("mstatus", "SIE");
export const MSTATUS_MIE = mask("mstatus", "MIE");
export const MSTATUS_SPIE = mask("mstatus", "SPIE");
export const MSTATUS_MPIE = mask("mstatus", "MPIE");
export const MSTATUS_SPP = mask("mstatus", "SPP");
export const MSTATUS_MPP = mask("mstatus", "MPP");
export const MSTATUS_MPRV = mask("mstatus", "MPRV");
export const MSTATUS_SUM = mask("mstatus", "SUM");
export const MSTATUS_MXR = mask("mstatus", "MXR");
export const MSTATUS_TVM = mask("mstatus", "TVM");
export const MSTATUS_TW = mask("mstatus", "TW");
export const MSTATUS_TSR = mask("mstatus", "TSR");
export const MSTATUS_FS = mask("mstatus", "FS");
export const MSTATUS_GVA = mask64("mstatus", "GVA");
export const MSTATUS_MPV = mask64("mstatus", "MPV");
/** mstatus.MPP's shift: the field holds a privilege level. */
export const MSTATUS_MPP_SHIFT = 11;

export const HSTATUS_GVA = mask("hstatus", "GVA");
export const HSTATUS_SPV = mask("hstatus", "SPV");
export const HSTATUS_SPVP = mask("hstatus", "SPVP");
export const HSTATUS_HU = mask("hstatus", "HU");
export const HSTATUS_VGEIN = mask("hstatus", "VGEIN");
export const HSTATUS_VTVM = mask("hstatus", "VTVM");
export const HSTATUS_VTW = mask("hstatus", "VTW");
export const HSTATUS_VTSR = mask("hstatus", "VTSR");

/** sstatus: the low-word mstatus fields that S-mode sees. */
export const SSTATUS_VIEW = (CSR_FIELDS.get("sstatus") ?? []).filter((f) => f.lsb < 31).reduce((m, f) => m | mask("sstatus", f.name), 0);
/** The sstatus bits that S-mode may write (WARL choices of Hyperstep's hart: no vector, no big-endian). */
export const SSTATUS_WRITABLE = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR;

/** An interrupt's bit in mip/mie (and sip/sie, hip/hie, hvip). */
export const MIP_SSIP = 1 << Irq.ssi;
export const MIP_VSSIP = 1 << Irq.vssi;
export const MIP_MSIP = 1 << Irq.msi;
export const MIP_STIP = 1 << Irq.sti;
export const MIP_VSTIP = 1 << Irq.vsti;
export const MIP_MTIP = 1 << Irq.mti;
export const MIP_SEIP = 1 << Irq.sei;
export const MIP_VSEIP = 1 << Irq.vsei;
export const MIP_MEIP = 1 << Irq.mei;
/** SSI, STI, SEI: the S-level interrupts. */
export const S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** MSI, MTI, MEI: the M-level interrupts. */
export const M_INTERRUPTS = MIP_MSIP | MIP_MTIP | MIP_MEIP;
/** VSSI, VSTI, VSEI: each one bit above its S-level counterpart. */
export const VS_INTERRUPTS = MIP_VSSIP | MIP_VSTIP | MIP_VSEIP;
