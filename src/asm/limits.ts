/**
 * The assembler's and the loader's fixed limits, in one place so that the README, the error messages
 * and the checks cannot disagree. Each one is far above what a guest written by hand needs (kilobytes
 * of code, a few thousand lines) and low enough that a hostile or broken input fails in seconds with
 * an error that names the limit, instead of exhausting the memory or freezing the editor, which
 * assembles on every keystroke.
 */
import type { SourceLoc } from "./diagnostics";

const MiB = 1 << 20;

/**
 * The bytes an image may occupy, every section counted (.bss too, although it is never stored):
 * twice the default guest RAM of 128 MiB.
 */
export const MAX_IMAGE_BYTES = 256 * MiB;

/**
 * Preprocessing work, in source lines: every line of every file each time it is included, and every
 * line a macro, `.rept` or `.irp` produces. Ten times the assembler benchmark's 100,000 lines.
 */
export const MAX_SOURCE_LINES = 1_000_000;

/** Preprocessing work, in characters: the text those lines hold after `#define` expansion. */
export const MAX_SOURCE_CHARS = 64 * MiB;

/**
 * Nesting of #include and .include. Deeper is taken for a file that includes itself and stops the
 * assembly: one that includes itself twice would otherwise branch 2^depth times.
 */
export const MAX_INCLUDE_DEPTH = 40;

/** The error that stops an include nested past MAX_INCLUDE_DEPTH. */
export function includeTooDeep(directive: string, loc: SourceLoc): LimitError {
  return new LimitError(`${directive} nested more than ${MAX_INCLUDE_DEPTH} deep, the limit (a file that includes itself?); assembly stopped here`, loc);
}

/** Nesting of one expression: parentheses, unary operators and chained binary operators. */
export const MAX_EXPR_DEPTH = 256;

/** Nesting of an expression with the expressions of the symbols it names, and of theirs. */
export const MAX_SYMBOL_EXPR_DEPTH = 1024;

/** Constants are 64-bit values, as in GNU as. */
export const MAX_CONSTANT_BITS = 64;

/** `2 GiB`, `300.5 MiB`, `12 KiB`, `100 bytes`: sizes in messages. */
export function formatBytes(n: number): string {
  const units: [number, string][] = [[2 ** 30, "GiB"], [MiB, "MiB"], [1024, "KiB"]];
  for (const [size, unit] of units) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} byte${n === 1 ? "" : "s"}`;
}

/** The error for `what` making the image `bytes` large, over MAX_IMAGE_BYTES. */
export function imageTooLarge(what: string, bytes: number): string {
  const limit = formatBytes(MAX_IMAGE_BYTES);
  // Just over the limit, the rounded size would read as the limit itself.
  const size = formatBytes(bytes) === limit ? `${limit} (${bytes.toLocaleString("en-US")} bytes)` : formatBytes(bytes);
  return `${what} would make the image ${size}; images are limited to ${limit}`;
}

/** A limit was reached: the assembly stops there, with this error at `loc`. */
export class LimitError {
  constructor(
    readonly message: string,
    readonly loc: SourceLoc,
  ) {}
}

/**
 * The work one assembly may do: the preprocessing limits above, and an optional wall-clock limit (the
 * editor's, so that a keystroke never waits long for the Problems panel). Throws LimitError once spent.
 */
export class WorkBudget {
  private lines = 0;
  private chars = 0;
  private ticks = 0;
  private readonly deadline: number;

  constructor(private readonly timeLimitMs?: number) {
    this.deadline = timeLimitMs === undefined ? Infinity : performance.now() + timeLimitMs;
  }

  /** Charges `lines` source lines holding `chars` characters, read or produced at `loc`. */
  charge(lines: number, chars: number, loc: SourceLoc): void {
    this.lines += lines;
    this.chars += chars;
    if (this.lines > MAX_SOURCE_LINES) {
      throw new LimitError(`preprocessing would read more than ${MAX_SOURCE_LINES.toLocaleString("en-US")} source lines (every included file and every macro, .rept and .irp expansion counted), the limit; a file that includes itself, or a runaway repetition?`, loc);
    }
    if (this.chars > MAX_SOURCE_CHARS) {
      throw new LimitError(`preprocessing would produce more than ${MAX_SOURCE_CHARS.toLocaleString("en-US")} characters of source text, the limit; a runaway #define or repetition?`, loc);
    }
  }

  /**
   * One step of work (a line, a relaxation pass): true once the time limit has passed. The clock is
   * read once every `every` steps: often enough to stop on time, rarely enough to cost nothing.
   */
  expired(every = 1024): boolean {
    return ++this.ticks % every === 0 && performance.now() > this.deadline;
  }

  /** The error that stops an assembly whose time is up, at the step it reached. */
  timeUp(loc: SourceLoc): LimitError {
    return new LimitError(`assembly stopped here after ${this.timeLimitMs} ms, the time limit for checking as you type, so what follows was not checked; 'hyperstep asm' assembles without a time limit`, loc);
  }
}
