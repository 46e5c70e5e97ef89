/**
 * The translation cache's free space, in TC words: first-fit allocation from free ranges kept in
 * address order and merged with their neighbours when freed, so that the blocks LRU eviction frees
 * (binary_translation.ts) make room for a new block wherever they were.
 */
export class TcSpace {
  /** Free ranges [start, start + length), in address order, none adjacent to another. */
  private free: { start: number; length: number }[] = [];

  constructor(readonly words: number) {
    this.reset();
  }

  reset(): void {
    this.free = [{ start: 0, length: this.words }];
  }

  /** The first word of `n` free words in a row, now taken; −1 when no free range is that long. */
  alloc(n: number): number {
    const i = this.free.findIndex((r) => r.length >= n);
    if (i < 0) return -1;
    const r = this.free[i];
    const start = r.start;
    if (r.length === n) this.free.splice(i, 1);
    else this.free[i] = { start: start + n, length: r.length - n };
    return start;
  }

  /** Gives back `n` words from `start`, which `alloc` handed out. */
  release(start: number, n: number): void {
    let i = this.free.findIndex((r) => r.start > start);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { start, length: n });
    const next = this.free[i + 1];
    if (next && start + n === next.start) {
      this.free[i].length += next.length;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.length === start) {
      prev.length += this.free[i].length;
      this.free.splice(i, 1);
    }
  }

  /** Words taken now. */
  get used(): number {
    return this.words - this.free.reduce((n, r) => n + r.length, 0);
  }
}
