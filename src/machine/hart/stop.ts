import type { HaltHow } from "../device";
/** Why a run returned. Defined with the hart because hart hooks produce some of them; board.ts re-exports it. */
export type StopReason =
  /** The budget is spent, or the caller's `yieldNow` asked the run to return early. */
  | { kind: "budget" }
  | { kind: "halt"; code: number; how: HaltHow }
  | { kind: "breakpoint"; pc: bigint }
  | { kind: "watchpoint"; pc: bigint; pa: number; size: number; write: boolean }
  | { kind: "trap"; cause: bigint; tval: bigint; pc: bigint }
  | { kind: "idle" }
  /** TRAP_LOOP_STEPS traps in a row without a retired instruction: the guest's trap handler itself traps. */
  | { kind: "trap-loop"; pc: bigint };
