import type { Dma } from "./dma";
import type { Segment } from "./split_queue";

/** The bytes of a chain's device-readable buffers, gathered in order into one copy. */
export function gather(dma: Dma, segments: readonly Segment[]): Uint8Array {
  const out = new Uint8Array(total(segments));
  let o = 0;
  for (const s of segments) {
    out.set(dma.bytes(s.addr, s.len), o);
    o += s.len;
  }
  return out;
}

/** Writes `data` into a chain's device-writable buffers from byte `offset` of them on; returns the bytes written. */
export function scatter(dma: Dma, segments: readonly Segment[], offset: number, data: Uint8Array): number {
  let skip = offset;
  let from = 0;
  for (const s of segments) {
    if (from >= data.length) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const n = Math.min(s.len - skip, data.length - from);
    dma.write(s.addr + skip, data.subarray(from, from + n));
    from += n;
    skip = 0;
  }
  return from;
}

export function total(segments: readonly Segment[]): number {
  return segments.reduce((n, s) => n + s.len, 0);
}
