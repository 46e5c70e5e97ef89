/**
 * Whether an image has anything to run: its entry must fall on bytes of an executable section or
 * segment. Otherwise the hart would fetch zeros and loop in traps; an empty source, a source with only
 * data and an ELF with no code at its entry are load errors instead, in every path that loads one.
 */
import type { LinkedSection } from "./link";

export interface CodeBytes {
  addr: bigint;
  /** Bytes stored there (not .bss, which is zeros). */
  bytes: number;
  exec: boolean;
}

/** The load error for an image whose entry is on no instructions, or undefined when it has some there. */
export function nothingToRun(entry: bigint, ranges: readonly CodeBytes[]): string | undefined {
  if (ranges.some((r) => r.exec && entry >= r.addr && entry < r.addr + BigInt(r.bytes))) return undefined;
  return `nothing to run: the program has no instructions at its entry 0x${entry.toString(16)}`;
}

/** nothingToRun for the assembler's linked sections. */
export function nothingToRunInSections(entry: bigint, sections: readonly LinkedSection[]): string | undefined {
  return nothingToRun(entry, sections.map((s) => ({ addr: s.addr, bytes: s.data.length, exec: s.exec })));
}
