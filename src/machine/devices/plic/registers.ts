/**
 * The PLIC's register map (SiFive layout), as offsets from its base:
 *   0x000000 + 4*src     source priority
 *   0x001000 + 4*word    pending bits
 *   0x002000 + 0x80*ctx  enable bits per context
 *   0x200000 + 0x1000*ctx  threshold; +4 claim (read) / complete (write)
 */
export const PENDING = 0x1000;
export const ENABLE = 0x2000;
export const ENABLE_STRIDE = 0x80;
export const CONTEXT = 0x20_0000;
export const CONTEXT_STRIDE = 0x1000;

export function plicRegisterName(offset: number, _write: boolean): string {
  if (offset < PENDING) return `priority[${offset >> 2}]`;
  if (offset < ENABLE) return `pending[${(offset - PENDING) >> 2}]`;
  if (offset < CONTEXT) return `enable[ctx ${Math.floor((offset - ENABLE) / ENABLE_STRIDE)}]`;
  const ctx = (offset - CONTEXT) >> 12;
  return (offset & 0xfff) === 0 ? `threshold[ctx ${ctx}]` : `claim/complete[ctx ${ctx}]`;
}
