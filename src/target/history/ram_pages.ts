/**
 * RAM as a list of 4 KiB pages, copied on write: a capture shares every page that has not changed
 * since the previous capture with it, so history grows with the pages the guest writes, not with the
 * size of its RAM. A page of zeros is not kept at all.
 */

export const PAGE_BYTES = 4096;
const WORDS = PAGE_BYTES / 4;

/** One capture of RAM: per page, its words, or undefined when the page is all zeros. */
export type RamImage = readonly (Int32Array | undefined)[];

function wordsOf(ram: Uint8Array): Int32Array {
  return new Int32Array(ram.buffer, ram.byteOffset, ram.byteLength >> 2);
}

/** RAM now, sharing the pages of `previous` that are unchanged. Returns the image and the pages it copied. */
export function captureRam(ram: Uint8Array, previous: RamImage | undefined): { image: RamImage; copied: number } {
  const words = wordsOf(ram);
  const pages = ram.byteLength / PAGE_BYTES;
  const image: (Int32Array | undefined)[] = new Array(pages);
  let copied = 0;
  for (let p = 0; p < pages; p++) {
    const at = p * WORDS;
    const before = previous?.[p];
    if (samePage(words, at, before)) image[p] = before;
    else if (isZero(words, at)) image[p] = undefined;
    else {
      image[p] = words.slice(at, at + WORDS);
      copied++;
    }
  }
  return { image, copied };
}

/** Writes back the pages that differ from the image. */
export function restoreRam(ram: Uint8Array, image: RamImage): void {
  const words = wordsOf(ram);
  for (let p = 0; p < image.length; p++) {
    const at = p * WORDS;
    const page = image[p];
    if (samePage(words, at, page)) continue;
    if (page) words.set(page, at);
    else words.fill(0, at, at + WORDS);
  }
}

/** The pages `image` holds that `older` does not share (what dropping `image` alone would free). */
export function ownPages(image: RamImage, older: RamImage | undefined): number {
  let n = 0;
  for (let p = 0; p < image.length; p++) if (image[p] && image[p] !== older?.[p]) n++;
  return n;
}

function samePage(words: Int32Array, at: number, page: Int32Array | undefined): boolean {
  if (!page) return isZero(words, at);
  for (let i = 0; i < WORDS; i++) if (words[at + i] !== page[i]) return false;
  return true;
}

function isZero(words: Int32Array, at: number): boolean {
  for (let i = 0; i < WORDS; i++) if (words[at + i] !== 0) return false;
  return true;
}
