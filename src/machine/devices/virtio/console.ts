import type { ByteSink, ByteSource, DeviceNode } from "../../device";
import { gather, scatter, total } from "./chain_io";
import type { VirtioDevice } from "./device";
import type { Dma } from "./dma";
import { VirtqueueError, type SplitQueue } from "./split_queue";

/**
 * virtio-console (virtio 1.2 §5.3) with one port and no feature bits: queue 0 is receiveq (the
 * driver offers device-writable buffers, the device fills them with input), queue 1 is transmitq
 * (the driver offers device-readable buffers, the device writes their bytes out). It offers neither
 * SIZE, MULTIPORT nor EMERG_WRITE, like QEMU's virtconsole on a virtio-serial-device with
 * max_ports=1, so its configuration space (cols, rows, max_nr_ports, emerg_wr) reads zero.
 *
 * Its output goes where the UART's goes and its input comes from where the UART's comes from (the
 * Hyperstep UART terminal, the CLI's stdout and stdin): the same text can go through the ring or
 * through the UART's registers. Input is taken from the source only when the driver has a receive
 * buffer to put it in, so bytes wait in the source (where the UART may take them instead) until a
 * reader wants them. A transmit chain is used with length 0 (the device wrote nothing into it); a
 * receive chain with the bytes it got.
 */
export const CONSOLE_DEVICE_ID = 3;
export const RECEIVEQ = 0;
export const TRANSMITQ = 1;
const CONFIG_BYTES = 12;

const bytesIn = (bytes: number, chains: number) => `${bytes} byte${bytes === 1 ? "" : "s"} in ${chains} chain${chains === 1 ? "" : "s"}`;

export class VirtioConsole implements VirtioDevice {
  readonly deviceId = CONSOLE_DEVICE_ID;
  readonly kind = "console";
  readonly queueCount = 2;
  readonly queueNames = ["receiveq", "transmitq"] as const;
  readonly features = 0n;
  private readonly configSpace = new Uint8Array(CONFIG_BYTES);
  private sent = 0;
  private received = 0;
  private transmits = 0;
  private receives = 0;

  constructor(
    private readonly out: ByteSink,
    private readonly input: ByteSource = { read: () => -1 },
  ) {}

  config(): Uint8Array {
    return this.configSpace;
  }

  negotiated(_features: bigint): void {}

  reset(): void {}

  process(queue: number, q: SplitQueue, dma: Dma): boolean {
    return queue === TRANSMITQ ? this.transmit(q, dma) : queue === RECEIVEQ ? this.receive(q, dma) : false;
  }

  /** Waiting input into the receive buffers the driver offered (the run loop calls this between slices): the queues it used chains of, as a bit mask. */
  poll(queues: readonly SplitQueue[], dma: Dma): number {
    const rx = queues[RECEIVEQ];
    return rx.ready && this.receive(rx, dma) ? 1 << RECEIVEQ : 0;
  }

  /** Bytes taken from the input so far. */
  get bytesReceived(): number {
    return this.received;
  }

  viewNodes(): DeviceNode[] {
    return [
      { label: "port 0", value: "the Hyperstep UART terminal (the same output and input as the UART)" },
      { label: "transmitted", value: bytesIn(this.sent, this.transmits), tooltip: "transmitq (queue 1): the driver's output" },
      { label: "received", value: bytesIn(this.received, this.receives), tooltip: "receiveq (queue 0): input put into the driver's buffers" },
    ];
  }

  private transmit(q: SplitQueue, dma: Dma): boolean {
    let pushed = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      for (const b of gather(dma, chain.readable)) this.out.write(b);
      this.sent += total(chain.readable);
      this.transmits++;
      q.push(chain.head, 0);
      pushed = true;
    }
    return pushed;
  }

  /** Fills receive chains while input waits; a chain is taken only when there is a byte for it. */
  private receive(q: SplitQueue, dma: Dma): boolean {
    let pushed = false;
    while (q.availIdx() !== q.lastAvail) {
      const first = this.input.read();
      if (first < 0) break;
      const chain = q.pop()!;
      const room = total(chain.writable);
      if (room === 0) throw new VirtqueueError("a receiveq chain without a device-writable buffer");
      const bytes: number[] = [first];
      while (bytes.length < room) {
        const b = this.input.read();
        if (b < 0) break;
        bytes.push(b);
      }
      const n = scatter(dma, chain.writable, 0, Uint8Array.from(bytes));
      q.push(chain.head, n);
      this.received += n;
      this.receives++;
      pushed = true;
    }
    return pushed;
  }
}
