import type { ExitDetails } from "../exits";
import type { Vm } from "../vm";

/**
 * The exits of hypervisor swapping (host_swap.ts): a guest access to a page the VMM swapped out
 * (`host-swap-in`, which the techniques' fault handlers call), a swap-in the VMM's own access made,
 * and a swap-out (`host-swap-out`, recorded as it happens, before the exit that needed the frame).
 */

const page = (gpa: number) => gpa - (gpa % 4096);
const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * The guest touched the swapped-out page holding `gpa`: the VMM reads it back into a frame, and the
 * guest retries. `mapped` says what the technique does with the frame besides (hardware assistance
 * maps it in the G stage); shadow paging maps it at the retry's hidden fault.
 */
export function swapInFault(vm: Vm, gpa: number, details: ExitDetails, mapped?: string): number {
  const swap = vm.swap!;
  const outsBefore = swap.stats().swapOuts;
  const hpa = swap.swapInForGuest(gpa, vm.retired);
  const evicted = swap.stats().swapOuts - outsBefore;
  details.hpa = BigInt(hpa + (gpa % 4096));
  const { pagesOut, sizeBytes } = swap.stats();
  vm.record("host-swap-in", undefined, details, () => ({
    action: `read GPA ${hex(page(gpa))} back from the swap area into host frame HPA ${hex(hpa)}` +
      `${evicted > 0 ? ", which a swap-out freed" : ""}${mapped ? `, and ${mapped}` : ""}; the guest retries`,
    steps: [
      { phase: "decode", text: `${details.access ?? "an"} access to GPA ${hex(gpa)}: guest RAM the p2m does not map, its page in the swap area` },
      { phase: "check", text: evicted > 0 ? "no host frame was free: the VMM swapped out the page that got its frame longest ago (the host-swap-out before this exit)" : "a host frame was free" },
      { phase: "device", text: `a 4 KiB read from the host's disk (${vm.costs.diskPage} cycles); the swap area now holds ${pagesOut} of its ${sizeBytes / 4096} pages` },
      { phase: "resume", text: "retry the instruction (not retired, invisible to the guest)" },
    ],
  }), undefined, undefined, false, 1, vm.costs.pageFault);
  return 0;
}

/** The VMM's own access (emulation, device DMA, its walk of a guest page table) brought the page at `gpa` back into frame `hpa`. */
export function recordVmmSwapIn(vm: Vm, gpa: number, hpa: number): void {
  vm.record("host-swap-in", undefined, { gpa: BigInt(gpa), hpa: BigInt(hpa), op: "vmm" }, () => ({
    action: `the VMM's own access needed GPA ${hex(gpa)}: read it back from the swap area into host frame HPA ${hex(hpa)}`,
    steps: [
      { phase: "check", text: "the VMM reads or writes guest memory for the guest (an emulated access, device DMA, a walk of its page table): the page must be in a frame" },
      { phase: "device", text: `a 4 KiB read from the host's disk (${vm.costs.diskPage} cycles)` },
    ],
  }));
}

/** The VMM wrote the guest page at `gpa` to the swap area and freed its frame `hpa` for a page that needed one. */
export function recordSwapOut(vm: Vm, gpa: number, hpa: number): void {
  const { pagesOut, sizeBytes } = vm.swap!.stats();
  vm.record("host-swap-out", undefined, { gpa: BigInt(gpa), hpa: BigInt(hpa) }, () => ({
    action: `swapped GPA ${hex(gpa)} out of host frame HPA ${hex(hpa)}: no host frame was free, and it got its frame longest ago; the frame goes to the page that needs it`,
    steps: [
      { phase: "check", text: "host memory is exhausted: the VMM picks a victim first in, first out (never a shared page, one the access needs, or one it watches)" },
      { phase: "device", text: `a 4 KiB write to the host's disk (${vm.costs.diskPage} cycles); the swap area now holds ${pagesOut} of its ${sizeBytes / 4096} pages` },
      { phase: "shadow", text: "p2m entry removed; shadow tables (or the G-stage leaf) dropped, so the guest's next access to the page comes to the VMM" },
    ],
  }));
}
