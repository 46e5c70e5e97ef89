/**
 * The board's timebase, as QEMU's `-icount shift=N` sets it: each retired instruction counts as 2^N
 * nanoseconds of guest time, and mtime ticks at QEMU `virt`'s 10 MHz (every 100 ns), so
 * mtime = floor(instructions · 2^N / 100). The default shift 0 is one tick every 100 instructions.
 * A larger shift makes guest time pass faster per instruction, so a kernel that waits for its timer
 * (xv6's idle scheduler, `sleep()`) spins through fewer instructions, as it does under QEMU with
 * the same shift.
 */
export const DEFAULT_ICOUNT_SHIFT = 0;
/** QEMU's largest shift (MAX_ICOUNT_SHIFT in its icount code): 1.024 µs per instruction. */
export const MAX_ICOUNT_SHIFT = 10;
const NS_PER_TICK = 100;

/** Why `shift` is not a shift QEMU's `-icount` takes, or undefined. */
export function icountShiftProblem(shift: number): string | undefined {
  if (Number.isSafeInteger(shift) && shift >= 0 && shift <= MAX_ICOUNT_SHIFT) return undefined;
  return `icount shift must be a whole number from 0 to ${MAX_ICOUNT_SHIFT}, as QEMU's -icount shift=N, not ${shift}`;
}

/**
 * The CLINT's instructions per mtime tick for `shift`: 100 / 2^shift (100, 50, 25, 12.5, …, 0.09765625),
 * always a multiple of 2^−10, so the CLINT's divisions by it are exact (clint/model.ts).
 */
export function instructionsPerTick(shift: number): number {
  return NS_PER_TICK / 2 ** shift;
}
