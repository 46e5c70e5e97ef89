/** Why a run returned. Defined with the hart because hart hooks produce some of them; board.ts re-exports it. */
export type StopReason =
  | { kind: "budget" }
  | { kind: "halt"; code: number; how: "finisher" | "htif" | "sbi" }
  | { kind: "breakpoint"; pc: bigint }
  | { kind: "watchpoint"; pc: bigint; pa: number; size: number; write: boolean }
  | { kind: "trap"; cause: bigint; tval: bigint; pc: bigint }
  | { kind: "idle" };
