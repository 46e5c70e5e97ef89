import type { AccessWidth, DeviceState, MmioDevice, Width } from "../../device";
import { clintRegisterName, MSIP, MTIME, MTIMECMP } from "./registers";
import { clintView } from "./view";

/**
 * The core-local interruptor of QEMU's `virt` board at 0x0200_0000 (its ACLINT layout), for `harts`
 * harts: 0x0000 + 4·n msip of hart n (bit 0 drives its MSIP), 0x4000 + 8·n mtimecmp of hart n
 * (64-bit), 0xbff8 mtime (64-bit, shared). Registers of harts the board does not have read as zero
 * and ignore writes, as QEMU's do.
 *
 * Time is deterministic: mtime = floor(retired instructions / instructionsPerTick) + an offset
 * that guest writes to mtime and WFI warps change, where the instructions are those of all harts
 * (as QEMU's icount counts them). Nothing reads the wall clock. instructionsPerTick may be a
 * fraction (an icount shift above 2 gives 12.5 or fewer, timebase.ts); the board keeps it a multiple
 * of 2^−10, so retired / instructionsPerTick is a correctly rounded division by a whole number
 * scaled by a power of two, and its floor is exact for any count below 2^53 / 1024. mtimecmp resets to 0, as in QEMU,
 * so MTIP is pending from reset until the guest programs the timer.
 */
export const CLINT_BASE = 0x0200_0000;
const U64 = (1n << 64n) - 1n;

export class Clint implements MmioDevice {
  readonly name = "clint";
  readonly base = CLINT_BASE;
  readonly size = 0x10000;
  /** Per hart: its msip bit and its mtimecmp. */
  readonly msips: boolean[];
  readonly mtimecmps: bigint[];
  private offset = 0n;

  /**
   * @param retired the retired-instruction count of all harts together
   * @param onChange called after any write, so the board can update MSIP/MTIP at once
   * @param harts how many harts the board has (QEMU's -smp)
   */
  constructor(
    private readonly retired: () => number,
    readonly instructionsPerTick: number,
    private readonly onChange: () => void,
    readonly harts = 1,
  ) {
    this.msips = new Array<boolean>(harts).fill(false);
    this.mtimecmps = new Array<bigint>(harts).fill(0n);
  }

  /** Hart 0's msip and mtimecmp (the one-hart board's, and a VM's one vCPU's). */
  get msip(): boolean {
    return this.msips[0];
  }
  set msip(v: boolean) {
    this.msips[0] = v;
  }
  get mtimecmp(): bigint {
    return this.mtimecmps[0];
  }
  set mtimecmp(v: bigint) {
    this.mtimecmps[0] = v;
  }

  reset(): void {
    this.msips.fill(false);
    this.mtimecmps.fill(0n);
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

  /** Hart `hart`'s MTIP level: mtime ≥ its mtimecmp. */
  mtip(hart = 0): boolean {
    return this.mtime() >= this.mtimecmps[hart];
  }

  /**
   * The retired-instruction count (all harts) at which mtime reaches hart `hart`'s mtimecmp, or −1
   * when its MTIP is already set or that lies beyond 2^53 instructions. The board ends run slices
   * there, so the interrupt is taken right after the instruction that makes mtime reach mtimecmp.
   */
  deadline(hart = 0): number {
    if (this.mtip(hart)) return -1;
    const ticks = this.mtimecmps[hart] - this.offset;
    // The first count whose floor(count / instructionsPerTick) reaches ticks.
    const at = Math.ceil(Number(ticks) * this.instructionsPerTick);
    return Number.isSafeInteger(at) ? at : -1;
  }

  /** Whether a timer event can still happen for the hart (mtimecmp = 2^64 − 1 is the usual "never"). */
  canFire(hart = 0): boolean {
    return this.mtimecmps[hart] !== U64;
  }

  /** Moves time forward to the hart's mtimecmp without retiring instructions (WFI waiting for the timer). */
  warpToDeadline(hart = 0): void {
    if (!this.mtip(hart)) this.setMtime(this.mtimecmps[hart]);
    this.onChange();
  }

  registerName(offset: number, write: boolean): string {
    return clintRegisterName(offset, write, this.harts);
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
    if (reg.at >= MTIME) this.setMtime(next);
    else if (reg.at >= MTIMECMP) this.mtimecmps[(reg.at - MTIMECMP) >> 3] = next & U64;
    else this.msips[reg.at >> 2] = (next & 1n) !== 0n;
    this.onChange();
  }

  /** The register `offset` falls in, if it is one of a hart the board has. */
  private register(offset: number): { at: number; value: bigint } | undefined {
    if (offset >= MTIME && offset < MTIME + 8) return { at: MTIME, value: this.mtime() };
    if (offset >= MTIMECMP && offset < MTIMECMP + 8 * this.harts) {
      const at = offset - ((offset - MTIMECMP) & 7);
      return { at, value: this.mtimecmps[(at - MTIMECMP) >> 3] };
    }
    if (offset < MSIP + 4 * this.harts) {
      const at = offset & ~3;
      return { at, value: this.msips[at >> 2] ? 1n : 0n };
    }
    return undefined;
  }
}
