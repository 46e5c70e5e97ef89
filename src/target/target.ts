import type { BalloonControl } from "./balloon";
import type { StopReason } from "../machine/board";
import type { MmuAccess } from "../machine/hart/mmu";
import type { TwoStageWalk } from "../hypervisor/techniques/technique";
import type { History } from "./history/history";
import type { TargetInspection } from "./inspect";
import type { Technique } from "./techniques";
import type { VmmView } from "./vmm_view";

export type { Technique } from "./techniques";
export { MAX_HARTS, QUANTUM, TRAP_LOOP_STEPS } from "../machine/board";
export type { MmuAccess } from "../machine/hart/mmu";
export type { TwoStageWalk } from "../hypervisor/techniques/technique";

/** A symbol of the loaded program, for the call stack, function breakpoints and disassembly. */
export interface TargetSymbol {
  name: string;
  address: bigint;
  size: bigint;
  isFunction: boolean;
}

/** One address ↔ source line pair of the program's line table (sorted by address). */
export interface TargetLine {
  address: bigint;
  file: string;
  line: number;
}

/**
 * Address spaces the debugger can name in memory references. `va` is the guest's current view
 * (translated by its own page tables, as a load at its current privilege would be) and `pa` is
 * guest-physical memory. The VMM techniques add `gva`/`gpa`/`hpa`.
 */
export type AddressSpace = "va" | "pa" | "gva" | "gpa" | "hpa";

/** One level of a page-table walk: the PTE's physical address and value. */
export interface WalkStep {
  level: number;
  pteAddr: bigint;
  pte: bigint;
}

export type TargetTranslation =
  | { ok: true; pa: bigint; steps: WalkStep[]; translated: boolean }
  | { ok: false; cause: bigint; steps: WalkStep[] };

/**
 * What `walkAddress` may be asked to walk: `va` the address as the hart translates it now (two
 * stages when it runs with V=1), `gva` a guest-virtual address through both stages, `gpa` a
 * guest-physical one through the G stage alone.
 */
export type WalkSpace = "va" | "gva" | "gpa";

/** One PTE a walk read, annotated for the debugger's views. */
export interface WalkPartStep {
  /** The hart's stages ("s", "vs", "g"), or "guest": the guest's own table, as the VMM walks it. */
  stage: "s" | "vs" | "g" | "guest";
  level: number;
  index: number;
  /** The `PageTableTree` (its id) that holds this PTE, when one does. */
  tree?: string;
  /** The PTE's address in its table's address space, and where it lies in host memory when that differs. */
  pteAddr: bigint;
  space: AddressSpace;
  hpa?: bigint;
  pte: bigint;
  /** The hart's memory reference number, 1, 2, …; undefined for the VMM's walk of the guest's table. */
  ref?: number;
  /** The first PTE of a G-stage walk: the guest-physical address it translates, and what for. */
  begins?: { gpa: bigint; purpose: string };
  /** What the walker found at this PTE: "ok  …", "FAIL …", "A/D …". */
  notes: string[];
}

/** One table's walk: the hart's (the hardware's), or the guest's (what its table says). */
export interface WalkPart {
  by: "hart" | "guest";
  title: string;
  steps: WalkPartStep[];
  /** Where it ends: the address it reaches, or why it stops. */
  end: string;
  ok: boolean;
}

/**
 * What the hart would do with the access: reach an address (`translated`), take a fault the guest
 * sees (`fault`), or, under a VMM, exit to it: a hidden page fault, an emulated device, another exit;
 * or use a stale shadow entry the guest's table no longer agrees with.
 */
export type WalkResultKind = "translated" | "fault" | "hidden-fault" | "stale" | "device" | "exit";

/** `hyperstep/walk`: the walks the hardware (and the VMM) would make now for one access. */
export interface AddressWalk {
  va: bigint;
  access: MmuAccess;
  /** What is walked, e.g. "the hart's walk from S-mode (satp Sv39, ASID 1)". */
  title: string;
  note?: string;
  parts: WalkPart[];
  /** The PTEs the hart reads: at most 3 through one Sv39 stage, 15 through two. */
  references: number;
  result: { kind: WalkResultKind; text: string; addr?: bigint; space?: AddressSpace };
}

/** A cached translation in the guest's TLB. */
export interface TargetTlbEntry {
  /** Virtual address of the 4 KiB page (sign-extended from bit 38). */
  va: bigint;
  pa: bigint;
  asid: number;
  global: boolean;
  /** 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB page. */
  level: number;
  /** The leaf PTE's low 8 bits (V R W X U G A D). */
  flags: number;
}

/** Why a run returned, in the guest's terms. */
export type TargetStop = StopReason;

export interface WatchAccess {
  read: boolean;
  write: boolean;
}

/**
 * What the debugger and the command-line runner drive. A bare machine (`native`) and a VM under the
 * VMM both implement it, so neither knows which technique it is stepping. Everything here is in the
 * guest's terms: its registers, CSRs, privilege, memory by address space, translation and TLB.
 * What the panels show (page tables, devices, exits) comes through `TargetInspection` (inspect.ts),
 * and what only a VMM has (exits, its tables, its statistics) through the optional `vmm`.
 */
export interface Target extends TargetInspection {
  readonly technique: Technique;
  /** The VMM running this guest; undefined natively, where there is no VMM and no exit. */
  readonly vmm?: VmmView;
  /** The board's virtio-balloon, the host's side of it (balloon.ts); undefined when the board has none. */
  readonly balloon?: BalloonControl;
  /** With several VMs on a host: their names, and the balloon of the VM named (not the selected thread's). */
  readonly vmNames?: readonly string[];
  balloonOf?(vm: string): BalloonControl | undefined;
  /** Instructions the guest has retired. */
  readonly instret: bigint;
  /** With several VMs (`instret` counts them all): the instructions the selected thread's VM has retired. */
  readonly selectedInstret?: bigint;
  /**
   * The guest's past (history/history.ts): where it can travel back to, and how. Runs go through it,
   * and every write below (registers, CSRs, memory, pc) tells it, since a write in the past forks
   * the timeline.
   */
  readonly history: History;
  /** The guest's harts (QEMU's -smp; a VM's vCPUs): 1 but for a multi-hart board. */
  readonly harts: number;
  /** Each hart's thread name, when the debugger's own (`hart n`, `vCPU n`) would not say enough: several VMs' vCPUs. */
  threadNames?(): string[];
  /**
   * The hart the per-hart views read and write: pc, registers, CSRs, privilege, translation, TLB and
   * `step`. Default 0. A run that stops (not on its budget) selects the hart the stop concerns.
   */
  selectedHart: number;
  pc: bigint;
  getReg(i: number): bigint;
  setReg(i: number, value: bigint): void;
  /** f register i as its raw 64 bits (a single NaN-boxed); undefined when the guest's hart has no F. */
  getFpReg(i: number): bigint | undefined;
  /** Writes f register i (raw bits); false when the guest's hart has no F. */
  setFpReg(i: number, value: bigint): boolean;
  /** Current (virtual) privilege mode of the guest: 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  /**
   * The virtualization mode V of a hart with the H extension (true in VS/VU-mode, where `priv` is
   * the nominal 1 or 0); undefined when the guest's hart has no H extension.
   */
  readonly virt?: boolean;
  /** A CSR without side effects; undefined when the guest's hart does not implement it. */
  readCsr(num: number): bigint | undefined;
  /** Writes a CSR as an M-mode csrw would (WARL rules apply); false when not implemented or read-only. */
  writeCsr(num: number, value: bigint): boolean;

  /**
   * Runs at most `budget` instructions (trap entries count as one, those of all harts). Returns
   * "budget" early when `yieldNow` (looked at every few hundred traps or device accesses) says the
   * caller's time is up.
   */
  run(budget: number, yieldNow?: () => boolean): TargetStop;
  /** One instruction (or trap entry) of the selected hart; the other harts stay where they are. */
  step(): TargetStop;

  /** The address spaces this target's memory references may name. */
  readonly addressSpaces: readonly AddressSpace[];
  /** Reads memory without side effects (no device registers); null where nothing readable is mapped. */
  readMemory(space: AddressSpace, addr: bigint, length: number): Uint8Array | null;
  /** Writes memory (RAM only); false when any byte is not writable, in which case nothing is written. */
  writeMemory(space: AddressSpace, addr: bigint, data: Uint8Array): boolean;
  /**
   * Where a virtual address leads by the guest's page tables now (no TLB, no A/D updates), for an
   * access at privilege `priv` (default: the current one; data accesses honour MPRV).
   */
  translate(va: bigint, access: "r" | "w" | "x", priv?: number): TargetTranslation;
  /** The guest TLB's valid entries (which may be stale with respect to the tables). */
  tlbEntries(): TargetTlbEntry[];
  /**
   * The walks the hardware would make now for an access to `addr` (in `space`, default `va`), and
   * what comes of it; or why this target cannot walk that space.
   */
  walkAddress?(addr: bigint, access: MmuAccess, space?: WalkSpace): AddressWalk | string;
  /**
   * The two-stage walk the hart would make now for a guest access to `gva` (REPL `walk2`), from the
   * guest's VS/VU-mode; undefined without two stages of translation (no H extension, or a technique
   * that does not use them).
   */
  twoStageWalk?(gva: bigint, access: MmuAccess): TwoStageWalk | undefined;

  /** Replaces the set of pcs at which a run stops before executing the instruction. */
  setBreakpoints(pcs: Iterable<bigint>): void;
  /** Stops a run after an instruction accesses [pa, pa+length) of guest-physical memory; returns the remover. */
  watchPhysical(pa: bigint, length: number, access: WatchAccess): () => void;
  /**
   * Called when the guest takes a trap (after entry: pc is the handler's). Returning true stops the
   * run with a `trap` stop. Undefined: traps never stop a run.
   */
  onTrap: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined;
  /**
   * Lets devices take input that arrived while the guest did not look (e.g. UART RX with interrupts);
   * true when some did.
   */
  pollInput(): boolean;

  readonly symbols: readonly TargetSymbol[];
  /** Address ↔ source line, sorted by address; empty when the program has no line information. */
  readonly lineTable: readonly TargetLine[];
}
