import type { DeviceNode, DeviceState } from "../../machine/device";
import type { VirtioMmio } from "../../machine/devices/virtio/mmio_transport";
import type { SplitDevices } from "./split_devices";

/**
 * The Devices view of a VM's virtio devices, each with a line saying how the VMM gives it to the
 * guest. A split device's line shows each shared ring from both sides: how far the guest's driver
 * has made buffers available, how far the VMM's backend has read them, and how far it has used them.
 */
export function withDeviceModels(views: DeviceState[], transports: readonly VirtioMmio[], split: SplitDevices): DeviceState[] {
  return views.map((v) => {
    const t = transports.find((x) => x.name === v.id);
    if (!t) return v;
    return { ...v, nodes: [modelNode(t, split.isSplit(t.slot)), ...v.nodes] };
  });
}

function modelNode(t: VirtioMmio, split: boolean): DeviceNode {
  if (!split) return { label: "device model", value: "emulated: every register access exits to the VMM's device model" };
  return {
    label: "device model",
    value: "split: rings shared with the VMM's backend; reads hit a read-only register image, QueueNotify exits (virtio-notify)",
    children: t.queues.map((q, i) => {
      if (!q.ready) return { label: `queue ${i} (shared ring)`, value: "not set up" };
      let avail: number | string;
      try {
        avail = q.availIdx();
      } catch (e) {
        avail = (e as Error).message;
      }
      const waiting = typeof avail === "number" ? (avail - q.lastAvail) & 0xffff : "?";
      return {
        label: `queue ${i} (shared ring)`,
        value: `driver: available ${avail} · backend: seen ${q.lastAvail}, used ${q.usedIdx} · ${waiting} waiting`,
        tooltip: "the frontend (the guest's driver) writes the available index; the backend (the VMM) reads up to it at the next notification and writes the used index",
        children: [
          { label: "driver's available index (frontend)", value: String(avail) },
          { label: "backend's last seen index", value: String(q.lastAvail) },
          { label: "used index (backend)", value: String(q.usedIdx) },
          { label: "descriptors processed", value: String(q.descriptors) },
        ],
      };
    }),
  };
}
