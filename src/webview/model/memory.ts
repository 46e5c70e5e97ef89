import type { AddressSpacesBody } from "../../debug/custom_requests";

/**
 * The Memory panel's arithmetic, pure: where the scrolled list sits in the 64-bit space, which blocks
 * a scroll position needs, what a row shows (and what changed since the last stop), and what an edit
 * writes. Bytes are numbers 0..255; UNREADABLE marks a byte the adapter could not read (unmapped, no
 * RAM), which the panel shows as "??", never as a zero.
 */

export const ROW_BYTES = 16;
/** The unit of fetching: a scroll asks for the blocks its rows fall in, not for single rows. */
export const BLOCK_BYTES = 512;
/**
 * Rows in the scrolled list. A browser cannot scroll through 2^60 rows, so the list is a window of
 * the space that moves when the scroll nears one of its ends (recentre).
 */
export const WINDOW_ROWS = 1 << 16;
export const UNREADABLE = -1;

const SPACE_END = 1n << 64n;

export type Space = AddressSpacesBody["spaces"][number];

/** Bytes as the wire carries them: two hex digits each, "??" for an unreadable byte. */
export function encodeBytes(bytes: ArrayLike<number>): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += bytes[i] === UNREADABLE ? "??" : bytes[i].toString(16).padStart(2, "0");
  return out;
}

export function decodeBytes(text: string): Int16Array | undefined {
  if (text.length % 2 !== 0 || !/^(?:[0-9a-f]{2}|\?\?)*$/i.test(text)) return undefined;
  const out = new Int16Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = text.slice(2 * i, 2 * i + 2);
    out[i] = pair === "??" ? UNREADABLE : parseInt(pair, 16);
  }
  return out;
}

export interface MemoryWindow {
  /** The address of row 0, a multiple of ROW_BYTES. */
  start: bigint;
  rows: number;
}

function clampStart(start: bigint, rows: number): bigint {
  const last = SPACE_END - BigInt(rows * ROW_BYTES);
  return start < 0n ? 0n : start > last ? last : start;
}

/** A window with `addr` in its middle (or as near as the ends of the space allow), and its row there. */
export function windowAround(addr: bigint, rows = WINDOW_ROWS): { window: MemoryWindow; row: number } {
  const rowStart = addr - (addr % BigInt(ROW_BYTES));
  const start = clampStart(rowStart - BigInt((rows / 2) * ROW_BYTES), rows);
  return { window: { start, rows }, row: Number((rowStart - start) / BigInt(ROW_BYTES)) };
}

export function rowAddress(w: MemoryWindow, row: number): bigint {
  return w.start + BigInt(row * ROW_BYTES);
}

/** Hex digits an address of the window takes: 8 while it stays below 4 GiB, so rows stay narrow beside the source. */
export function addressDigits(w: MemoryWindow): number {
  return w.start + BigInt(w.rows * ROW_BYTES) <= 1n << 32n ? 8 : 16;
}

/**
 * When the first visible row is within `margin` rows of an end of the window, and the space goes on
 * beyond it, the window moved so that row is in the middle again; `shift` is how many rows every row
 * index moved (the scroll position moves by as many rows the other way, so nothing jumps on screen).
 */
export function recentre(w: MemoryWindow, firstRow: number, margin: number): { window: MemoryWindow; shift: number } | undefined {
  const nearTop = firstRow < margin && w.start > 0n;
  const nearBottom = firstRow > w.rows - margin && w.start + BigInt(w.rows * ROW_BYTES) < SPACE_END;
  if (!nearTop && !nearBottom) return undefined;
  const moved = windowAround(rowAddress(w, firstRow), w.rows);
  const shift = Number((moved.window.start - w.start) / BigInt(ROW_BYTES));
  return shift === 0 ? undefined : { window: moved.window, shift };
}

/** The blocks that hold rows [first, end) of the window, lowest first. */
export function blocksFor(w: MemoryWindow, first: number, end: number): bigint[] {
  if (end <= first) return [];
  const block = BigInt(BLOCK_BYTES);
  const from = rowAddress(w, Math.max(0, first));
  const to = rowAddress(w, Math.min(w.rows, end));
  const out: bigint[] = [];
  for (let b = from - (from % block); b < to; b += block) out.push(b);
  return out;
}

/** Fetched blocks by address; a byte outside them is not known yet (undefined). */
export type Blocks = ReadonlyMap<bigint, Int16Array>;

export function byteAt(blocks: Blocks, addr: bigint): number | undefined {
  const block = BigInt(BLOCK_BYTES);
  const offset = addr % block;
  return blocks.get(addr - offset)?.[Number(offset)];
}

export interface Cell {
  /** "4f", "??" (unreadable), or "" (not fetched yet). */
  hex: string;
  /** The byte as a character: printable ASCII itself, "·" for any other byte, "?" when unreadable. */
  ascii: string;
  /** The byte differs from what it was at the previous stop (both known and readable or not). */
  changed: boolean;
  unreadable: boolean;
}

/** The 16 cells of the row at `addr`, compared with the previous stop's bytes where those are known. */
export function rowCells(addr: bigint, now: Blocks, before: Blocks): Cell[] {
  const cells: Cell[] = [];
  for (let i = 0; i < ROW_BYTES; i++) {
    const a = addr + BigInt(i);
    const b = byteAt(now, a);
    const was = byteAt(before, a);
    if (b === undefined) {
      cells.push({ hex: "", ascii: " ", changed: false, unreadable: false });
      continue;
    }
    const unreadable = b === UNREADABLE;
    cells.push({
      hex: unreadable ? "??" : b.toString(16).padStart(2, "0"),
      ascii: unreadable ? "?" : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "·",
      changed: was !== undefined && was !== b,
      unreadable,
    });
  }
  return cells;
}

export type Edit = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

const MAX_EDIT = 256;

/**
 * What the user typed over a byte: in the hex column, bytes as hex digit pairs ("4f", "de ad be ef",
 * "0x4f"); in the ASCII column, text, with \n, \t, \r, \0, \\ and \xNN for the rest.
 */
export function parseEdit(text: string, column: "hex" | "ascii"): Edit {
  const bytes = column === "hex" ? hexEdit(text) : asciiEdit(text);
  if (!bytes.ok) return bytes;
  if (bytes.bytes.length === 0) return { ok: false, message: "nothing to write" };
  if (bytes.bytes.length > MAX_EDIT) return { ok: false, message: `at most ${MAX_EDIT} bytes at once` };
  return bytes;
}

function hexEdit(text: string): Edit {
  const words = text.trim().split(/[\s,]+/).filter((w) => w !== "").map((w) => w.replace(/^0x/i, ""));
  const out: number[] = [];
  for (const w of words) {
    if (!/^[0-9a-f]+$/i.test(w)) return { ok: false, message: `'${w}' is not hexadecimal` };
    if (w.length % 2 !== 0) return { ok: false, message: `'${w}' is not whole bytes: write two digits a byte, such as 0${w}` };
    for (let i = 0; i < w.length; i += 2) out.push(parseInt(w.slice(i, i + 2), 16));
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

const ESCAPES: Record<string, number> = { n: 0x0a, t: 0x09, r: 0x0d, "0": 0x00, "\\": 0x5c };

function asciiEdit(text: string): Edit {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (text[i] === "\\") {
      const next = text[i + 1];
      if (next !== undefined && next in ESCAPES) {
        out.push(ESCAPES[next]);
        i++;
        continue;
      }
      const x = /^x([0-9a-f]{2})/i.exec(text.slice(i + 1));
      if (!x) return { ok: false, message: `'\\${next ?? ""}' is not an escape: use \\n, \\t, \\r, \\0, \\\\ or \\xNN` };
      out.push(parseInt(x[1], 16));
      i += 3;
      continue;
    }
    if (c < 0x20 || c >= 0x7f) return { ok: false, message: `'${text[i]}' is not ASCII: write \\xNN for other bytes` };
    out.push(c);
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

/**
 * What the address box holds: an optional address space and an expression the adapter evaluates at
 * every stop ("sp", "gpa:0x80001000", "hpa: a0+16"). A space is one the session offers, or an alias of
 * one (a register's `va:` reference under a VMM is `gva:`).
 */
export function parseTarget(text: string, spaces: readonly Space[]): { space?: string; expression: string } | { error: string } {
  const m = /^\s*([a-z]+)\s*:(?!:)\s*(.*)$/i.exec(text);
  const named = m ? spaceId(m[1], spaces) : undefined;
  if (m && !named && /^(va|pa|gva|gpa|hpa)$/i.test(m[1])) {
    return { error: `there is no ${m[1].toLowerCase()} address space here: use ${spaces.map((s) => s.id).join(", ")}` };
  }
  const expression = (named ? m![2] : text).trim();
  if (expression === "") return { error: "write an address or an expression, such as sp or 0x80001000" };
  return named ? { space: named, expression } : { expression };
}

/** The id of a space or of its alias, if the session offers it. */
export function spaceId(name: string, spaces: readonly Space[]): string | undefined {
  const n = name.toLowerCase();
  return spaces.find((s) => s.id === n || s.alias === n)?.id;
}

/** The adapter's answer to evaluating an address expression ("0x0000000080001000"), as an address. */
export function parseEvaluated(result: string): bigint | undefined {
  const t = result.trim();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return undefined;
  const v = BigInt(t);
  return v < SPACE_END ? v : undefined;
}
