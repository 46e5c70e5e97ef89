import type { ByteSink, ByteSource } from "../machine/device";

/**
 * The guest's UART, seen from the debugger: output is collected and handed over in one piece per
 * slice of execution (one `output` event per slice, not per byte); input queues bytes the client
 * sends (the `hyperstep/uartInput` request) until the guest reads them.
 */
export class UartConsole {
  private out: number[] = [];
  private readonly input: number[] = [];
  private readonly decoder = new TextDecoder();

  readonly sink: ByteSink = { write: (byte) => void this.out.push(byte) };
  readonly source: ByteSource = { read: () => this.input.shift() ?? -1 };

  /** Text produced since the last call ("" when none); multi-byte UTF-8 split across slices is kept whole. */
  take(): string {
    if (this.out.length === 0) return "";
    const bytes = Uint8Array.from(this.out);
    this.out = [];
    return this.decoder.decode(bytes, { stream: true });
  }

  feed(text: string): number {
    const bytes = new TextEncoder().encode(text);
    for (const b of bytes) this.input.push(b);
    return bytes.length;
  }
}
