import type { DeviceNode } from "../../device";
import type { Dma } from "./dma";
import type { SplitQueue } from "./split_queue";

/**
 * What a virtio device (blk, …) gives its transport: its identity, the features it offers, its
 * configuration space, and the work it does when the driver notifies one of its queues. The
 * transport (mmio_transport.ts) owns the registers, feature negotiation, the queues' addresses and
 * the interrupt; the device only consumes chains and pushes them back used.
 */
export interface VirtioDevice {
  /** The virtio device id (§5): 2 for a block device. */
  readonly deviceId: number;
  /** Short name for the Devices view and exit records ("blk"). */
  readonly kind: string;
  /** Device-specific feature bits it offers (the transport adds the ring features and VERSION_1). */
  readonly features: bigint;
  readonly queueCount: number;
  /** The spec's names of its queues, for the Devices view, when it has several ("receiveq", "transmitq"). */
  readonly queueNames?: readonly string[];
  /** The device-specific configuration space, little-endian, as the driver reads it at 0x100. */
  config(): Uint8Array;
  /** The driver wrote `width` bytes of the configuration space at `offset`; absent: it has no writable field. */
  writeConfig?(offset: number, width: number, value: number): void;
  /** The transport's way to raise a configuration-change interrupt, for a device whose configuration the host changes. */
  bindConfigChange?(notify: () => void): void;
  /** The driver's FEATURES_OK was accepted with these features (transport and device bits). */
  negotiated(features: bigint): void;
  /**
   * The driver notified `queue`: take what it made available and push it back used. Returns true if
   * anything was pushed. May throw VirtqueueError or DmaError for a malformed ring.
   */
  process(queue: number, q: SplitQueue, dma: Dma): boolean;
  /**
   * Work that arrives from outside rather than from a notification (console input): the run loop
   * calls it between slices. Returns the queues it pushed chains to, as a bit mask.
   */
  poll?(queues: readonly SplitQueue[], dma: Dma): number;
  /** The driver reset the device (Status ← 0). */
  reset(): void;
  /** Device-specific lines for the Devices view (its configuration, its request log). */
  viewNodes(): DeviceNode[];
}
