/**
 * RAM as a list of 4 KiB pages, copied on write: a capture shares every page that has not changed
 * since the previous capture with it, so history grows with the pages the guest writes, not with the
 * size of its RAM. A page of zeros is not kept at all.
 *
 * Finding the changed pages compares each page that may hold data with the previous capture, so no
 * writer has to log what it changes between captures; Node's native comparison does it at memory
 * speed, and a loop stands in where there is no Node (a browser). Which pages may hold data, RAM
 * marks once and for ever (machine/memory.ts, Ram.written): a page never marked holds zeros, and
 * reading it would make the OS commit it, at about the cost of writing it. The marks only grow, so a
 * page unmarked now was unmarked, and zero, at every earlier capture too.
 */

export const PAGE_BYTES = 4096;

/** One capture of RAM: per page, its bytes, or undefined when the page is all zeros. */
export type RamImage = readonly (Uint8Array | undefined)[];

const ZERO = new Uint8Array(PAGE_BYTES);

declare const Buffer: { compare(a: Uint8Array, b: Uint8Array): number } | undefined;
const equal: (a: Uint8Array, b: Uint8Array) => boolean = typeof Buffer !== "undefined"
  ? (a, b) => Buffer!.compare(a, b) === 0
  : (a, b) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };

/**
 * RAM now, sharing the pages of `previous` that are unchanged; `written` marks per page the pages
 * that may not be zeros. Returns the image and the pages it copied.
 */
export function captureRam(ram: Uint8Array, written: Uint8Array, previous: RamImage | undefined): { image: RamImage; copied: number } {
  const pages = ram.byteLength / PAGE_BYTES;
  const image: (Uint8Array | undefined)[] = new Array(pages).fill(undefined);
  let copied = 0;
  for (let p = 0; p < pages; p++) {
    if (written[p] === 0) continue;
    const now = ram.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    const before = previous?.[p];
    if (equal(now, before ?? ZERO)) image[p] = before;
    else if (equal(now, ZERO)) image[p] = undefined;
    else {
      image[p] = now.slice();
      copied++;
    }
  }
  return { image, copied };
}

/** Writes back the pages that differ from the image (only written pages can). */
export function restoreRam(ram: Uint8Array, written: Uint8Array, image: RamImage): void {
  for (let p = 0; p < image.length; p++) {
    if (written[p] === 0) continue;
    const now = ram.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    const page = image[p] ?? ZERO;
    if (!equal(now, page)) now.set(page);
  }
}

/** The pages `image` holds that `older` does not share (what dropping `image` alone would free). */
export function ownPages(image: RamImage, older: RamImage | undefined): number {
  let n = 0;
  for (let p = 0; p < image.length; p++) if (image[p] && image[p] !== older?.[p]) n++;
  return n;
}
