import type { AddressSpace, Target, WatchAccess } from "./target";

/** One physical piece of a watched range (a range splits where it crosses a page). */
export interface WatchPiece {
  pa: bigint;
  length: number;
}

export interface PlacedWatch {
  pieces: readonly WatchPiece[];
  remove(): void;
}

/**
 * Watches `length` bytes at `addr` of a debugger's address space: a virtual range is translated now,
 * page by page, and the watch stays on those physical bytes (as a hardware watchpoint on a physical
 * address would) even if the guest later remaps the page. Returns why it cannot, as a sentence.
 */
export function watchRange(target: Target, space: AddressSpace, addr: bigint, length: number, access: WatchAccess): PlacedWatch | string {
  const pieces: WatchPiece[] = [];
  const removers: (() => void)[] = [];
  const remove = () => removers.forEach((r) => r());
  for (let done = 0; done < length; ) {
    const a = addr + BigInt(done);
    const n = Math.min(length - done, 4096 - Number(a % 4096n));
    let pa: bigint;
    if (space === "pa") pa = a;
    else if (space === "va") {
      const t = target.translate(a, access.write ? "w" : "r");
      if (!t.ok) {
        remove();
        return `0x${a.toString(16)} is not mapped for ${access.write ? "writing" : "reading"} now (the page walk faults)`;
      }
      pa = t.pa;
    } else {
      remove();
      return `the ${space} address space does not exist under the ${target.technique} technique`;
    }
    pieces.push({ pa, length: n });
    removers.push(target.watchPhysical(pa, n, access));
    done += n;
  }
  return { pieces, remove };
}

/** Whether an access of `size` bytes at `pa` touches the watch. */
export function watchCovers(watch: PlacedWatch, pa: bigint, size: number): boolean {
  return watch.pieces.some((p) => pa < p.pa + BigInt(p.length) && p.pa < pa + BigInt(size));
}
