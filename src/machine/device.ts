/**
 * The contract between the bus and the devices that sit on it.
 *
 * Devices see offsets relative to their base and accesses of 1, 2 or 4 bytes. The bus splits an
 * 8-byte access into two 4-byte ones, low word first, which is what QEMU's `virt` devices accept
 * too. Devices never throw: an offset they do not decode reads as zero and ignores writes.
 */
export type Width = 1 | 2 | 4;

export interface MmioDevice {
  /** Stable short name ("uart", "clint", "plic", "finisher", "htif"), used by traces and the debugger. */
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** Returns the unsigned value of the access (0 … 2^32-1). */
  read(offset: number, width: Width): number;
  write(offset: number, width: Width, value: number): void;
}

/** A level-triggered interrupt line into the interrupt controller (PLIC source) or the hart (mip bit). */
export interface IrqLine {
  set(level: boolean): void;
}

/**
 * Why the machine stopped of its own accord. Devices that end the run (the SiFive test finisher,
 * HTIF) report through this, and the hart's run loop returns at the next instruction boundary.
 */
export interface HaltSink {
  halt(exitCode: number, how: HaltHow): void;
}

/**
 * How a guest ended itself: the SiFive test finisher (or its reset request, which ends the run too:
 * the board cannot reset), HTIF's tohost, or (under a VMM) an SBI shutdown call.
 */
export type HaltHow = "finisher" | "reset" | "htif" | "sbi";

/** Where a UART's transmitted bytes go, and where its received bytes come from. */
export interface ByteSink {
  write(byte: number): void;
}
export interface ByteSource {
  /** The next input byte, or -1 when none is available now. Must not block. */
  read(): number;
}
