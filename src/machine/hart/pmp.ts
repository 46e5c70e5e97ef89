/**
 * Physical memory protection: 16 entries (QEMU's default), modes OFF/TOR/NA4/NAPOT, granularity 4
 * bytes, the lock bit. Checked for every S/U access, for M-mode accesses to locked entries, and for
 * page-table walks (as S-mode accesses).
 *
 * Ranges are kept as doubles for speed; boundaries above 2^53 (far above any RAM) are approximate.
 * pmpaddr holds bits 55:2 of an address (54 writable bits); QEMU 7.2 keeps all 64 bits of a write,
 * which only shows when reading back a value like −1.
 */
export const PMP_ENTRIES = 16;
const PMPADDR_MASK = (1n << 54n) - 1n;

export const enum PmpAccess { R = 1, W = 2, X = 4 }

export class Pmp {
  readonly cfg = new Uint8Array(PMP_ENTRIES);
  readonly addr: bigint[] = new Array<bigint>(PMP_ENTRIES).fill(0n);
  private readonly start = new Float64Array(PMP_ENTRIES);
  private readonly end = new Float64Array(PMP_ENTRIES);
  /** True when some entry is not OFF; with none, M-mode needs no check at all. */
  active = false;
  /** True when some entry is locked, i.e. M-mode accesses must be checked too. */
  anyLocked = false;
  /** Called after any change that can alter a check's result. */
  onChange: () => void = () => {};

  /** The 64-bit pmpcfg register n (0 or 2 on RV64): eight entries' bytes. */
  readCfg(n: number): bigint {
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(this.cfg[n * 4 + k]);
    return v;
  }

  writeCfg(n: number, value: bigint): void {
    for (let k = 0; k < 8; k++) {
      const i = n * 4 + k;
      if (this.cfg[i] & 0x80) continue; // locked
      this.cfg[i] = Number((value >> BigInt(8 * k)) & 0x9fn); // bits 6:5 are reserved zero
    }
    this.recompute();
  }

  writeAddr(i: number, value: bigint): void {
    if (this.cfg[i] & 0x80) return;
    if (i + 1 < PMP_ENTRIES && (this.cfg[i + 1] & 0x80) && ((this.cfg[i + 1] >> 3) & 3) === 1) return; // locked TOR top
    this.addr[i] = value & PMPADDR_MASK;
    this.recompute();
  }

  private recompute(): void {
    this.active = false;
    this.anyLocked = false;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const a = this.cfg[i] >> 3 & 3;
      let lo = 0n, hi = 0n;
      if (a === 1) {
        lo = i === 0 ? 0n : this.addr[i - 1] << 2n;
        hi = this.addr[i] << 2n;
      } else if (a === 2) {
        lo = this.addr[i] << 2n;
        hi = lo + 4n;
      } else if (a === 3) {
        const y = this.addr[i];
        let t = 0n;
        while (((y >> t) & 1n) === 1n) t++;
        lo = (y & ~((1n << t) - 1n)) << 2n;
        hi = lo + (1n << (t + 3n));
      }
      this.start[i] = Number(lo);
      this.end[i] = Number(hi);
      if (a !== 0) this.active = true;
      if (this.cfg[i] & 0x80) this.anyLocked = true;
    }
    this.onChange();
  }

  /**
   * Whether an access of `size` bytes at `pa` with privilege `priv` (0, 1, 3) is allowed. `access`
   * may combine bits (an AMO needs R and W).
   */
  check(pa: number, size: number, access: PmpAccess, priv: number): boolean {
    if (!this.active) return priv === 3;
    const last = pa + size;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const c = this.cfg[i];
      if ((c & 0x18) === 0) continue;
      const s = this.start[i], e = this.end[i];
      if (last <= s || pa >= e) continue;
      if (pa < s || last > e) return false; // matches only some of the bytes
      if (priv === 3 && (c & 0x80) === 0) return true;
      return (c & access) === access;
    }
    return priv === 3;
  }
}
