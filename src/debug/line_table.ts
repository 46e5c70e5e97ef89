import type { TargetLine } from "../target/target";

export interface SourceLine {
  file: string;
  line: number;
}

/**
 * The program's line table in both directions: the source line of an address (the entry at or
 * below it, within the same run of code), and the addresses of a source line.
 */
export class LineMap {
  private readonly entries: readonly TargetLine[];
  /** file → line → lowest address of that line. */
  private readonly byFile = new Map<string, Map<number, bigint>>();
  /** file → its lines with code, ascending. */
  private readonly linesOf = new Map<string, number[]>();

  constructor(entries: readonly TargetLine[]) {
    this.entries = [...entries].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    for (const e of this.entries) {
      let lines = this.byFile.get(e.file);
      if (!lines) this.byFile.set(e.file, (lines = new Map()));
      const prev = lines.get(e.line);
      if (prev === undefined || e.address < prev) lines.set(e.line, e.address);
    }
    for (const [file, lines] of this.byFile) this.linesOf.set(file, [...lines.keys()].sort((a, b) => a - b));
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  get files(): string[] {
    return [...this.byFile.keys()];
  }

  /**
   * The line an address belongs to: the entry at or below it, unless that entry is more than
   * `MAX_RUN` bytes away (the address then lies in data or code without line information).
   */
  lineOf(addr: bigint): SourceLine | undefined {
    const i = this.indexAtOrBelow(addr);
    if (i < 0) return undefined;
    const e = this.entries[i];
    const next = this.entries[i + 1];
    const end = next && next.address - e.address <= MAX_RUN ? next.address : e.address + FALLBACK_SPAN;
    if (addr >= end) return undefined;
    return { file: e.file, line: e.line };
  }

  /** True when `addr` is where a line's code begins. */
  isLineStart(addr: bigint): boolean {
    const i = this.indexAtOrBelow(addr);
    return i >= 0 && this.entries[i].address === addr;
  }

  /** The highest line start at or below `addr`. */
  startAtOrBelow(addr: bigint): bigint | undefined {
    const i = this.indexAtOrBelow(addr);
    return i < 0 ? undefined : this.entries[i].address;
  }

  /** Address of the first instruction of `line` in `file`. */
  addressOf(file: string, line: number): bigint | undefined {
    return this.fileLines(file)?.get(line);
  }

  /** The first line ≥ `line` in `file` that has code, if any. */
  nearestLineWithCode(file: string, line: number): number | undefined {
    const lines = this.linesOf.get(this.key(file) ?? "");
    return lines?.find((l) => l >= line);
  }

  /** Lines with code in [line, endLine]. */
  linesWithCode(file: string, line: number, endLine: number): number[] {
    return (this.linesOf.get(this.key(file) ?? "") ?? []).filter((l) => l >= line && l <= endLine);
  }

  hasFile(file: string): boolean {
    return this.key(file) !== undefined;
  }

  private fileLines(file: string): Map<number, bigint> | undefined {
    const k = this.key(file);
    return k === undefined ? undefined : this.byFile.get(k);
  }

  /** Paths from clients may differ in case (Windows drive letters) or separators; match leniently. */
  private key(file: string): string | undefined {
    if (this.byFile.has(file)) return file;
    const norm = normalise(file);
    for (const k of this.byFile.keys()) if (normalise(k) === norm) return k;
    return undefined;
  }

  private indexAtOrBelow(addr: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].address <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

/** A line never covers more than this many bytes: further on is data or code without lines. */
const MAX_RUN = 64n;
/** The span given to the last line of a run (one long instruction, or a short pseudo-instruction). */
const FALLBACK_SPAN = 8n;

function normalise(p: string): string {
  return p.replace(/\\/g, "/").toLowerCase();
}
