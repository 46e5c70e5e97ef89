/**
 * Tokens of one assembler statement. Columns are 0-based offsets into the line text (diagnostics add 1).
 * A numeric local label reference (`1b`, `2f`) is a `num` token with `local` set; `.` alone is a name.
 */
import { MAX_CONSTANT_BITS } from "./limits";

export type TokKind = "name" | "num" | "str" | "op" | "end";

export interface Token {
  kind: TokKind;
  text: string;
  col: number;
  end: number;
  /** For `num`: its value (local-label references carry the label number). */
  value?: bigint;
  /** For `num`: 'b' or 'f' when this is a numeric local label reference. */
  local?: "b" | "f";
  /** For `str`: the decoded bytes. */
  bytes?: number[];
}

const OPS3 = new Set(["<<=", ">>="]);
const OPS2 = new Set(["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "<>"]);

export class LexError {
  constructor(
    readonly message: string,
    readonly col: number,
  ) {}
}

const isNameStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36; // A-Z a-z _ . $
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number) => c >= 48 && c <= 57;

/** Tokenizes `text` from `start` up to `stop` (exclusive). Throws LexError on malformed numbers or strings. */
export function tokenize(text: string, start = 0, stop = text.length): Token[] {
  const toks: Token[] = [];
  let i = start;
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    const s = i;
    if (isDigit(c)) {
      i = lexNumber(text, i, stop, toks);
      continue;
    }
    if (isNameStart(c)) {
      i++;
      while (i < stop && isNameChar(text.charCodeAt(i))) i++;
      toks.push({ kind: "name", text: text.slice(s, i), col: s, end: i });
      continue;
    }
    if (c === 34) {
      const bytes: number[] = [];
      i = lexString(text, i + 1, stop, bytes, s);
      toks.push({ kind: "str", text: text.slice(s, i), col: s, end: i, bytes });
      continue;
    }
    if (c === 39) {
      // 'c or 'c' : a character constant
      if (i + 1 >= stop) throw new LexError("a character constant needs a character after the quote", s);
      const bytes: number[] = [];
      let j = i + 1;
      if (text[j] === "\\") j = lexEscape(text, j + 1, stop, bytes, s);
      else {
        pushUtf8(text.codePointAt(j)!, bytes);
        j += text.codePointAt(j)! > 0xffff ? 2 : 1;
      }
      if (text[j] === "'") j++;
      toks.push({ kind: "num", text: text.slice(s, j), col: s, end: j, value: BigInt(bytes[0] ?? 0) });
      i = j;
      continue;
    }
    const three = text.slice(i, i + 3);
    const two = text.slice(i, i + 2);
    const op = OPS3.has(three) ? three : OPS2.has(two) ? two : text[i]!;
    i += op.length;
    toks.push({ kind: "op", text: op, col: s, end: i });
  }
  toks.push({ kind: "end", text: "", col: stop, end: stop });
  return toks;
}

function lexNumber(text: string, i: number, stop: number, toks: Token[]): number {
  const s = i;
  let j = i;
  while (j < stop && isNameChar(text.charCodeAt(j))) j++;
  const word = text.slice(s, j);
  // Numeric local label reference: digits then b or f.
  const local = /^(\d+)([bf])$/.exec(word);
  if (local) {
    toks.push({ kind: "num", text: word, col: s, end: j, value: BigInt(local[1]!), local: local[2] as "b" | "f" });
    return j;
  }
  let value: bigint;
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(word)) value = BigInt(word);
    else if (/^0[bB][01]+$/.test(word)) value = BigInt(word);
    else if (/^0[0-7]*$/.test(word)) value = BigInt("0o" + (word.slice(1) || "0"));
    else if (/^[1-9]\d*$/.test(word)) value = BigInt(word);
    else throw new Error();
  } catch {
    throw new LexError(`'${word}' is not a number; expected decimal, 0x hex, 0b binary or 0 octal digits`, s);
  }
  // GNU as refuses these too ("unsupported large constant"); truncating would change the program silently.
  if (value >> BigInt(MAX_CONSTANT_BITS) !== 0n) throw new LexError(`constant ${word} is wider than ${MAX_CONSTANT_BITS} bits, the limit`, s);
  toks.push({ kind: "num", text: word, col: s, end: j, value });
  return j;
}

/** Reads a string body after the opening quote; returns the index after the closing quote. */
function lexString(text: string, i: number, stop: number, bytes: number[], start: number): number {
  while (i < stop) {
    const ch = text[i]!;
    if (ch === '"') return i + 1;
    if (ch === "\\") {
      i = lexEscape(text, i + 1, stop, bytes, start);
      continue;
    }
    const cp = text.codePointAt(i)!;
    pushUtf8(cp, bytes);
    i += cp > 0xffff ? 2 : 1;
  }
  throw new LexError('unterminated string; expected a closing "', start);
}

function lexEscape(text: string, i: number, stop: number, bytes: number[], start: number): number {
  if (i >= stop) throw new LexError("a backslash at the end of the line; expected an escape character", start);
  const e = text[i]!;
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7, e: 27, "\\": 92, '"': 34, "'": 39 };
  if (e in simple) {
    bytes.push(simple[e]!);
    return i + 1;
  }
  if (e === "x" || e === "X") {
    let j = i + 1;
    while (j < stop && /[0-9a-fA-F]/.test(text[j]!)) j++;
    if (j === i + 1) throw new LexError("\\x needs hex digits", i - 1);
    bytes.push(Number(BigInt("0x" + text.slice(i + 1, j)) & 0xffn));
    return j;
  }
  if (/[0-7]/.test(e)) {
    let j = i;
    while (j < stop && j < i + 3 && /[0-7]/.test(text[j]!)) j++;
    bytes.push(parseInt(text.slice(i, j), 8) & 0xff);
    return j;
  }
  // GNU as keeps the character for unknown escapes.
  pushUtf8(text.codePointAt(i)!, bytes);
  return i + 1;
}

function pushUtf8(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}
