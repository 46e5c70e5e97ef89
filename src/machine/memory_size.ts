const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export const MIB = 1024 ** 2;

/** The largest RAM a board accepts; one ArrayBuffer holds it. */
export const MAX_MEMORY_BYTES = 4 * 1024 ** 3;

/**
 * Parses a RAM size such as "128M", "64K", "1G" (an optional "iB"/"B" suffix is accepted) or a plain
 * byte count. Returns undefined for anything else, and for sizes that are not whole 4 KiB pages
 * between 4 KiB and 4 GiB: the MMU maps RAM page by page.
 */
export function parseMemorySize(text: string | number): number | undefined {
  const m = /^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$/i.exec(String(text));
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (!Number.isSafeInteger(bytes) || bytes < 4096 || bytes % 4096 !== 0 || bytes > MAX_MEMORY_BYTES) return undefined;
  return bytes;
}

/** Whole MiB of `bytes` as a size parseMemorySize reads (`4079M`). */
export function formatMiB(bytes: number): string {
  return `${Math.floor(bytes / MIB)}M`;
}
