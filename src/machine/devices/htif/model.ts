import type { ByteSink, DeviceHost } from "../../device";

/**
 * The host-target interface of Spike and riscv-tests: the guest stores a 64-bit command in the
 * `tohost` word of its own RAM, `(device << 56) | (command << 48) | payload`.
 *   - device 0, command 0, payload odd: exit with code payload >> 1 (riscv-tests: 1 = pass).
 *   - device 1, command 1: write the payload's low byte to the console.
 * The host then clears `tohost` and acknowledges in `fromhost` (when the ELF has one) with
 * `(device << 56) | (command << 48) | (0x100 | byte)`, which is what riscv-pk waits for.
 *
 * Like QEMU's HTIF, a command is taken when its upper word is written: a 64-bit store, or the second
 * of two 32-bit stores (riscv-tests store the low word first). A store to the low word alone waits.
 * Commands this host does not implement (the syscall proxy, console reads) are cleared and counted.
 */
export type HtifHost = Pick<DeviceHost, "bus" | "halt" | "watchWrites">;

export interface HtifState {
  tohost: number;
  fromhost: number | undefined;
  consoleBytes: number;
  unsupportedCommands: number;
  lastCommand: bigint | undefined;
}

export class Htif {
  readonly name = "htif";
  private consoleBytes = 0;
  private unsupportedCommands = 0;
  private lastCommand: bigint | undefined;
  private readonly unwatch: () => void;

  constructor(
    private readonly host: HtifHost,
    readonly tohost: number,
    readonly fromhost: number | undefined,
    private readonly console: ByteSink,
  ) {
    this.unwatch = host.watchWrites(tohost, 8, (pa, value, width) => this.written(pa, value, width));
  }

  /** Stops watching tohost. */
  detach(): void {
    this.unwatch();
  }

  state(): HtifState {
    return {
      tohost: this.tohost, fromhost: this.fromhost, consoleBytes: this.consoleBytes,
      unsupportedCommands: this.unsupportedCommands, lastCommand: this.lastCommand,
    };
  }

  private written(pa: number, value: bigint, width: number): void {
    if (pa + width <= this.tohost + 4) return;
    // Rebuild the whole word from RAM with this store's bytes on top, so it does not matter
    // whether the store has reached RAM yet.
    let word = this.readWord(this.tohost);
    for (let i = 0; i < width; i++) {
      const at = pa + i - this.tohost;
      if (at < 0 || at >= 8) continue;
      const shift = BigInt(at * 8);
      word = (word & ~(0xffn << shift)) | (((value >> BigInt(i * 8)) & 0xffn) << shift);
    }
    if (word !== 0n) this.command(word);
  }

  private command(cmd: bigint): void {
    this.lastCommand = cmd;
    const device = Number(cmd >> 56n);
    const command = Number((cmd >> 48n) & 0xffn);
    const payload = cmd & 0xffff_ffff_ffffn;
    this.writeWord(this.tohost, 0n);
    if (device === 0 && command === 0 && (payload & 1n) === 1n) {
      this.host.halt(Number(BigInt.asUintN(32, payload >> 1n)), "htif");
    } else if (device === 1 && command === 1) {
      const byte = Number(payload & 0xffn);
      this.consoleBytes++;
      this.console.write(byte);
      if (this.fromhost !== undefined) this.writeWord(this.fromhost, (cmd >> 48n << 48n) | 0x100n | BigInt(byte));
    } else {
      this.unsupportedCommands++;
    }
  }

  private readWord(pa: number): bigint {
    return this.host.bus.load(pa, 8) ?? 0n;
  }

  /** Through the bus, not the hart, so the host's own stores are not taken for guest commands. */
  private writeWord(pa: number, value: bigint): void {
    this.host.bus.store(pa, 8, value);
  }
}
