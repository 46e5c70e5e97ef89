import { unnamed } from "../format";

/** msip (32 bits), mtimecmp and mtime (64 bits each), as offsets from the CLINT's base. */
export const MSIP = 0;
export const MTIMECMP = 0x4000;
export const MTIME = 0xbff8;

export function clintRegisterName(offset: number, _write: boolean): string {
  if (offset < MSIP + 4) return "msip";
  if (offset >= MTIMECMP && offset < MTIMECMP + 8) return offset === MTIMECMP ? "mtimecmp" : "mtimecmp+4";
  if (offset >= MTIME) return offset === MTIME ? "mtime" : "mtime+4";
  return unnamed(offset);
}
