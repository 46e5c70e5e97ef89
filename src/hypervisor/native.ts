import type { StopReason } from "../machine/board";
import type { VirtBoard } from "../machine/virt";
import type { Target, TargetSymbol } from "./target";

/** The `native` technique: no VMM at all, the guest owns the bare board. The baseline. */
export class NativeTarget implements Target {
  readonly technique = "native" as const;

  constructor(
    readonly board: VirtBoard,
    readonly symbols: readonly TargetSymbol[],
  ) {}

  get instret(): bigint {
    return this.board.instret;
  }
  get pc(): bigint {
    return this.board.hart.pc;
  }
  get priv(): number {
    return this.board.hart.priv;
  }
  getReg(i: number): bigint {
    return this.board.hart.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.board.hart.setReg(i, value);
  }
  run(budget: number): StopReason {
    return this.board.run(budget);
  }
  step(): StopReason {
    return this.board.step();
  }
  readPhysical(pa: bigint, length: number): Uint8Array | null {
    return pa > BigInt(Number.MAX_SAFE_INTEGER) ? null : this.board.bus.readBytes(Number(pa), length);
  }
}
