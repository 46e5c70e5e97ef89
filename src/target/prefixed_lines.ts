import type { ByteSink } from "../machine/device";

/**
 * A VM's UART on an output that several VMs share: whole lines, each prefixed by the VM's name, so
 * that the VMs' lines interleave as they are finished and never inside one.
 */
export class PrefixedLines implements ByteSink {
  private line: number[] = [];
  private readonly prefix: Uint8Array;

  constructor(prefix: string, private readonly out: ByteSink) {
    this.prefix = new TextEncoder().encode(prefix);
  }

  write(byte: number): void {
    this.line.push(byte);
    if (byte === 0x0a) this.flush();
  }

  /** Writes the line so far, ended (the end of the run ends an unfinished one). */
  flush(): void {
    if (this.line.length === 0) return;
    for (const b of this.prefix) this.out.write(b);
    for (const b of this.line) this.out.write(b);
    if (this.line.at(-1) !== 0x0a) this.out.write(0x0a);
    this.line = [];
  }
}
