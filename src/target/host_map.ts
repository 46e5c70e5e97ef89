import type { FrameOwner } from "../hypervisor/mm/host_frames";
import type { Vm } from "../hypervisor/vm";

/**
 * The host's RAM as the VMM hands it out (issue 17's Host view): maximal runs of frames with one
 * owner. A run of guest frames is also contiguous in guest-physical space, so that it reads as
 * "these GPAs live here"; a shared frame is a run of its own, with every guest page mapped to it.
 */
export interface HostRun {
  hpa: number;
  frames: number;
  owner: FrameOwner;
  /** The guest-physical pages behind the run: the first of a guest run, every one for a shared frame. */
  gpas: number[];
  /**
   * With several VMs on the host: the VM of a guest run or a pool, or of each of `gpas` for a
   * shared frame (pages of several VMs may share one).
   */
  vms?: string[];
}

const FRAME = 4096;

/** What owns a run of host frames, in words (the Debug Console's `host`, the Host view). */
export const OWNER_TEXT: Record<FrameOwner, string> = {
  "shadow-pool": "the VMM: shadow-table pool",
  "technique-pool": "the VMM: the technique's pool (G-stage table, translation cache)",
  "io-pool": "the VMM: the IOMMU's tables",
  guest: "guest RAM",
  shared: "shared",
  free: "free",
};

/**
 * The runs of the host's RAM that `vms` share (one VM alone, or several on a host: host.ts), each
 * frame attributed to the VM whose p2m maps it or whose pool it is in.
 */
export function hostMap(vms: readonly Vm[]): HostRun[] {
  const { hostFrames } = vms[0];
  const named = vms.length > 1;
  // Guest pages by the frame that backs them (several for a shared frame), with their VM.
  const pagesOf = new Map<number, { gpa: number; vm: string }[]>();
  for (const vm of vms) {
    const { p2m } = vm;
    for (let gpa = p2m.gpaBase; gpa < p2m.gpaBase + p2m.size; gpa += FRAME) {
      const hpa = p2m.peekHpa(gpa);
      if (hpa < 0) continue;
      const page = { gpa, vm: vm.name ?? "" };
      const list = pagesOf.get(hpa);
      if (list) list.push(page);
      else pagesOf.set(hpa, [page]);
    }
  }
  const poolOf = (hpa: number) => vms.find((vm) => vm.pools.some((p) => hpa >= p.hpa && hpa < p.hpa + p.bytes))?.name ?? "";
  const runs: HostRun[] = [];
  for (let f = 0; f < hostFrames.frames; f++) {
    const hpa = hostFrames.base + f * FRAME;
    const owner = hostFrames.ownerAt(hpa);
    const pages = pagesOf.get(hpa) ?? [];
    const gpas = pages.map((p) => p.gpa);
    const vm = owner === "guest" ? pages[0]?.vm ?? "" : owner === "free" || owner === "shared" ? "" : poolOf(hpa);
    const last = runs.at(-1);
    const continues = last !== undefined && last.owner === owner && owner !== "shared" && (!named || last.vms?.[0] === vm) &&
      (owner !== "guest" || last.gpas[0] + last.frames * FRAME === gpas[0]);
    if (continues) last.frames++;
    else {
      const run: HostRun = { hpa, frames: 1, owner, gpas: owner === "guest" ? gpas.slice(0, 1) : gpas };
      if (named && owner !== "free") run.vms = owner === "shared" ? pages.map((p) => p.vm) : [vm];
      runs.push(run);
    }
  }
  return runs;
}
