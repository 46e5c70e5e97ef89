import type { DeviceNode, DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { VirtioDevice } from "./device";
import type { VirtioMmioState } from "./mmio_transport";
import * as R from "./registers";

const STATUS_BITS: [number, string][] = [
  [R.S_ACKNOWLEDGE, "ACKNOWLEDGE"], [R.S_DRIVER, "DRIVER"], [R.S_FEATURES_OK, "FEATURES_OK"],
  [R.S_DRIVER_OK, "DRIVER_OK"], [R.S_NEEDS_RESET, "DEVICE_NEEDS_RESET"], [R.S_FAILED, "FAILED"],
];

/** Feature bits a reader meets, by number: the ring's and the block device's (§6, §5.2.3). */
const FEATURE_NAMES: Record<number, string> = {
  2: "BLK_SEG_MAX", 5: "BLK_RO", 6: "BLK_BLK_SIZE", 9: "BLK_FLUSH", 10: "BLK_TOPOLOGY",
  28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1",
};

function features(f: bigint): string {
  const names: string[] = [];
  for (let b = 0; b < 64; b++) if ((f >> BigInt(b)) & 1n) names.push(FEATURE_NAMES[b] ?? `bit ${b}`);
  return names.length ? names.join(", ") : "none";
}

function status(s: number): string {
  const set = STATUS_BITS.filter(([bit]) => s & bit).map(([, name]) => name);
  return `${hex(s)}${set.length ? ` (${set.join(" | ")})` : " (reset)"}`;
}

/** A virtio-mmio slot with its device: transport registers, negotiation, queues, then the device's own lines. */
export function virtioView(s: VirtioMmioState, device: VirtioDevice): DeviceState {
  const queues: DeviceNode[] = s.queues.map((q, i) => ({
    label: `queue ${i}`,
    value: q.ready ? `${q.size} entries, used index ${q.usedIdx}` : "not ready",
    children: q.ready ? [
      { label: "descriptor table", value: hex(q.desc, 8) },
      { label: "available ring", value: hex(q.avail, 8) },
      { label: "used ring", value: hex(q.used, 8) },
      { label: "next available index", value: String(q.lastAvail), tooltip: "how far the device has read the available ring" },
    ] : [],
  }));
  return {
    id: `virtio${s.slot}`,
    label: `virtio-mmio ${s.slot}: ${device.kind}`,
    base: BigInt(s.base),
    nodes: [
      { label: "Status", value: status(s.status) },
      { label: "features offered", value: features(s.offered) },
      { label: "features negotiated", value: features(s.negotiated) },
      { label: "InterruptStatus", value: hex(s.interruptStatus), children: [
        { label: `IRQ ${s.irq} asserted`, value: yes(s.irqAsserted) },
      ] },
      ...(s.error ? [{ label: "needs reset", value: s.error }] : []),
      ...queues,
      ...device.viewNodes(),
    ],
  };
}
