import type { StopReason } from "../machine/board";

/** The virtualization techniques a launch configuration can name (DESIGN.md, "What is being simulated"). */
export const TECHNIQUES = ["native", "trap-and-emulate", "hardware-assisted", "binary-translation", "paravirtual"] as const;
export type Technique = (typeof TECHNIQUES)[number];

/** Techniques that can run today; the others are accepted by the schema but not built yet. */
export const AVAILABLE_TECHNIQUES: readonly Technique[] = ["native"];

/** A symbol of the loaded program, for the call stack, function breakpoints and disassembly. */
export interface TargetSymbol {
  name: string;
  address: bigint;
  size: bigint;
  isFunction: boolean;
}

/**
 * What the debugger drives. A bare machine (`native`) and, later, a VM under the VMM both implement
 * it, so the debug adapter never knows which technique it is stepping.
 */
export interface Target {
  readonly technique: Technique;
  /** Instructions the guest has retired. */
  readonly instret: bigint;
  readonly pc: bigint;
  getReg(i: number): bigint;
  setReg(i: number, value: bigint): void;
  /** Current (virtual) privilege mode of the guest: 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  /** Runs at most `budget` instructions. */
  run(budget: number): StopReason;
  step(): StopReason;
  /** Guest-physical memory for the debugger; null where nothing is mapped. */
  readPhysical(pa: bigint, length: number): Uint8Array | null;
  readonly symbols: readonly TargetSymbol[];
}
