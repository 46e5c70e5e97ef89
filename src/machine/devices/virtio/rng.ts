import type { DeviceNode } from "../../device";
import { scatter, total } from "./chain_io";
import type { VirtioDevice } from "./device";
import type { Dma } from "./dma";
import { SeededRandom } from "./seeded_random";
import type { SplitQueue } from "./split_queue";

/**
 * virtio-rng, the entropy device (virtio 1.2 §5.4): one request queue, no feature bits, no
 * configuration space. The driver offers device-writable buffers; the device fills every byte of
 * them and returns each chain with its used length set to the bytes written, as QEMU's
 * virtio-rng-device does with its default (unlimited) rate. A chain's device-readable buffers are
 * left alone and count for nothing. The bytes come from a seeded generator (seeded_random.ts), not
 * from the host: the same seed gives the same bytes, run after run and after a step back.
 */
export const RNG_DEVICE_ID = 4;
/** The seed when the launch gives none: the ASCII of "HypS" (an arbitrary, documented constant). */
export const DEFAULT_RNG_SEED = 0x4879_7053;

export class VirtioRng implements VirtioDevice {
  readonly deviceId = RNG_DEVICE_ID;
  readonly kind = "rng";
  readonly queueCount = 1;
  readonly features = 0n;
  private readonly random: SeededRandom;
  private requests = 0;
  private delivered = 0;

  constructor(readonly seed = DEFAULT_RNG_SEED) {
    this.random = new SeededRandom(seed);
  }

  config(): Uint8Array {
    return new Uint8Array(0);
  }

  negotiated(_features: bigint): void {}

  /** The generator keeps going: a reset does not replay the bytes already given (QEMU's does not either). */
  reset(): void {}

  process(_queue: number, q: SplitQueue, dma: Dma): boolean {
    let pushed = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const n = scatter(dma, chain.writable, 0, this.random.bytes(total(chain.writable)));
      q.push(chain.head, n);
      this.requests++;
      this.delivered += n;
      pushed = true;
    }
    return pushed;
  }

  viewNodes(): DeviceNode[] {
    return [
      { label: "seed", value: `0x${this.seed.toString(16)}`, tooltip: "the generator's seed (xoshiro128**): the same seed gives the same bytes" },
      { label: "requests", value: `${this.requests} (${this.delivered} bytes given)` },
    ];
  }
}
