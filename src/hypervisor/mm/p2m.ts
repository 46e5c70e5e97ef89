/**
 * The physical-to-machine map: where each guest-physical region lives in host-physical memory.
 *
 * Guest RAM is one region today (GPA 0x8000_0000 → an HPA above the VMM's own memory), so that
 * GPA ≠ HPA is visible; the table keeps room for more regions (ballooning, sharing) later.
 * Guest MMIO regions are deliberately absent: an access there has no host page behind it and exits.
 */
export interface P2mRegion {
  gpa: number;
  hpa: number;
  size: number;
  kind: "ram";
}

export class P2m {
  private readonly list: P2mRegion[] = [];

  add(region: P2mRegion): void {
    for (const r of this.list) {
      if (region.gpa < r.gpa + r.size && r.gpa < region.gpa + region.size) throw new RangeError("p2m regions overlap");
    }
    this.list.push(region);
  }

  /** The host-physical address of guest-physical `gpa` for `len` bytes in one region, or −1. */
  toHpa(gpa: number, len = 1): number {
    for (const r of this.list) {
      if (gpa >= r.gpa && gpa + len <= r.gpa + r.size) return r.hpa + (gpa - r.gpa);
    }
    return -1;
  }

  /** The guest-physical address backed by `hpa`, or −1 (the VMM's own memory has none). */
  toGpa(hpa: number): number {
    for (const r of this.list) {
      if (hpa >= r.hpa && hpa < r.hpa + r.size) return r.gpa + (hpa - r.hpa);
    }
    return -1;
  }

  regions(): readonly P2mRegion[] {
    return this.list.map((r) => ({ ...r }));
  }
}
