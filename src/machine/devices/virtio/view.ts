import type { DeviceNode, DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { VirtioDevice } from "./device";
import type { VirtioMmioState } from "./mmio_transport";
import * as R from "./registers";
import type { Chain, Segment, SplitQueue } from "./split_queue";

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

/** How many of a queue's latest used chains the view decodes. */
const RECENT = 8;

/** A chain's buffers in chain order, each with the way its bytes go: to the device (→dev) or from it (←dev). */
function buffers(c: Chain): { seg: Segment; text: string }[] {
  const b = (dir: string) => (seg: Segment) => ({ seg, text: `${hex(seg.addr, 8)} ${seg.len} B ${dir}` });
  return [...c.readable.map(b("→dev")), ...c.writable.map(b("←dev"))];
}

/** A chain's line: its buffers in one value, and each buffer below it as a link to its memory. */
function chainNode(label: string, c: Chain): DeviceNode {
  const bufs = buffers(c);
  return {
    label,
    value: `${c.indirect ? "indirect: " : ""}${bufs.map((b) => b.text).join(", ")}`,
    tooltip: "the descriptors as the driver has them now (it may have reused them)",
    children: bufs.map((b, k) => ({ label: `buffer ${k}`, value: b.text, address: b.seg.addr, tooltip: "open the Memory panel at this buffer" })),
  };
}

/** The latest chains the device returned, newest first, decoded from the rings as they are in memory now. */
function recentChains(q: SplitQueue): DeviceNode[] {
  const n = Math.min(RECENT, q.size, q.pushed);
  const out: DeviceNode[] = [];
  for (let k = 1; k <= n; k++) {
    const idx = (q.usedIdx - k) & 0xffff;
    const e = q.usedEntry(idx);
    const label = `used[${idx}] head ${e.id}, ${e.len} B written`;
    try {
      out.push(chainNode(label, q.chainAt(e.id)));
    } catch (err) {
      out.push({ label, value: (err as Error).message });
    }
  }
  return out;
}

function queueNode(q: SplitQueue, i: number, name: string | undefined): DeviceNode {
  const label = name ? `queue ${i} (${name})` : `queue ${i}`;
  if (!q.ready) return { label, value: "not ready" };
  let avail: string;
  try {
    avail = String(q.availIdx());
  } catch (err) {
    avail = (err as Error).message;
  }
  return {
    label,
    value: `${q.size} entries, available index ${avail}, used index ${q.usedIdx}`,
    children: [
      { label: "descriptor table", value: hex(q.desc, 8) },
      { label: "available ring", value: hex(q.avail, 8), children: [
        { label: "index (driver)", value: avail },
        { label: "read up to (device)", value: String(q.lastAvail) },
      ] },
      { label: "used ring", value: hex(q.used, 8), children: [{ label: "index (device)", value: String(q.usedIdx) }] },
      { label: "latest used chains", value: q.pushed === 0 ? "none yet" : undefined, children: recentChains(q) },
    ],
  };
}

/** A virtio-mmio slot with its device: transport registers, negotiation, queues, then the device's own lines. */
export function virtioView(s: VirtioMmioState, device: VirtioDevice): DeviceState {
  const queues = s.queues.map((q, i) => queueNode(q, i, device.queueNames?.[i]));
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
