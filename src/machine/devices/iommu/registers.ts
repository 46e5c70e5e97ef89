import { unnamed } from "../format";

/**
 * The RISC-V IOMMU's memory-mapped registers (RISC-V IOMMU Architecture Specification 1.0, chapter
 * 5), as offsets from its base, and the fields of the in-memory structures it reads and writes
 * (chapters 2 and 3). Only what this model implements is named: the device directory, second-stage
 * translation, the fault queue and wired interrupts. The command and page-request queues are absent
 * (their registers read zero): the model caches no translation, so there is nothing to invalidate.
 *
 * The register file sits where QEMU's `virt` board puts its platform IOMMU (`-machine
 * virt,iommu-sys=on`, VIRT_IOMMU_SYS): 0x0301_0000, 4 KiB.
 */
export const IOMMU_BASE = 0x0301_0000;
export const IOMMU_SIZE = 0x1000;

export const CAPABILITIES = 0x00;
export const FCTL = 0x08;
export const DDTP = 0x10;
export const FQB = 0x28;
export const FQH = 0x30;
export const FQT = 0x34;
export const FQCSR = 0x4c;
export const IPSR = 0x54;

/** capabilities: version 1.0, Sv39x4 second stage, wired interrupts only (IGS = WSI), 34-bit physical addresses. */
export const CAP_VERSION = 0x10n;
export const CAP_SV39X4 = 1n << 17n;
export const CAP_IGS_WSI = 1n << 28n;
export const CAP_PAS = 34n << 32n;
export const CAPABILITIES_VALUE = CAP_VERSION | CAP_SV39X4 | CAP_IGS_WSI | CAP_PAS;
/** fctl.WSI: interrupts are signalled by wire (the only way this IOMMU has). */
export const FCTL_WSI = 2;

/** ddtp.iommu_mode (§5.5): Off blocks every transaction, Bare lets them through untranslated. */
export const DDTP_OFF = 0;
export const DDTP_BARE = 1;
export const DDTP_1LVL = 2;
export const DDTP_MODE_NAMES = ["Off", "Bare", "1LVL", "2LVL", "3LVL"];

/** fqcsr bits (§5.16). */
export const FQCSR_FQEN = 1 << 0;
export const FQCSR_FIE = 1 << 1;
export const FQCSR_FQMF = 1 << 8;
export const FQCSR_FQOF = 1 << 9;
export const FQCSR_FQON = 1 << 16;
/** ipsr.FIP: the fault queue has a record the driver has not seen (§5.18). */
export const IPSR_FIP = 1 << 1;

/** Device context, base format (§2.1): 32 bytes, tc, iohgatp, ta, fsc; 128 of them fill a 1LVL table. */
export const DC_BYTES = 32;
export const DC_TC_V = 1n;
/** iohgatp.MODE (bits 63:60): Bare, or Sv39x4 (8). GSCID is bits 59:44, the root PPN bits 43:0. */
export const IOHGATP_BARE = 0;
export const IOHGATP_SV39X4 = 8;
/** A fault record (§3.2): hdr, reserved, iotval, iotval2. */
export const FAULT_RECORD_BYTES = 32;

/** Fault causes (§3.2.1) this model reports. */
export const CAUSE = {
  readAccess: 5,
  writeAccess: 7,
  readGuestPage: 21,
  writeGuestPage: 23,
  allDisallowed: 256,
  ddtLoadAccess: 257,
  ddtNotValid: 258,
  ddtMisconfigured: 259,
  ttypDisallowed: 260,
} as const;

export const CAUSE_NAMES: Record<number, string> = {
  5: "read access fault",
  7: "write/AMO access fault",
  21: "read guest-page fault",
  23: "write/AMO guest-page fault",
  256: "all inbound transactions disallowed",
  257: "DDT entry load access fault",
  258: "DDT entry not valid",
  259: "DDT entry misconfigured",
  260: "transaction type disallowed",
};

/** Transaction types (§3.2, TTYP): an untranslated read or write (this model's devices do no ATS). */
export const TTYP_READ = 2;
export const TTYP_WRITE = 3;

const NAMES: Record<number, string> = {
  [CAPABILITIES]: "capabilities", [CAPABILITIES + 4]: "capabilities+4", [FCTL]: "fctl",
  [DDTP]: "ddtp", [DDTP + 4]: "ddtp+4", [FQB]: "fqb", [FQB + 4]: "fqb+4", [FQH]: "fqh", [FQT]: "fqt",
  [FQCSR]: "fqcsr", [IPSR]: "ipsr",
};

export function iommuRegisterName(offset: number, _write: boolean): string {
  return NAMES[offset] ?? unnamed(offset);
}
