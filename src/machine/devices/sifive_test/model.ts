import type { AccessWidth, HaltSink, MmioDevice, Width } from "../../device";
import { finisherRegisterName, STATUS } from "./registers";

/**
 * The SiFive test finisher of QEMU's `virt` board: a guest ends the run by storing a status word at
 * offset 0. The low 16 bits say what happened: 0x5555 pass (exit 0), 0x3333 fail with the exit code
 * in the upper 16 bits, 0x7777 reset. The board cannot reset, so a reset request ends the run with
 * code 0, reported as a "reset" halt. Other values are ignored, as on QEMU.
 */
export const FINISHER_BASE = 0x10_0000;
export const FINISHER_SIZE = 0x1000;

export type FinisherOutcome = "pass" | "fail" | "reset";

export class SifiveTest implements MmioDevice {
  readonly name = "finisher";
  readonly base = FINISHER_BASE;
  readonly size = FINISHER_SIZE;
  /** How the guest last ended the run, for the summary line; undefined until it does. */
  outcome: FinisherOutcome | undefined;

  constructor(private readonly sink: HaltSink) {}

  /** 16- and 32-bit accesses, as QEMU's model declares. */
  accepts(_offset: number, width: AccessWidth): boolean {
    return width === 2 || width === 4;
  }

  read(): number {
    return 0;
  }

  registerName(offset: number, write: boolean): string {
    return finisherRegisterName(offset, write);
  }

  write(offset: number, _width: Width, value: number): void {
    if (offset !== STATUS) return;
    const status = value & 0xffff;
    const code = value >>> 16;
    if (status === 0x5555) this.finish("pass", 0);
    else if (status === 0x3333) this.finish("fail", code);
    else if (status === 0x7777) this.finish("reset", 0);
  }

  private finish(outcome: FinisherOutcome, code: number): void {
    this.outcome = outcome;
    this.sink.halt(code, outcome === "reset" ? "reset" : "finisher");
  }
}
