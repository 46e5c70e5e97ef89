import type { Bus } from "../../bus";
import type { AccessWidth, DeviceState, IrqLine, MmioDevice, Width } from "../../device";
import { DmaError, type DmaTranslator } from "../virtio/dma";
import * as R from "./registers";
import { iommuView } from "./view";

/**
 * A RISC-V IOMMU (RISC-V IOMMU Architecture Specification 1.0) between the devices and host memory:
 * every DMA of a device it serves names an I/O virtual address (IOVA), and the IOMMU finds where
 * that is in host-physical memory, or refuses the access and records why in its fault queue.
 *
 * What it implements of the specification, as its software (a VMM) programs it:
 *  - the device directory (§2.1): ddtp in Off, Bare or 1LVL mode; a 1LVL table is one page of
 *    base-format device contexts (32 bytes: tc, iohgatp, ta, fsc), indexed by device_id[6:0];
 *  - second-stage translation (§2.3): iohgatp in Bare or Sv39x4 mode, a table of the same format
 *    as the hart's G stage (hgatp): a 16 KiB root over 41-bit guest-physical addresses, leaves that
 *    need V and U, R for a read and W for a write; A and D are neither checked nor set, as the
 *    specification has it for an IOMMU without capabilities.AMO_HWAD;
 *    first-stage translation is not offered (fsc must be Bare), so the IOVA is a guest-physical
 *    address;
 *  - the fault queue (§3.2): 32-byte records (hdr = CAUSE | TTYP << 34 | DID << 40, iotval = the
 *    IOVA, iotval2 = the guest-physical address for a guest-page fault), fqt advanced by the
 *    IOMMU, fqh by software, overflow (fqof) and memory faults (fqmf) flagged in fqcsr;
 *  - a wired interrupt (IGS = WSI): the line is high while ipsr.FIP is set and fqcsr.FIE enables it.
 *
 * It caches nothing: each translation reads the device context and walks the table again, so there
 * is no IOTLB to invalidate and no command queue (its registers read zero). MSIs are not translated:
 * the devices it serves (virtio-mmio) signal interrupts by wire.
 */
export class IommuFault extends DmaError {
  constructor(readonly record: IommuFaultRecord) {
    super(`IOMMU fault: ${R.CAUSE_NAMES[record.cause]} (cause ${record.cause}) for device ${record.deviceId} at IOVA 0x${record.iotval.toString(16)}`);
  }
}

export interface IommuFaultRecord {
  /** Sequence number, from 1. */
  n: number;
  cause: number;
  ttyp: number;
  deviceId: number;
  iotval: bigint;
  iotval2: bigint;
  /** Where the record was written in memory (−1: not written: the queue was off, full, or unreachable). */
  at: number;
}

export interface IommuTranslation {
  deviceId: number;
  iova: number;
  hpa: number;
  length: number;
  write: boolean;
}

type PageResult = { hpa: number } | { cause: number; iotval2: bigint };

/** How many translations and faults the view keeps. */
const KEEP = 16;
const PAGE = 4096;
const PPN_MASK = (1n << 44n) - 1n;
const V = 1n, R_ = 2n, W = 4n, X = 8n, U = 16n;
const GPA_BITS = 41;

export interface IommuState {
  ddtp: bigint;
  fqb: bigint;
  fqh: number;
  fqt: number;
  fqcsr: number;
  ipsr: number;
  translations: readonly IommuTranslation[];
  faults: readonly IommuFaultRecord[];
}

export class Iommu implements MmioDevice {
  readonly name = "iommu";
  readonly base = R.IOMMU_BASE;
  readonly size = R.IOMMU_SIZE;
  private ddtp = 0n;
  private fqb = 0n;
  private fqh = 0;
  private fqt = 0;
  private fqcsr = 0;
  private ipsr = 0;
  private readonly translations: IommuTranslation[] = [];
  private readonly faults: IommuFaultRecord[] = [];
  private faultCount = 0;
  /** Set while a debugger's view walks a device's rings: translations then leave no trace. */
  private inspecting = false;

  constructor(
    private readonly bus: Bus,
    private readonly irq: IrqLine,
  ) {}

  accepts(offset: number, width: AccessWidth): boolean {
    return (width === 4 || width === 8) && offset % width === 0 && offset + width <= this.size;
  }

  read(offset: number, _width: Width): number {
    switch (offset) {
      case R.CAPABILITIES: return low(R.CAPABILITIES_VALUE);
      case R.CAPABILITIES + 4: return high(R.CAPABILITIES_VALUE);
      case R.FCTL: return R.FCTL_WSI;
      case R.DDTP: return low(this.ddtp);
      case R.DDTP + 4: return high(this.ddtp);
      case R.FQB: return low(this.fqb);
      case R.FQB + 4: return high(this.fqb);
      case R.FQH: return this.fqh;
      case R.FQT: return this.fqt;
      case R.FQCSR: return this.fqcsr;
      case R.IPSR: return this.ipsr;
      default: return 0;
    }
  }

  write(offset: number, _width: Width, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case R.DDTP: this.setDdtp((this.ddtp & ~0xffff_ffffn) | v); break;
      case R.DDTP + 4: this.setDdtp((this.ddtp & 0xffff_ffffn) | (v << 32n)); break;
      case R.FQB: if (!(this.fqcsr & R.FQCSR_FQON)) this.fqb = (this.fqb & ~0xffff_ffffn) | v; break;
      case R.FQB + 4: if (!(this.fqcsr & R.FQCSR_FQON)) this.fqb = (this.fqb & 0xffff_ffffn) | (v << 32n); break;
      case R.FQH: this.fqh = (value >>> 0) & this.queueMask(); break;
      case R.FQCSR: this.setFqcsr(value >>> 0); break;
      case R.IPSR:
        this.ipsr &= ~(value & R.IPSR_FIP); // RW1C
        this.updateIrq();
        break;
      default: break; // read-only or not implemented
    }
  }

  registerName(offset: number, write: boolean): string {
    return R.iommuRegisterName(offset, write);
  }

  view(): DeviceState {
    return iommuView(this.state());
  }

  state(): IommuState {
    return {
      ddtp: this.ddtp, fqb: this.fqb, fqh: this.fqh, fqt: this.fqt, fqcsr: this.fqcsr, ipsr: this.ipsr,
      translations: this.translations, faults: this.faults,
    };
  }

  /**
   * Runs `fn` (a view of a device behind this IOMMU, reading guest memory as the device would)
   * without side effects: a fault is thrown as a DmaError but not recorded, and no translation is kept.
   */
  inspect<T>(fn: () => T): T {
    this.inspecting = true;
    try {
      return fn();
    } finally {
      this.inspecting = false;
    }
  }

  /** The DMA path of the device with this device_id: its accesses through this IOMMU. */
  forDevice(deviceId: number): DmaTranslator {
    return { translate: (iova, length, write) => this.translate(deviceId, iova, length, write) };
  }

  /**
   * The host-physical address of [iova, iova+length) for device `deviceId`; the range must map to
   * contiguous host memory. A fault is recorded in the fault queue and thrown as an IommuFault: the
   * access does not happen.
   */
  translate(deviceId: number, iova: number, length: number, write: boolean): number {
    const first = this.page(deviceId, iova, write);
    let hpa = first;
    for (let p = Math.floor(iova / PAGE) + 1; p * PAGE < iova + length; p++) {
      const next = this.page(deviceId, p * PAGE, write);
      if (next !== hpa - (hpa % PAGE) + PAGE) throw new DmaError(`IOVA 0x${iova.toString(16)} (${length} bytes) maps to discontiguous host pages`);
      hpa = next;
    }
    if (!this.inspecting) this.keep(this.translations, { deviceId, iova, hpa: first, length, write });
    return first;
  }

  private page(deviceId: number, iova: number, write: boolean): number {
    const r = this.translatePage(deviceId, iova, write);
    if ("hpa" in r) return r.hpa;
    if (this.inspecting) throw new DmaError(`IOVA 0x${iova.toString(16)} has no translation for device ${deviceId}`);
    throw new IommuFault(this.report(r.cause, write ? R.TTYP_WRITE : R.TTYP_READ, deviceId, BigInt(iova), r.iotval2));
  }

  /** §2.3's process to translate an IOVA, for the modes this model offers. */
  private translatePage(deviceId: number, iova: number, write: boolean): PageResult {
    const mode = Number(this.ddtp & 0xfn);
    if (mode === R.DDTP_OFF) return { cause: R.CAUSE.allDisallowed, iotval2: 0n };
    if (mode === R.DDTP_BARE) return { hpa: iova };
    if (deviceId >= PAGE / R.DC_BYTES) return { cause: R.CAUSE.ttypDisallowed, iotval2: 0n };
    const dc = this.ppn(this.ddtp) + deviceId * R.DC_BYTES;
    const tc = this.load(dc), iohgatp = this.load(dc + 8), fsc = this.load(dc + 24);
    if (tc === undefined || iohgatp === undefined || fsc === undefined) return { cause: R.CAUSE.ddtLoadAccess, iotval2: 0n };
    if (!(tc & R.DC_TC_V)) return { cause: R.CAUSE.ddtNotValid, iotval2: 0n };
    const gmode = Number(iohgatp >> 60n);
    const root = Number(iohgatp & PPN_MASK) * PAGE;
    // Set tc bits beyond V ask for what this model does not offer (ATS, PRI, T2GPA, process directories…).
    if (tc !== R.DC_TC_V || fsc !== 0n || (gmode !== R.IOHGATP_BARE && gmode !== R.IOHGATP_SV39X4) || (gmode === R.IOHGATP_SV39X4 && root % (4 * PAGE) !== 0)) {
      return { cause: R.CAUSE.ddtMisconfigured, iotval2: 0n };
    }
    if (gmode === R.IOHGATP_BARE) return { hpa: iova };
    return this.walk(root, iova, write);
  }

  /** The Sv39x4 second-stage walk (privileged spec, two-stage address translation), as the hart's G stage. */
  private walk(root: number, gpa: number, write: boolean): PageResult {
    const guestPage = { cause: write ? R.CAUSE.writeGuestPage : R.CAUSE.readGuestPage, iotval2: BigInt(gpa) & ~3n };
    if (gpa >= 2 ** GPA_BITS) return guestPage;
    let table = root;
    for (let level = 2; level >= 0; level--) {
      const span = 2 ** (12 + 9 * level);
      const index = Math.floor(gpa / span) % (level === 2 ? 2048 : 512);
      const pte = this.load(table + 8 * index);
      if (pte === undefined) return { cause: write ? R.CAUSE.writeAccess : R.CAUSE.readAccess, iotval2: 0n };
      if (!(pte & V) || (!(pte & R_) && pte & W)) return guestPage;
      const ppn = Number((pte >> 10n) & PPN_MASK);
      if (!(pte & (R_ | W | X))) {
        table = ppn * PAGE;
        continue;
      }
      const misaligned = ppn % 2 ** (9 * level) !== 0;
      const allowed = write ? pte & W : pte & R_;
      if (misaligned || !(pte & U) || !allowed) return guestPage;
      return { hpa: ppn * PAGE + (gpa % span) };
    }
    return guestPage;
  }

  /** Writes a fault record at the queue's tail (§3.2), raising the interrupt; returns the record. */
  private report(cause: number, ttyp: number, deviceId: number, iotval: bigint, iotval2: bigint): IommuFaultRecord {
    const rec: IommuFaultRecord = { n: ++this.faultCount, cause, ttyp, deviceId, iotval, iotval2, at: -1 };
    this.keep(this.faults, rec);
    if (!(this.fqcsr & R.FQCSR_FQON)) return rec;
    const mask = this.queueMask();
    if (((this.fqt + 1) & mask) === this.fqh) {
      this.fqcsr |= R.FQCSR_FQOF;
    } else {
      const at = this.ppn(this.fqb) + this.fqt * R.FAULT_RECORD_BYTES;
      const bytes = new Uint8Array(R.FAULT_RECORD_BYTES);
      const v = new DataView(bytes.buffer);
      v.setBigUint64(0, BigInt(cause) | (BigInt(ttyp) << 34n) | (BigInt(deviceId) << 40n), true);
      v.setBigUint64(16, iotval, true);
      v.setBigUint64(24, iotval2, true);
      if (!this.bus.writeBytes(at, bytes)) {
        this.fqcsr |= R.FQCSR_FQMF;
      } else {
        rec.at = at;
        this.fqt = (this.fqt + 1) & mask;
      }
    }
    this.ipsr |= R.IPSR_FIP;
    this.updateIrq();
    return rec;
  }

  private setDdtp(v: bigint): void {
    // An unsupported mode (2LVL, 3LVL, reserved) leaves the register as it was (§5.5).
    if (Number(v & 0xfn) > R.DDTP_1LVL) return;
    this.ddtp = v & ((PPN_MASK << 10n) | 0xfn);
  }

  private setFqcsr(v: number): void {
    const cleared = this.fqcsr & ~(v & (R.FQCSR_FQMF | R.FQCSR_FQOF));
    let next = (cleared & ~(R.FQCSR_FQEN | R.FQCSR_FIE)) | (v & (R.FQCSR_FQEN | R.FQCSR_FIE));
    if (v & R.FQCSR_FQEN && !(this.fqcsr & R.FQCSR_FQON)) {
      // Enabling the queue resets its tail and its error flags (§5.16).
      this.fqt = 0;
      next = (next & ~(R.FQCSR_FQMF | R.FQCSR_FQOF)) | R.FQCSR_FQON;
    } else if (!(v & R.FQCSR_FQEN)) {
      next &= ~R.FQCSR_FQON;
    }
    this.fqcsr = next;
    this.updateIrq();
  }

  /** Entries − 1 of the fault queue: fqb.LOG2SZ-1 is log2(entries) − 1. */
  private queueMask(): number {
    return 2 ** (Number(this.fqb & 0x1fn) + 1) - 1;
  }

  private ppn(reg: bigint): number {
    return Number((reg >> 10n) & PPN_MASK) * PAGE;
  }

  private load(pa: number): bigint | undefined {
    const ram = this.bus.ram;
    return ram.contains(pa, 8) ? ram.view.getBigUint64(pa - ram.base, true) : undefined;
  }

  private keep<T>(list: T[], item: T): void {
    if (list.length === KEEP) list.shift();
    list.push(item);
  }

  private updateIrq(): void {
    this.irq.set((this.ipsr & R.IPSR_FIP) !== 0 && (this.fqcsr & R.FQCSR_FIE) !== 0);
  }
}

const low = (v: bigint) => Number(v & 0xffff_ffffn);
const high = (v: bigint) => Number((v >> 32n) & 0xffff_ffffn);
