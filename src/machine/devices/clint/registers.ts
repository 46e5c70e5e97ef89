import { unnamed } from "../format";

/** msip (32 bits), mtimecmp and mtime (64 bits each), as offsets from the CLINT's base. */
export const MSIP = 0;
export const MTIMECMP = 0x4000;
export const MTIME = 0xbff8;

/**
 * msip and mtimecmp are named with their hart when it is not hart 0 (`msip[1]`, `mtimecmp[2]+4`);
 * those of harts the board does not have are unnamed offsets.
 */
export function clintRegisterName(offset: number, _write: boolean, harts = 1): string {
  if (offset >= MTIME) return offset < MTIME + 8 ? (offset === MTIME ? "mtime" : "mtime+4") : unnamed(offset);
  const hart = (n: number) => (n === 0 ? "" : `[${n}]`);
  if (offset >= MTIMECMP) {
    const n = (offset - MTIMECMP) >> 3;
    if (n >= harts) return unnamed(offset);
    return `mtimecmp${hart(n)}${(offset & 7) === 0 ? "" : "+4"}`;
  }
  if ((offset & 3) === 0 && offset >> 2 < harts) return `msip${hart(offset >> 2)}`;
  return unnamed(offset);
}
