/**
 * The set of breakpoint addresses (virtual pcs), kept so that the run loop can stop at them without
 * slowing pages that have none:
 *  - per virtual page, a map of the halfword slots that hold a breakpoint, which the interpreter
 *    reads only while it runs in a page that has one;
 *  - a version that changes whenever the set really changes, against which translated code (which
 *    compiled the page's breakpoints in as exits) checks that it is still valid.
 * The debugger replaces the whole set before every slice (clear, then add each): translated code
 * compares its own page's breakpoints when the version moved, so re-adding the same set costs a scan
 * of that page's map per region, once.
 */
export class BreakpointSet {
  private readonly pcs = new Set<number>();
  private readonly pages = new Map<number, Uint8Array>();
  /** Changes with every addition or removal. */
  version = 0;

  add(pc: bigint): void {
    const n = Number(BigInt.asIntN(64, pc));
    if (this.pcs.has(n)) return;
    this.pcs.add(n);
    this.version++;
    if (n % 2 !== 0) return; // never an instruction boundary
    const vpn = Math.floor(n / 4096);
    let map = this.pages.get(vpn);
    if (!map) this.pages.set(vpn, (map = new Uint8Array(2048)));
    map[(n - vpn * 4096) >> 1] = 1;
  }

  delete(pc: bigint): boolean {
    const n = Number(BigInt.asIntN(64, pc));
    if (!this.pcs.delete(n)) return false;
    this.version++;
    const vpn = Math.floor(n / 4096);
    const map = this.pages.get(vpn);
    if (map && n % 2 === 0) {
      map[(n - vpn * 4096) >> 1] = 0;
      if (map.every((v) => v === 0)) this.pages.delete(vpn);
    }
    return true;
  }

  has(pc: bigint): boolean {
    return this.pcs.has(Number(BigInt.asIntN(64, pc)));
  }

  clear(): void {
    if (this.pcs.size === 0) return;
    this.pcs.clear();
    this.pages.clear();
    this.version++;
  }

  get size(): number {
    return this.pcs.size;
  }

  /** Internal: the pcs in the hart's number form. */
  numbers(): IterableIterator<number> {
    return this.pcs.values();
  }

  /** Internal: membership of a pc in the hart's number form. */
  hasNum(pc: number): boolean {
    return this.pcs.has(pc);
  }

  /** Internal: the breakpoint slots (index = page offset / 2) of the page at `vbase`, if it has any. */
  pageMap(vbase: number): Uint8Array | undefined {
    return this.pages.get(vbase / 4096);
  }

  /** Internal: the page offsets of the breakpoints in the page at `vbase`, ascending, as a key. */
  pageKey(vbase: number): string {
    const map = this.pages.get(vbase / 4096);
    if (!map) return "";
    const offs: number[] = [];
    for (let i = 0; i < 2048; i++) if (map[i] !== 0) offs.push(i * 2);
    return offs.join(",");
  }
}
