import type { TcBlockView, TcStats } from "./tc_view";
import type { GuestWalk, MmuAccess } from "../../machine/hart/mmu";
import type { Acc, GuestTranslation } from "../mm/guest_walk";
import type { GuestBoot, Vm } from "../vm";

/**
 * A virtualization technique: how the VMM runs a guest on the host hart. The VM (vm.ts) owns what
 * every technique shares — the vCPU, guest RAM and the p2m, the device models, the exit log, the
 * virtual timer and the run loop — and calls its technique at the points where techniques differ:
 * entering the guest, leaving it, handling what brought control back, delivering interrupts, and
 * what it shows the panels. One class per technique implements this, in this folder; nothing else
 * in the hypervisor knows which technique it runs under.
 *
 * The run loop, once per VM entry:
 *   steps = technique.enter()       (at most this many guest steps in this entry)
 *   board.run(min(steps, budget, timer deadline))
 *   technique.leave()
 *   if the run ended on a trap into the VMM: technique.handleExit(cause, tval)
 */
export interface Technique {
  /** Forgets everything about the last guest: a new one was loaded. */
  reset(): void;
  /**
   * VM entry: makes the hart run the guest from the vCPU's state (its mode, translation, the CSR
   * state the hardware uses), and returns the most guest steps this entry may take (1 for an entry
   * that must end after one instruction, else Infinity).
   */
  enter(): number;
  /** The hart stopped, for whatever reason: brings what it changed back into the vCPU. */
  leave(): void;
  /** A trap into the VMM ended the entry: handles it; returns the guest steps it used (0 or 1). */
  handleExit(cause: bigint, tval: bigint): number;
  /**
   * A guest step completed: the last entry retired an instruction or delivered a trap, or (`byInterrupt`)
   * the VMM injected an interrupt before entering.
   */
  stepped(byInterrupt: boolean): void;
  /** Whether the hart itself will deliver pending interrupt `irq` to the guest, so the VMM must not inject it. */
  deliversInterrupt(irq: number): boolean;
  /**
   * Delivers pending, enabled interrupt `irq` the technique's own way (paravirtualization: as an
   * event upcall); without it the VMM injects the trap the guest's hardware would take (inject.ts).
   */
  injectInterrupt?(irq: number): void;
  /**
   * The run loop looks for console input (between slices, and when the user types): a technique
   * whose guest does not read the UART's registers takes it its own way (paravirtualization: the
   * console's event).
   */
  pollInput?(): void;
  /**
   * The guest's translation of `va`, when its page tables are not in guest-physical memory
   * (paravirtualization: they hold machine frames); without it the VMM walks them as the guest's.
   */
  translateGuest?(va: number, acc: Acc, setAccessed: boolean): GuestTranslation;
  /** What a paravirtualized guest and the VMM share (start info, shared info, pinned tables), for `pv`. */
  paravirtualState?(): PvState;
  /** How the instruction the VMM is emulating reached it, for the narratives ("illegal in host U-mode"). */
  readonly trappedHow: string;
  /** The bits of the instruction that trapped at the guest's pc, or undefined if it cannot be read. */
  trappedInstruction(): number | undefined;
  /**
   * The guest executed sfence.vma (emulated) for this VPN and ASID (−1: all); the shadow tables have
   * been fenced. Returns what else the technique fenced, for the narrative; absent when nothing.
   */
  fenced?(vpn: number, asid: number): string | undefined;
  /**
   * The VM's scheduler takes the host hart from the running vCPU for another (Vm.run): whatever the
   * technique holds for the instruction the vCPU is in the middle of (a one-instruction emulation
   * after a hidden fault) goes; the vCPU meets that fault again when it runs next.
   */
  preempted?(): void;
  /** Another vCPU's context was loaded on the host hart (vcpu_context.ts): the technique drops what it cached for the last one. */
  vcpuLoaded?(): void;
  /** The guest changed its PMP and the shadow tables were dropped; returns what else the technique did. */
  pmpChanged?(): string | undefined;
  /**
   * The p2m points the guest page at `gpa` at another frame, made it read-only (page sharing), or
   * took it away (swapping);
   * the shadow tables were dropped. The technique drops what else it derived from the old mapping.
   */
  remapped?(gpa: number): void;
  /** The page tables this technique keeps besides the shadow tables, for the panels; absent when none. */
  tables?(): VmmTable[];
  /**
   * The walk the hart would make now for a guest access to `gva` through two stages of
   * translation, when this technique has them (no side effects); `vsatp` stands in for the
   * guest's (0n: the G stage alone).
   */
  twoStageWalk?(gva: bigint, access: MmuAccess, vsatp?: bigint): TwoStageWalk;
  /** Binary translation's translation cache: its statistics, the block whose translation covers a guest pc, and every block. */
  tcStats?(): TcStats;
  tcBlock?(pc: number): TcBlockView | undefined;
  tcBlocks?(): TcBlockView[];
}

/** The paravirtual interface's state, as the REPL's `pv` shows it. */
export interface PvState {
  startInfoVa: number;
  sharedInfoVa: number;
  /** Machine frame of pseudo-physical frame 0, and how many frames the guest has. */
  firstMfn: number;
  nrPages: number;
  /** The root in use (machine frame) and its ASID. */
  rootMfn: number;
  asid: number;
  /** Pinned tables by machine frame and level (−1: a spare page-table frame). */
  tables: { mfn: number; level: number }[];
  trapVector: bigint;
  callback: bigint;
  timerPort: number | undefined;
  consolePort: number | undefined;
  pending: bigint;
  mask: bigint;
  time: bigint;
}

/** A technique's own page table, for the panels (its entries are read from host RAM). */
export interface VmmTable {
  /** Stable across stops, e.g. "gstage". */
  id: string;
  kind: "gstage";
  label: string;
  /** Sv39x4: the G stage's 2048-entry root over 41-bit guest-physical addresses. */
  mode: "sv39x4";
  rootHpa: number;
}

/** The hart's own two-stage walk of a guest access (mmu.ts), with the state it walked under. */
export interface TwoStageWalk extends GuestWalk {
  /**
   * Why it walks from `priv` when the guest does not run in VS/VU-mode now: the vCPU in virtual
   * M-mode (trap-and-emulated), or a hypervisor on the bare hart in HS-mode.
   */
  note?: string;
}

/** What a technique needs before the VM is built, and how to build it. */
export interface TechniqueSpec {
  /** What it does, in one sentence, for the user (launch.json IntelliSense, `hyperstep help`). */
  readonly description: string;
  /**
   * Every sensitive instruction of the guest runs deprivileged and traps, so the non-standard
   * `nonTrappingSensitive` teaching option (vm.ts) can make some of them not trap.
   */
  readonly nonTrappingSensitive: boolean;
  /** The hart must have the H extension. */
  readonly hypervisorExtension: boolean;
  /**
   * The symbol a guest defines to say it is written for this technique (paravirtualization); such a
   * guest runs under this technique only, and this technique runs only such guests.
   */
  readonly guestSymbol?: string;
  /** The most guest RAM the technique itself can give a guest, in bytes (unset: as much as fits). */
  readonly maxGuestRam?: number;
  /** Why the technique runs a VM of one vCPU only (unset: it runs several, `smp`). */
  readonly oneVcpu?: string;
  /** The one way its guest boots, whatever the launch configuration says (unset: the configuration chooses). */
  readonly boot?: GuestBoot;
  /**
   * Its memory virtualization keeps shared guest pages read-only and asks the VMM on a write to
   * one (page sharing, mm/page_sharing.ts); unset: the technique cannot share pages.
   */
  readonly pageSharing?: boolean;
  /**
   * Its memory virtualization drops every translation to a page the p2m takes away, and asks the VMM
   * at the next access (hypervisor swapping, mm/host_swap.ts); unset: the technique cannot swap.
   */
  readonly swapping?: boolean;
  /** Why a page cannot leave this technique's memory virtualization, so no balloon can take it (unset: it can; mm/balloon_reclaim.ts). */
  readonly noBalloon?: string;
  /** Host memory the technique keeps for its own tables when the guest has this much RAM. */
  poolBytes(guestRamBytes: number): number;
  /** The technique for `vm`, with its pool at host-physical `poolBase`. */
  create(vm: Vm, poolBase: number, poolBytes: number): Technique;
}
