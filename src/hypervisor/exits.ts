import { joinHalves } from "../isa/u64";
import type { Hart } from "../machine/hart/hart";

/**
 * VM exits: every transfer of control into the VMM is one record with a stable reason id.
 *
 * The reason ids are the debugger's exception-breakpoint filters and the keys of the statistics, so
 * they never change meaning. `EXIT_REASONS` documents each one.
 */
export const EXIT_REASONS = [
  { id: "csr-read", label: "CSR read", description: "A CSR instruction that only reads (csrr, or csrrs/csrrc with x0) of a CSR the deprivileged guest may not touch directly; the VMM returns the virtual CSR's value." },
  { id: "csr-write", label: "CSR write", description: "A CSR instruction that writes a virtual CSR (mstatus, satp, mie, mtvec, …); the VMM applies it with all side effects (address-space switch, interrupt enables)." },
  { id: "xret", label: "mret / sret", description: "A trap return: the VMM changes the virtual privilege and pc as the hardware would." },
  { id: "wfi", label: "wfi", description: "Wait for interrupt: the VMM advances virtual time to the next event or idles the vCPU." },
  { id: "sfence", label: "sfence.vma", description: "A TLB fence: the VMM drops the shadow entries the guest's page-table writes made stale, as the operands select." },
  { id: "ecall", label: "ecall", description: "An environment call, reflected to the guest's own handler (mtvec, or stvec when the virtual medeleg delegates it)." },
  { id: "guest-exception", label: "guest exception", description: "A fault the guest itself causes (illegal instruction, ebreak, a true guest page fault, an access fault): reflected to the guest's handler." },
  { id: "virtual-interrupt", label: "virtual interrupt", description: "The VMM injects a pending, enabled virtual interrupt (timer from the virtual CLINT, external from the virtual PLIC, software)." },
  { id: "timer", label: "virtual timer", description: "The virtual CLINT's deadline passed: the VMM raised the guest's MTIP (delivered or not, depending on the guest's enables)." },
  { id: "hidden-page-fault", label: "hidden page fault", description: "A fault the guest never sees: the shadow table lacked an entry, so the VMM walked the guest's table and installed GVA→HPA." },
  { id: "guest-pt-write", label: "guest page-table write", description: "A store to a write-protected guest page-table page: the VMM performs it and marks the shadow entries it affects stale." },
  { id: "pmp-access", label: "PMP-checked access", description: "An access to a guest page that a guest PMP entry covers only in part, which the VMM never shadows: it checks the virtual PMP for this one access, then emulates the load/store, or runs the fetched instruction alone on a one-shot execute-only shadow entry." },
  { id: "mprv-access", label: "MPRV access", description: "A load or store of virtual M-mode with mstatus.MPRV set (MPP below M): its shadow root maps fetches only, so the VMM translates and checks it as MPP (guest table, A/D, PMP) and emulates it." },
  { id: "mmio-read", label: "MMIO read", description: "A load from an emulated device (UART, CLINT, PLIC, finisher): the VMM's device model answers." },
  { id: "mmio-write", label: "MMIO write", description: "A store to an emulated device: the VMM's device model performs it." },
  { id: "guest-page-fault", label: "guest-page fault", description: "Hardware-assisted: an access to a guest-physical address the G-stage table leaves unmapped or read-only. A device: the VMM's device model performs it. A RAM page the guest's PMP covers only in part (or denies), or a guest page-table read there: the VMM runs the instruction once by trap-and-emulate, which checks the PMP per access. Nothing there: the guest gets the access fault it would get natively." },
  { id: "virtual-instruction", label: "virtual instruction", description: "Hardware-assisted: an instruction VS/VU-mode may not execute (the counters, which are the guest's, and supervisor instructions the guest's M-mode traps); the VMM emulates it." },
  { id: "sbi-call", label: "SBI call", description: "An ecall from a guest booted in S-mode: the VMM is its firmware and answers the SBI call (console, timer, shutdown)." },
  { id: "bt-callout", label: "BT callout", description: "Binary translation: translated guest kernel code called into the VMM, without a trap: a sensitive instruction (its details name the exit it would have been; CSR accesses with no side effect run inline and make none), fence.i, a direct jump (jal) to guest code with no translation yet, or the end of a translated block whose successor has none (\"fallthrough\"/\"taken\": the VMM translates it). Transfers to translated code are chained and make no exit." },
  { id: "bt-lookup-miss", label: "BT lookup miss", description: "Binary translation: an indirect jump (jalr, ret) in translated code went to a guest pc that the translation cache's lookup table has no translation for; the VMM translates the target's block." },
  { id: "hypercall-set-trap-table", label: "hypercall set_trap_table", description: "Paravirtual: the guest kernel tells the VMM where its traps and system calls go (stvec) and where event upcalls go." },
  { id: "hypercall-mmu-update", label: "hypercall mmu_update", description: "Paravirtual: a batch of page-table writes, each validated (its own frames only, page-table pages never writable) and written by the VMM." },
  { id: "hypercall-update-va-mapping", label: "hypercall update_va_mapping", description: "Paravirtual: one page-table write, found by the virtual address it maps, validated and written (the unbatched update)." },
  { id: "hypercall-mmuext", label: "hypercall mmuext_op", description: "Paravirtual: pin or unpin a page table, switch the address space (new_baseptr), flush the TLB." },
  { id: "hypercall-multicall", label: "hypercall multicall", description: "Paravirtual: several hypercalls in one exit." },
  { id: "hypercall-timer", label: "hypercall set_timer_op", description: "Paravirtual: the guest kernel programs its one-shot timer event." },
  { id: "hypercall-event-channel", label: "hypercall event_channel_op", description: "Paravirtual: the guest kernel binds a virtual IRQ (the timer or the console) to an event port." },
  { id: "hypercall-sched", label: "hypercall sched_op", description: "Paravirtual: yield, block until an event, or shut down." },
  { id: "hypercall-console", label: "hypercall console_io", description: "Paravirtual: the guest kernel writes to the console, or reads the input that has arrived (Xen's HYPERVISOR_console_io)." },
  { id: "hypercall-iret", label: "hypercall iret", description: "Paravirtual: the guest kernel returns from a trap or an upcall (sret is privileged for it)." },
  { id: "event-upcall", label: "event upcall", description: "Paravirtual: an unmasked event is pending: the VMM enters the guest kernel's event callback." },
  { id: "pv-violation", label: "PV violation", description: "Paravirtual: the VMM refused a page-table update that would break isolation, or the guest kernel executed an instruction it must not (it gets an illegal-instruction trap)." },
  { id: "bt-translate", label: "BT translate", description: "Binary translation: the VMM translated a guest block it had no translation for into the translation cache (details: length in bytes, count of instructions, how many were rewritten); it costs the translation cost per instruction." },
  { id: "bt-invalidate", label: "BT invalidate", description: "Binary translation: the guest wrote to a page holding code the VMM translated (such pages are write-protected); the VMM invalidated the blocks the write touched (details: blocks, count), undid the chains into them, and emulated the store." },
  { id: "fpu-trap", label: "FPU trap", description: "Lazy FPU switching: the guest touched the FPU (an F/D instruction or fcsr) after a world switch, while the VMM kept the hart's FS Off because the guest's floating-point state was not loaded. The VMM loads it, turns FS on and retries the instruction; the guest never sees it (its own FS, its own Off traps and SD are unchanged)." },
  { id: "cow-break", label: "copy-on-write break", description: "Page sharing: the guest stored to a page it shares copy-on-write with other pages of identical contents (mapped read-only); the VMM copied the shared frame to a frame of the page's own (or, for the last page on it, kept the frame), mapped it writable, and the guest retried the store." },
  { id: "host-swap-in", label: "host swap-in", description: "Hypervisor swapping: the guest touched a page the VMM had swapped out to its swap area on the host's disk (its p2m entry was gone); the VMM read it back into a host frame (swapping another page out first if none was free) and the guest retried. A swap-in the VMM's own access made (emulation, device DMA, its walk of a guest page table) is recorded too, with details.op \"vmm\". It costs a disk read of a page, plus the page fault when the guest faulted." },
  { id: "host-swap-out", label: "host swap-out", description: "Hypervisor swapping: a guest page needed a host frame and none was free, so the VMM wrote the page that got its frame longest ago (FIFO; never a shared page, one the access needs, or one the VMM watches) to its swap area, took it out of the p2m and reused its frame (details: gpa, hpa). Recorded just before the exit that needed the frame. It costs a disk write of a page." },
  { id: "world-switch", label: "world switch", description: "Several VMs: the VM's time slice ran out (or it waits with nothing to wake it, or it halted), and the VMM's scheduler gave the host hart to the next VM in turn (round-robin, host.ts). The VMM saved this VM's world (registers, CSRs, the page-table root it runs on: its shadow root or hgatp) and loaded the next one's; the TLB holds no entry of another VM (details: from, to)." },
  // ---- device models (hypervisor/io/) ----
  { id: "virtio-notify", label: "virtio notify", description: "Split device model: the guest's driver wrote QueueNotify, the one register access that exits (reads hit a read-only register image, and the rings are shared in guest memory); the VMM's backend processed the batch the driver made available (details: queue, chains, descriptors) and raised the used-buffer interrupt, which is injected as a virtual interrupt." },
  { id: "iommu-fault", label: "IOMMU fault", description: "Pass-through: the IOMMU refused a DMA of the guest's device (a buffer outside the guest's RAM) and recorded it in its fault queue; its interrupt brought the VMM, which read the record (details: device, gpa = the IOVA, access, causeName). Nothing was written." },
  { id: "device-interrupt", label: "device interrupt", description: "Pass-through: the device the guest owns raised its interrupt line, which the VMM holds on the host; the VMM forwarded it to the guest's virtual PLIC (details: device), which interrupts the vCPU." },
] as const;

export type ExitReason = (typeof EXIT_REASONS)[number]["id"];
export const EXIT_REASON_IDS: readonly ExitReason[] = EXIT_REASONS.map((r) => r.id);

/** The instruction that caused an exit, decoded with the ISA table (mnemonic and fields only; the adapter disassembles fully). */
export interface ExitInstruction {
  /** Raw bits: 16 for a compressed instruction, else 32. */
  bits: number;
  length: 2 | 4;
  /** The ISA table's name of the (expanded) instruction, e.g. "csrrw", "sd", "mret"; "unknown" if none matches. */
  mnemonic: string;
}

/** Reason-specific facts; every field is optional, so filters can test any of them. */
export interface ExitDetails {
  csr?: string;
  csrNumber?: number;
  /** CSR value before and after (csr-write), or the value read (csr-read). */
  oldValue?: bigint;
  newValue?: bigint;
  gva?: bigint;
  gpa?: bigint;
  hpa?: bigint;
  access?: "read" | "write" | "execute";
  device?: string;
  register?: string;
  offset?: number;
  width?: number;
  value?: bigint;
  /** Guest trap cause (exceptions and interrupts) and tval. */
  cause?: bigint;
  causeName?: string;
  tval?: bigint;
  /** Privilege the guest trap or return lands in. */
  toPriv?: number;
  toPc?: bigint;
  /** The VMM switched worlds handling this exit (a new guest address space); its cost is in `cycles`. */
  worldSwitch?: boolean;
  /** What the VMM did with the guest's floating-point state (a world switch, an fpu-trap): fpu_switch.ts. */
  fpu?: string;
  /** Shadow bookkeeping: the root used, entries installed/invalidated. */
  shadowRoot?: string;
  invalidated?: number;
  /** The SBI call a guest booted in S-mode made, e.g. "TIME.set_timer(0x1234)". */
  sbi?: string;
  /** Binary translation: what the callout did ("fallthrough", "jal", …, or the exit reason of the sensitive instruction it emulated). */
  callout?: string;
  /** Binary translation: a translated block's guest bytes and how many of its instructions were rewritten. */
  length?: number;
  rewritten?: number;
  /** Binary translation: the guest pcs of the blocks a code write invalidated. */
  blocks?: string;
  /** A paravirtual hypercall with its arguments, e.g. "mmu_update(0x80013000, 3)", and its result ("ok", "EPERM"). */
  hypercall?: string;
  error?: string;
  /** A hypercall's operation(s) ("new_baseptr", "block") and how many requests a batch carried. */
  op?: string;
  count?: number;
  /** A virtio notification (split model): the queue, and the chains and buffer descriptors the backend processed in that batch. */
  queue?: number;
  chains?: number;
  descriptors?: number;
  /** A world switch between VMs (host.ts): the VM that leaves the host hart and the one that gets it. */
  from?: string;
  to?: string;
  /** sfence.vma operands (undefined = all). */
  vaddr?: bigint;
  asid?: number;
}

/** One step of the VMM's emulation, for the "step into an exit" narrative. */
export interface NarrativeStep {
  /** decode, check, update vCPU state, update shadow, device, inject, resume. */
  phase: "decode" | "check" | "vcpu" | "shadow" | "device" | "inject" | "resume";
  text: string;
  before?: bigint;
  after?: bigint;
}

export interface VmExit {
  /** 1, 2, 3, … per VM. */
  seq: number;
  /** The VM's name, when several share a host (host.ts). */
  vm?: string;
  vcpu: number;
  /** Guest pc and virtual privilege (0 U, 1 S, 3 M) at the exit. */
  pc: bigint;
  priv: number;
  /** Guest instructions retired before the exit. */
  instret: bigint;
  instruction?: ExitInstruction;
  reason: ExitReason;
  details: ExitDetails;
  /** What the VMM did, in one sentence. */
  readonly action: string;
  readonly steps: NarrativeStep[];
  /** Modelled cost in cycles (cost_model.ts). */
  cycles: number;
}

/**
 * A guest pc as the hart keeps it (hart.ts): the number `pcNum`, or the bigint of a wild pc. The VMM
 * captures pcs this way at an exit, and makes the bigint only when a record or a narrative is read.
 */
export type PcAt = bigint | number;

export function pcAt(v: Hart): PcAt {
  return v.wildPc ?? v.pcNum;
}

/** The pc `at` stands for, as the hart's `pc` getter gives it. */
export function pcValue(at: PcAt): bigint {
  return typeof at === "bigint" ? at : joinHalves(at | 0, Math.floor(at / 4294967296) | 0);
}

/** The text of an exit: built only when someone reads it (debugger, CLI, panels). */
/**
 * How every view names an exit: "VM exit 233", never "#233", which VS Code reads as a colour and
 * decorates with a swatch in the generated narrative.
 */
export function exitName(seq: number): string {
  return `VM exit ${seq}`;
}

export interface ExitNarrative {
  action: string;
  steps: NarrativeStep[];
}

/**
 * An exit as the VMM records it on its hot path: the facts (reason, pc, details) at once, the
 * narrative as a function of values captured at the exit, run on the first read of `action` or
 * `steps`. Most exits are never read, and building their strings was most of the VMM's time.
 */
export class ExitRecord implements VmExit {
  seq = 0;
  vm: string | undefined;
  private told: ExitNarrative | undefined;

  constructor(
    readonly vcpu: number,
    /** The guest pc, made a bigint on read. */
    private readonly at: PcAt,
    readonly priv: number,
    /** Guest instructions retired before the exit (a number: `instret` is its bigint, made on read). */
    private readonly retired: number,
    readonly reason: ExitReason,
    readonly instruction: ExitInstruction | undefined,
    readonly details: ExitDetails,
    readonly cycles: number,
    private narrate: (() => ExitNarrative) | undefined,
  ) {}

  get instret(): bigint {
    return BigInt(this.retired);
  }

  get pc(): bigint {
    return pcValue(this.at);
  }

  get action(): string {
    return this.narrative().action;
  }

  get steps(): NarrativeStep[] {
    return this.narrative().steps;
  }

  private narrative(): ExitNarrative {
    if (!this.told) {
      this.told = this.narrate?.() ?? { action: "", steps: [] };
      this.narrate = undefined;
    }
    return this.told;
  }
}

export interface ReasonStats {
  reason: ExitReason;
  count: number;
  cycles: number;
}

export interface ExitQuery {
  /** Only these reasons (all when absent or empty). */
  reasons?: readonly ExitReason[];
  /** First record to return, counting the matching ones from the start (paging). */
  start?: number;
  /** At most this many (default 100). */
  count?: number;
  /** Only records with seq > afterSeq. */
  afterSeq?: number;
}

export interface ExitPage {
  exits: VmExit[];
  /** Matching records in the log (for paging). */
  total: number;
  /** Records dropped from the front of the log because of its bound. */
  dropped: number;
}

/**
 * The exit log: the last `capacity` records, plus statistics over every exit since the VM started
 * (statistics never lose anything to the bound).
 */
export class ExitLog {
  private readonly records: ExitRecord[] = [];
  private head = 0;
  private droppedCount = 0;
  private readonly counts = new Map<ExitReason, { count: number; cycles: number }>();
  /** Per vCPU id: its exits and their cycles. */
  private readonly vcpuCounts: { count: number; cycles: number }[] = [];
  private nextSeq = 1;

  constructor(readonly capacity = 100_000) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  add(rec: ExitRecord): ExitRecord {
    rec.seq = this.nextSeq++;
    if (this.capacity > 0) {
      if (this.records.length - this.head >= this.capacity) {
        this.head++;
        this.droppedCount++;
        if (this.head > 4096 && this.head * 2 > this.records.length) {
          this.records.splice(0, this.head);
          this.head = 0;
        }
      }
      this.records.push(rec);
    }
    const s = this.counts.get(rec.reason);
    if (s) {
      s.count++;
      s.cycles += rec.cycles;
    } else {
      this.counts.set(rec.reason, { count: 1, cycles: rec.cycles });
    }
    const v = (this.vcpuCounts[rec.vcpu] ??= { count: 0, cycles: 0 });
    v.count++;
    v.cycles += rec.cycles;
    return rec;
  }

  query(q: ExitQuery = {}): ExitPage {
    const want = q.reasons && q.reasons.length > 0 ? new Set(q.reasons) : undefined;
    const after = q.afterSeq ?? 0;
    const matching: VmExit[] = [];
    for (let i = this.head; i < this.records.length; i++) {
      const r = this.records[i];
      if (r.seq > after && (!want || want.has(r.reason))) matching.push(r);
    }
    const start = Math.max(0, q.start ?? 0);
    return { exits: matching.slice(start, start + (q.count ?? 100)), total: matching.length, dropped: this.droppedCount };
  }

  /** The record with this sequence number, if the log still holds it. */
  get(seq: number): VmExit | undefined {
    const first = this.records[this.head]?.seq;
    if (first === undefined || seq < first) return undefined;
    return this.records[this.head + seq - first];
  }

  stats(): ReasonStats[] {
    return EXIT_REASON_IDS.filter((r) => this.counts.has(r)).map((r) => ({ reason: r, ...this.counts.get(r)! }));
  }

  /** Exits and their cycles by vCPU, for vCPUs 0 to `vcpus` − 1. */
  vcpuStats(vcpus: number): { count: number; cycles: number }[] {
    return Array.from({ length: vcpus }, (_, n) => ({ count: this.vcpuCounts[n]?.count ?? 0, cycles: this.vcpuCounts[n]?.cycles ?? 0 }));
  }

  clear(): void {
    this.vcpuCounts.length = 0;
    this.records.length = 0;
    this.head = 0;
    this.droppedCount = 0;
    this.counts.clear();
    this.nextSeq = 1;
  }
}
