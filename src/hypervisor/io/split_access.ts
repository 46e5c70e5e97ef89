import * as R from "../../machine/devices/virtio/registers";
import { emulateAccess } from "../emulate/access";
import type { ExitDetails, ExitNarrative } from "../exits";
import type { GuestTranslated } from "../mm/guest_walk";
import type { Vm } from "../vm";
import type { RegisterImage } from "./register_image";
import type { SplitQueue } from "../../machine/devices/virtio/split_queue";

/** The driver's available index, or "unreadable" when its ring lies outside guest RAM (the device then needs a reset). */
function availIdx(q: SplitQueue): number | string {
  try {
    return q.availIdx();
  } catch {
    return "unreadable";
  }
}

/**
 * A guest store to a split device's registers (its register image is mapped read-only, so every
 * store faults into the VMM). QueueNotify is the notification, a `virtio-notify` exit: the backend
 * processes the batch the driver made available in the shared rings and raises the used-buffer
 * interrupt. The other stores (the status, feature and queue set-up writes of initialization,
 * InterruptACK) change the backend's state, as the frontend's writes to xenstore during Xen's
 * connection handshake do, and still exit as `mmio-write`.
 */
export function splitStore(vm: Vm, image: RegisterImage, reason: "mmio-write" | "guest-page-fault", tval: bigint, gpa: number, details: ExitDetails, t?: GuestTranslated): number {
  const transport = image.transport;
  if (gpa - transport.base !== R.QUEUE_NOTIFY) return emulateAccess(vm, reason, tval, gpa, details, t);
  const before = transport.queues.map((q) => ({ seen: q.lastAvail, used: q.usedIdx, pushed: q.pushed, descriptors: q.descriptors }));
  const isrBefore = transport.state().interruptStatus;
  return emulateAccess(vm, "virtio-notify", tval, gpa, details, t, (out) => {
    const index = Number(out.value ?? 0n) & 0xffff;
    const q = transport.queues[index];
    const was = before[index];
    out.queue = index;
    out.chains = q && was ? q.pushed - was.pushed : 0;
    out.descriptors = q && was ? q.descriptors - was.descriptors : 0;
    const chains = out.chains, descriptors = out.descriptors;
    // The narrative is told later, when the rings have moved on: what it says is taken now.
    const now = q?.ready ? { avail: availIdx(q), seen: q.lastAvail, used: q.usedIdx } : undefined;
    const s = transport.state();
    const raised = (s.interruptStatus & R.ISR_USED) !== 0 && (isrBefore & R.ISR_USED) === 0;
    const name = `${transport.name} (${transport.device?.kind ?? "empty"})`;
    return (): ExitNarrative => {
      if (!now || !was) {
        return { action: `virtio-notify for queue ${index}, which ${name} does not have: ignored`, steps: [{ phase: "device", text: `${name} has ${transport.queues.length} queue(s)` }] };
      }
      const batch = `${chains} chain${chains === 1 ? "" : "s"} (${descriptors} descriptor${descriptors === 1 ? "" : "s"})`;
      return {
        action: `virtio-notify: the backend of ${name} processed ${batch} from queue ${index}; used index ${was.used} → ${now.used}`,
        steps: [
          { phase: "device", text: `the driver kicked queue ${index} of ${name} (QueueNotify ← ${index}): the one register write of the I/O path that exits` },
          { phase: "device", text: `backend: the driver's available index is ${now.avail}, the backend had seen up to ${was.seen}: it took ${batch} from the shared ring in guest memory`, before: BigInt(was.seen), after: BigInt(now.seen) },
          { phase: "device", text: `backend: pushed them to the used ring, used index ${was.used} → ${now.used}`, before: BigInt(was.used), after: BigInt(now.used) },
          { phase: "inject", text: raised
            ? `InterruptStatus.used set, PLIC source ${s.irq} raised: the completion reaches the guest as an injected virtual interrupt once it enables it`
            : s.interruptStatus & R.ISR_USED ? "the used-buffer interrupt was already pending" : "no interrupt: the driver suppressed it (or nothing was used)" },
        ],
      };
    };
  });
}
