import type { StopReason } from "../machine/board";
import type { History } from "./history/history";
import type { TargetInspection } from "./inspect";
import type { Technique } from "./techniques";
import type { VmmView } from "./vmm_view";

export type { Technique } from "./techniques";
export { TRAP_LOOP_STEPS } from "../machine/board";

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
  /** Instructions the guest has retired. */
  readonly instret: bigint;
  /**
   * The guest's past (history/history.ts): where it can travel back to, and how. Runs go through it,
   * and every write below (registers, CSRs, memory, pc) tells it, since a write in the past forks
   * the timeline.
   */
  readonly history: History;
  pc: bigint;
  getReg(i: number): bigint;
  setReg(i: number, value: bigint): void;
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

  /** Runs at most `budget` instructions (trap entries count as one). */
  run(budget: number): TargetStop;
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
