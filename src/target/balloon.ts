import { VirtioBalloon } from "../machine/devices/virtio/balloon";
import type { VirtioMmio } from "../machine/devices/virtio/mmio_transport";
import type { BalloonStats } from "../hypervisor/mm/balloon_reclaim";

export { pageRuns } from "../machine/devices/virtio/balloon_view";

/**
 * The board's virtio-balloon as the debugger drives it (REPL `balloon`, the Host view): the host's
 * side of the device. The target is the balloon's size in pages, as ESX's balloon target is, and is
 * what the device's `num_pages` says; setting it raises the configuration-change interrupt.
 */
export interface BalloonStatus {
  /** `num_pages`: the pages the host wants in the balloon. */
  targetPages: number;
  /** What the driver last wrote to `actual`. */
  actual: number;
  /** The guest-physical address of each page in the balloon, in order. */
  pages: number[];
  /** Under a VMM: the host frames it took back from inflated pages, and inflated pages that had none. */
  vmm: BalloonStats | undefined;
}

export interface BalloonControl {
  /** The guest's RAM, the most the balloon can be asked for. */
  readonly ramBytes: number;
  status(): BalloonStatus;
  /** Asks the guest's driver for a balloon of `pages` pages (0: give everything back). */
  setTarget(pages: number): void;
}

/** The balloon among a board's virtio slots, if it has one. */
export function balloonIn(slots: readonly VirtioMmio[]): VirtioBalloon | undefined {
  return slots.map((s) => s.device).find((d): d is VirtioBalloon => d instanceof VirtioBalloon);
}

/**
 * The control of `device`; `written` tells the target's history (a new target is an input, as a
 * register write is), `vmm` gives the VMM's figures.
 */
export function balloonControl(device: VirtioBalloon, ramBytes: number, written: () => void, vmm?: () => BalloonStats): BalloonControl {
  return {
    ramBytes,
    status: () => ({ targetPages: device.targetPages, actual: device.actual, pages: device.pages(), vmm: vmm?.() }),
    setTarget: (pages) => {
      device.setTarget(pages);
      written();
    },
  };
}
