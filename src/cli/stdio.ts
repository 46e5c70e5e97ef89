import { fstatSync, readFileSync } from "node:fs";
import type { ByteSink, ByteSource } from "../machine/device";

/** Collects the guest's UART bytes and writes them to stdout in chunks, unchanged. */
export class StdoutSink implements ByteSink {
  private buf = new Uint8Array(4096);
  private len = 0;
  /** The last byte written, or a newline before the first. */
  private last = 0x0a;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  write(byte: number): void {
    if (this.len === this.buf.length) this.flush();
    this.buf[this.len++] = byte;
    this.last = byte;
  }

  /**
   * Whether the guest's output so far ends in the middle of a line, for a caller about to end that
   * line on the same terminal: from then on it counts as ended.
   */
  breakLine(): boolean {
    const mid = this.last !== 0x0a;
    this.last = 0x0a;
    return mid;
  }

  flush(): void {
    if (this.len === 0) return;
    this.stream.write(Buffer.from(this.buf.subarray(0, this.len)));
    this.len = 0;
  }

  /** Resolves once everything written so far has left the process. */
  drain(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.stream.write("", () => resolve()));
  }
}

/**
 * Feeds stdin to the guest's UART without ever blocking the run loop. A regular file is read whole
 * up front, which keeps runs with `< input.txt` deterministic; a pipe or terminal is read as data
 * arrives.
 */
export class StdinSource implements ByteSource {
  private chunks: Uint8Array[] = [];
  private pos = 0;
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(private readonly stream: NodeJS.ReadStream = process.stdin) {
    if (isRegularFile(stream)) {
      this.chunks.push(readFileSync(0));
      this.ended = true;
      return;
    }
    stream.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    const close = () => {
      this.ended = true;
      this.wake();
    };
    stream.on("end", close);
    stream.on("error", close);
  }

  read(): number {
    while (this.chunks.length > 0) {
      const head = this.chunks[0];
      if (this.pos < head.length) return head[this.pos++];
      this.chunks.shift();
      this.pos = 0;
    }
    return -1;
  }

  /** More input may still come. */
  get open(): boolean {
    return !this.ended || this.chunks.length > 0;
  }

  waitForInput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), Math.max(0, ms));
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  /** Stops reading, so the process can exit. */
  close(): void {
    if (!this.ended) this.stream.pause();
    this.stream.removeAllListeners("data");
  }

  private wake(): void {
    this.waiter?.();
  }
}

function isRegularFile(stream: NodeJS.ReadStream): boolean {
  if (stream !== process.stdin) return false;
  try {
    return fstatSync(0).isFile();
  } catch {
    return false;
  }
}

/** Whether stdout and stderr go to the same file, pipe or terminal (as with `2>&1`). */
export function sameDestination(): boolean {
  try {
    const [out, err] = [fstatSync(1), fstatSync(2)];
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}
