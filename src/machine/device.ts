import type { Bus } from "./bus";

/**
 * The contract between the bus and the devices that sit on it.
 *
 * Devices see offsets relative to their base and accesses of 1, 2 or 4 bytes. Each says which widths
 * it answers where (`accepts`), as QEMU 7.2's models declare them, and the bus turns any other access
 * into an access fault, for the hart and the VMM alike. The bus splits an 8-byte access a device
 * accepts into two 4-byte ones, low word first, unless the device takes it as one register access
 * (`wideAccess`). Devices never throw: an offset they accept but do not decode reads as zero and
 * ignores writes.
 *
 * Each device also names its registers and decodes its state itself (devices/<name>/registers.ts
 * and view.ts), so that the VMM's exit records and the Devices panel describe a device the same way
 * natively and virtualized, and a new device brings its descriptions along.
 */
export type Width = 1 | 2 | 4;
/** The widths of the hart's loads and stores. */
export type AccessWidth = Width | 8;

export interface MmioDevice {
  /** Stable short name ("uart", "clint", "plic", "finisher"), used by traces and the debugger. */
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** Whether the device answers a `width`-byte access at `offset`; the bus raises an access fault otherwise. */
  accepts(offset: number, width: AccessWidth): boolean;
  /**
   * "one-register": an 8-byte access reaches the device as one access to the register at its offset
   * (QEMU's serial_mm hands the whole access to one byte-wide register). Unset, it is two 4-byte halves.
   */
  readonly wideAccess?: "one-register";
  /** Returns the unsigned value of the access (0 … 2^32-1). */
  read(offset: number, width: Width): number;
  write(offset: number, width: Width, value: number): void;
  /** The register at `offset` as exit records and their filters spell it (`THR`, `mtimecmp+4`). */
  registerName(offset: number, write: boolean): string;
  /** The decoded state for the Devices panel; a device without one is not listed there. */
  view?(): DeviceState;
}

/** One line of a device's state: a register, a decoded field, a FIFO, or a group of them. */
export interface DeviceNode {
  label: string;
  value?: string;
  /** A longer explanation (hover). */
  tooltip?: string;
  /** The guest-physical address of the RAM this line is about (a buffer a descriptor names): a link to memory. */
  address?: number;
  children?: DeviceNode[];
}

export interface DeviceState {
  /** Stable: "uart", "clint", "plic", later "virtio0"… */
  id: string;
  label: string;
  /** Base of its registers in the guest's physical address space. */
  base: bigint;
  nodes: DeviceNode[];
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
/** How a run ended for good: the guest's own ways, or (under a VMM) "host-memory", the VMM powering the VM off with no host frame left for it. */
export type HaltHow = "finisher" | "reset" | "htif" | "sbi" | "host-memory";

/** Where a UART's transmitted bytes go, and where its received bytes come from. */
export interface ByteSink {
  write(byte: number): void;
}
export interface ByteSource {
  /** The next input byte, or -1 when none is available now. Must not block. */
  read(): number;
}

/**
 * What a set of devices is wired to: natively the board, under the VMM the VM (with a guest-physical
 * bus and the vCPU's mip). The devices cannot tell which.
 */
export interface DeviceHost extends HaltSink {
  /** The bus the devices sit on; HTIF also reads and writes its RAM. */
  readonly bus: Bus;
  /** How many harts the CLINT and PLIC serve; default 1 (a VM's one vCPU). */
  readonly harts?: number;
  /** Instructions retired: the CLINT's mtime derives from it. */
  retired(): number;
  /** The CLINT's MSIP or MTIP level may have changed. */
  timerChanged(): void;
  /** A level line into mip bit `bit` (11 MEIP, 9 SEIP) of hart `hart` (default 0), for the PLIC's contexts. */
  irqLine(bit: number, hart?: number): IrqLine;
  /** Calls `cb` after every guest write that touches [pa, pa+len) of the bus's RAM. Returns the unsubscribe function. */
  watchWrites(pa: number, len: number, cb: (pa: number, value: bigint, width: number) => void): () => void;
  /**
   * A device wrote [pa, pa+len) of RAM itself (DMA). Under a VMM, shadow page-table entries derived
   * from those bytes go stale; the bare board needs nothing (its TLB is the guest's to flush).
   */
  dmaWritten?(pa: number, len: number): void;
}
