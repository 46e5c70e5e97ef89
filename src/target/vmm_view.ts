import type { CostModel } from "../hypervisor/cost_model";
import type { ExitPage, ExitQuery, ExitReason, ReasonStats, VmExit } from "../hypervisor/exits";
import type { Sv39Walk } from "../hypervisor/mm/page_tables";
import type { ShadowStats } from "../hypervisor/mm/shadow_paging";
import type { PvState, TwoStageWalk } from "../hypervisor/techniques/technique";
import type { Walk2Access } from "../hypervisor/walk2";
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
  stats(): VmStats;
  /**
   * This VM against the same guest run afresh under every other technique that can run it, up to
   * this VM's instruction count (technique_comparison.ts); undefined when the target was made
   * without a way to load the guest again.
   */
  compareTechniques(cap?: number): TechniqueComparison | undefined;
  /** `shadow <gva>`: the guest's walk, the p2m step and the shadow walk of one address. */
  shadowWalk(gva: bigint): ShadowWalkView;
  /** `walk2 <gva>`: the two-stage walk the hart would do now; undefined unless the technique translates in two stages. */
  twoStageWalk(gva: bigint, access: Walk2Access): TwoStageWalk | undefined;
  /** `pv`: what a paravirtualized guest shares with the VMM; undefined under the other techniques. */
  paravirtualState(): PvState | undefined;
  /** The read-only document that narrates one exit's emulation, step by step with before/after values. */
  narrate(seq: number): string | undefined;
}

/** Exit statistics with the modelled overhead (cost_model.ts: one cycle per guest instruction). */
export interface VmStats {
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
  shadow: ShadowStats;
}

/** `shadow <gva>`: the guest's walk, the p2m step and the shadow walk of one address, side by side. */
export interface ShadowWalkView {
  gva: bigint;
  context: string;
  guest: { paging: boolean; walk?: Sv39Walk; gpa?: number; fault?: number };
  hpaFromP2m?: number;
  shadow: { rootKey: string; rootHpa: number; walk: Sv39Walk; present: boolean; stale: boolean };
  /** The shadow maps the address where the guest's table and the p2m say it should. */
  consistent: boolean;
}

export type { ExitReason, PvState };
