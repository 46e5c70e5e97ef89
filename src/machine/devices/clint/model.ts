import type { AccessWidth, DeviceState, MmioDevice, Width } from "../../device";
import { clintRegisterName, MSIP, MTIME, MTIMECMP } from "./registers";
import { clintView } from "./view";

/**
 * The core-local interruptor of QEMU's `virt` board at 0x0200_0000, for one hart:
 *   0x0000 msip (bit 0 drives MSIP), 0x4000 mtimecmp (64-bit), 0xbff8 mtime (64-bit).
 *
 * Time is deterministic: mtime = floor(retired instructions / instructionsPerTick) + an offset
 * that guest writes to mtime and WFI warps change. Nothing reads the wall clock. mtimecmp resets to
 * 0, as in QEMU, so MTIP is pending from reset until the guest programs the timer.
 */
export const CLINT_BASE = 0x0200_0000;
const U64 = (1n << 64n) - 1n;

export class Clint implements MmioDevice {
  readonly name = "clint";
  readonly base = CLINT_BASE;
  readonly size = 0x10000;
  msip = false;
  mtimecmp = 0n;
  private offset = 0n;

  /**
   * @param retired the hart's retired-instruction count
   * @param onChange called after any write, so the board can update MSIP/MTIP at once
   */
  constructor(
    private readonly retired: () => number,
    readonly instructionsPerTick: number,
    private readonly onChange: () => void,
  ) {}

  reset(): void {
    this.msip = false;
    this.mtimecmp = 0n;
    this.offset = 0n;
  }

  private ticks(): bigint {
    return BigInt(Math.floor(this.retired() / this.instructionsPerTick));
  }

  mtime(): bigint {
    return (this.ticks() + this.offset) & U64;
  }

  setMtime(v: bigint): void {
    this.offset = (v & U64) - this.ticks();
  }

  /** The MTIP level: mtime ≥ mtimecmp. */
  mtip(): boolean {
    return this.mtime() >= this.mtimecmp;
  }

  /**
   * The retired-instruction count at which mtime reaches mtimecmp, or −1 when MTIP is already set
   * or that lies beyond 2^53 instructions. The board ends run slices there, so the interrupt is
   * taken right after the instruction that makes mtime reach mtimecmp.
   */
  deadline(): number {
    if (this.mtip()) return -1;
    const ticks = this.mtimecmp - this.offset;
    const at = Number(ticks) * this.instructionsPerTick;
    return Number.isSafeInteger(at) ? at : -1;
  }

  /** Whether a timer event can still happen (mtimecmp = 2^64 − 1 is the usual "never"). */
  canFire(): boolean {
    return this.mtimecmp !== U64;
  }

  /** Moves time forward to mtimecmp without retiring instructions (WFI waiting for the timer). */
  warpToDeadline(): void {
    if (!this.mtip()) this.setMtime(this.mtimecmp);
    this.onChange();
  }

  registerName(offset: number, write: boolean): string {
    return clintRegisterName(offset, write);
  }

  view(): DeviceState {
    return clintView(this);
  }

  /**
   * As QEMU's ACLINT: the software-interrupt half (below mtimecmp) answers 32-bit accesses only, the
   * timer half (mtimecmp up to the end of mtime) 32- and 64-bit ones, and nothing past mtime answers.
   */
  accepts(offset: number, width: AccessWidth): boolean {
    if (offset < MTIMECMP) return width === 4;
    return offset + width <= MTIME + 8 && (width === 4 || width === 8);
  }

  read(offset: number, width: Width): number {
    const reg = this.register(offset);
    if (!reg) return 0;
    const shift = BigInt(8 * (offset - reg.at));
    return Number((reg.value >> shift) & ((1n << BigInt(8 * width)) - 1n));
  }

  write(offset: number, width: Width, value: number): void {
    const reg = this.register(offset);
    if (!reg) return;
    const shift = BigInt(8 * (offset - reg.at));
    const mask = ((1n << BigInt(8 * width)) - 1n) << shift;
    const next = (reg.value & ~mask) | ((BigInt(value >>> 0) << shift) & mask);
    if (reg.at === MSIP) this.msip = (next & 1n) !== 0n;
    else if (reg.at === MTIMECMP) this.mtimecmp = next & U64;
    else this.setMtime(next);
    this.onChange();
  }

  private register(offset: number): { at: number; value: bigint } | undefined {
    if (offset >= MSIP && offset < MSIP + 4) return { at: MSIP, value: this.msip ? 1n : 0n };
    if (offset >= MTIMECMP && offset < MTIMECMP + 8) return { at: MTIMECMP, value: this.mtimecmp };
    if (offset >= MTIME && offset < MTIME + 8) return { at: MTIME, value: this.mtime() };
    return undefined;
  }
}
