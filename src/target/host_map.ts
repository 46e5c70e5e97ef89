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

export function hostMap(vm: Vm): HostRun[] {
  const { hostFrames, p2m } = vm;
  // Guest pages by the frame that backs them (several for a shared frame).
  const pagesOf = new Map<number, number[]>();
  for (let gpa = p2m.gpaBase; gpa < p2m.gpaBase + p2m.size; gpa += FRAME) {
    const hpa = p2m.peekHpa(gpa);
    if (hpa < 0) continue;
    const list = pagesOf.get(hpa);
    if (list) list.push(gpa);
    else pagesOf.set(hpa, [gpa]);
  }
  const runs: HostRun[] = [];
  for (let f = 0; f < hostFrames.frames; f++) {
    const hpa = hostFrames.base + f * FRAME;
    const owner = hostFrames.ownerAt(hpa);
    const gpas = pagesOf.get(hpa) ?? [];
    const last = runs.at(-1);
    const continues = last !== undefined && last.owner === owner && owner !== "shared" &&
      (owner !== "guest" || last.gpas[0] + last.frames * FRAME === gpas[0]);
    if (continues) last.frames++;
    else runs.push({ hpa, frames: 1, owner, gpas: owner === "guest" ? gpas.slice(0, 1) : gpas });
  }
  return runs;
}
