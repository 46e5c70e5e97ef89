import type { HostRun } from "./host_map";
import type { MmuAccess, Walk } from "../machine/hart/mmu";
import type { CostModel, Hosting } from "../hypervisor/cost_model";
import type { FpuSwitchStats } from "../hypervisor/fpu_switch";
import type { ExitPage, ExitQuery, ExitReason, ReasonStats, VmExit } from "../hypervisor/exits";
import type { ShadowStats } from "../hypervisor/mm/shadow_paging";
import type { TcBlockView, TcStats } from "../hypervisor/techniques/tc_view";

export type { TcBlockView, TcStats };
import type { PageTableTree } from "./inspect";
import type { WalkResultKind } from "./target";
import type { PvState } from "../hypervisor/techniques/technique";
import type { FrameOwner } from "../hypervisor/mm/host_frames";
import type { SharingStats } from "../hypervisor/mm/page_sharing";
import type { SwapStats } from "../hypervisor/mm/host_swap";
import type { TechniqueComparison } from "./technique_comparison";
import type { Technique } from "./techniques";

/**
 * What only a guest under a VMM has, for the debugger and the CLI (Target.vmm): its exits, the
 * exception-breakpoint filter on them, its statistics, and the views of its own tables.
 */
export interface VmmView {
  readonly technique: Technique;
  exits(query?: ExitQuery): ExitPage;
  exit(seq: number): VmExit | undefined;
  /** The sequence number of the newest exit (0 before any): exits after a step are those above it. */
  readonly lastExitSeq: number;
  /**
   * Stop after exits the predicate selects (exception breakpoints per reason, with conditions).
   * The run then returns { kind: "trap" } and `stoppedExit` is the record.
   */
  setExitFilter(filter: ((exit: VmExit) => boolean) | undefined): void;
  readonly stoppedExit: VmExit | undefined;
  /** Why the VMM powered the VM off (a halt "host-memory": no host frame, no swap), in words; undefined while it runs. */
  readonly powerOffReason: string | undefined;
  /** The guest-physical address of host-physical `hpa` when it is guest RAM (a paravirtual PTE's machine address); else undefined. */
  guestPhysicalOf(hpa: bigint): bigint | undefined;
  stats(): VmStats;
  /**
   * This VM against the same guest run afresh under every other technique that can run it, up to
   * this VM's instruction count (technique_comparison.ts); undefined when the target was made
   * without a way to load the guest again.
   */
  compareTechniques(cap?: number): TechniqueComparison | undefined;
  /**
   * `shadow <gva>`: the guest's walk, the p2m step and the walk the hart makes through the shadow
   * table the next entry into the guest runs on, and what the access comes to.
   */
  shadowWalk(gva: bigint, access?: MmuAccess): ShadowWalkView;
  /**
   * What the VMM knows of the leaves of `trees` (pageTableTrees'): each shadow entry against the
   * guest PTE it was made from, each leaf of the guest's table against the active shadow.
   */
  shadowMarks(trees: readonly PageTableTree[]): ShadowMark[];
  /** `tc <gva>`: under binary translation, the translated block that covers guest pc `gva`, beside its guest code. */
  tcBlock(gva: bigint): TcBlockView | undefined;
  /** Under binary translation, every block in the translation cache, least recently used first; [] otherwise. */
  tcBlocks(): TcBlockView[];
  /** `pv`: what a paravirtualized guest shares with the VMM; undefined under the other techniques. */
  paravirtualState(): PvState | undefined;
  /** The read-only document that narrates one exit's emulation, step by step with before/after values. */
  narrate(seq: number): string | undefined;
  /** `sharing`: host frames by owner, guest pages backed, and page sharing's figures when it is on. */
  hostMemory(): HostMemoryView;
  /** The host's RAM as runs of frames by owner (host_map.ts). */
  hostMap(): HostRun[];
}

export interface HostMemoryView {
  frames: Record<FrameOwner, number>;
  guestPages: number;
  backedPages: number;
  /** Undefined when page sharing is off. */
  sharing: (SharingStats & { scanPagesPerTick: number }) | undefined;
  /** Hypervisor swapping, with the guest-physical address of each page swapped out; undefined when off. */
  swap: (SwapStats & { swapped: number[] }) | undefined;
}

/** Exit statistics with the modelled overhead (cost_model.ts: one cycle per guest instruction). */
/** One VM of several on a host, for `stats`' table of every VM and their total. */
export interface HostedVmStats {
  name: string;
  instructions: bigint;
  exits: number;
  exitCycles: number;
  worldSwitches: number;
  /** The VM of the selected thread, whose statistics the rest are. */
  selected: boolean;
}

export interface VmStats {
  /** With several VMs on the host: each one's totals (the rest of these statistics are the selected VM's). */
  vms?: HostedVmStats[];
  byReason: ReasonStats[];
  exits: number;
  exitCycles: number;
  guestInstructions: bigint;
  /** What the same guest costs natively: one cycle per instruction. */
  nativeCycles: number;
  /** nativeCycles + exitCycles. */
  virtualizedCycles: number;
  /** virtualizedCycles / nativeCycles (1 = no overhead). */
  slowdown: number;
  exitsPerMillionInstructions: number;
  costs: CostModel;
  /** A type 1 or type 2 VMM, and the exits that needed (or, hosted, would need) the host OS (cost_model.ts). */
  hosting: Hosting;
  hostTrips: number;
  shadow: ShadowStats;
  /** Binary translation's translation cache. */
  tc?: TcStats;
  /** What switching the guest's FP state at world switches cost (fpu_switch.ts). */
  fpu: FpuSwitchStats;
  /** With several vCPUs: each one's instructions and exits, and the scheduler's quantum and switches. */
  vcpus?: VcpuStats;
}

export interface VcpuStats {
  quantum: number;
  switches: number;
  each: { instructions: number; exits: number; exitCycles: number }[];
}

/** `shadow <gva>`: the guest's walk, the p2m step and the shadow walk of one address, side by side. */
export interface ShadowWalkView {
  gva: bigint;
  access: MmuAccess;
  /** The vCPU's (virtual) privilege, and its shadow context. */
  priv: number;
  context: string;
  /** What the guest's table says (the VMM's walk of it): each PTE read (and where it lies in host memory), and the GPA or the fault. */
  guest: { paging: boolean; steps: { level: number; index: number; pteGpa: number; hpa?: number; pte: bigint }[]; gpa?: number; fault?: number };
  hpaFromP2m?: number;
  /** The hart's own walk through the shadow root; `stale`: the entry it reaches is stale. */
  shadow: { rootKey: string; rootHpa: number; walk: Walk; stale: boolean };
  /** The shadow maps the address where the guest's table and the p2m say it should (or maps nothing). */
  consistent: boolean;
  /** What the hart would do with the access, and the VMM after it. */
  result: { kind: WalkResultKind; text: string; hpa?: number };
}

/**
 * How a leaf compares, for the Page Tables panel:
 * - a guest leaf: `missing` (RAM the active shadow has no entry for yet: the first access is a hidden
 *   page fault), `shadowed`, or `device` (no RAM behind it: never shadowed, every access exits);
 * - a shadow entry: `same`, `stale` (the guest changed a PTE it was made from; it translates until the
 *   guest's sfence.vma), or `permissions` (other rights than the guest's PTE, e.g. W held back).
 */
export type ShadowMarkStatus = "missing" | "shadowed" | "device" | "same" | "stale" | "permissions";

export interface ShadowMark {
  /** The tree and the virtual address of the leaf's first byte. */
  tree: string;
  va: bigint;
  status: ShadowMarkStatus;
  note: string;
}

export type { ExitReason, PvState };
