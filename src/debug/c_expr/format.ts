import { ATE, resolved, sizeOf, type CType } from "../../asm/dwarf/types";
import { littleEndian } from "../../asm/dwarf/expression";
import { bytesAt, escapeChar, scalarText, within, type CBytes, type CValueContext } from "../c_values";
import { ExprError } from "../expressions";

/**
 * A value in memory as one line, the way gdb's `print` writes it: `{pid = 1, state = RUNNING,
 * name = "init", '\000' <repeats 11 times>}`. The Watch view, hovers and the Debug Console show
 * it beside the expandable children, so a struct reads at a glance and can be checked against gdb.
 */

/** gdb's `print elements`: how many elements (or characters) of an array are shown. */
const ELEMENT_LIMIT = 200;
/** gdb's `print repeats`: a run longer than this is shown once, with its count. */
const REPEAT_THRESHOLD = 10;

const hex = (v: bigint) => `0x${v.toString(16)}`;

export function valueText(type: CType, place: bigint | CBytes, ctx: CValueContext): string {
  const t = resolved(type);
  const size = sizeOf(type);
  switch (t.kind) {
    case "struct":
      return `{${t.members.map((m) => `${m.name} = ${m.bitField ? "<bit-fields not supported yet>" : valueText(m.type, within(place, m.offset), ctx)}`).join(", ")}}`;
    case "array": {
      const elemSize = sizeOf(t.element);
      if (elemSize === undefined || t.count === undefined) return "<array of unknown size>";
      const element = resolved(t.element);
      if (element.kind === "base" && element.size === 1 && (element.encoding === ATE.unsignedChar || element.encoding === ATE.signedChar)) {
        const bytes = bytesAt(ctx, place, t.count);
        return bytes ? charArrayText(bytes) : unreadable(place);
      }
      const texts = (i: number) => valueText(t.element, within(place, i * elemSize), ctx);
      return `{${runs(t.count, texts, (text, n) => `${text} <repeats ${n} times>`, (text) => [text]).join(", ")}}`;
    }
    default: {
      const bytes = size !== undefined && size > 0 && size <= 8 ? bytesAt(ctx, place, size) : null;
      if (!bytes) return unreadable(place);
      return scalarText(type, littleEndian(bytes), ctx) ?? `<values of type ${t.kind} not supported yet>`;
    }
  }
}

/** As gdb: bytes kept outside memory that cannot be read were optimized out. */
function unreadable(place: bigint | CBytes): string {
  return typeof place === "bigint" ? `<error: Cannot access memory at address ${hex(place)}>` : "<optimized out>";
}

/**
 * The pieces of `count` items (`text(i)` each) as gdb prints them: a run of more than
 * REPEAT_THRESHOLD equal items becomes one `repeat` piece, the others `single` pieces; after
 * ELEMENT_LIMIT items (a repeat counting as the threshold) the rest is `...`.
 */
function runs(count: number, text: (i: number) => string, repeat: (text: string, n: number) => string, single: (text: string) => string[]): string[] {
  const out: string[] = [];
  let printed = 0;
  for (let i = 0; i < count; ) {
    if (printed >= ELEMENT_LIMIT) {
      out.push("...");
      break;
    }
    const here = text(i);
    let n = 1;
    while (i + n < count && text(i + n) === here) n++;
    if (n > REPEAT_THRESHOLD) {
      out.push(repeat(here, n));
      printed += REPEAT_THRESHOLD;
      i += n;
    } else {
      out.push(...single(here));
      printed++;
      i++;
    }
  }
  return out;
}

/** A char array as gdb prints it: quoted runs and repeated characters, without the last NUL. */
function charArrayText(bytes: Uint8Array): string {
  const length = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
  if (length === 0) return '""';
  const pieces = runs(length, (i) => String(bytes[i]), (code, n) => `'${escapeChar(Number(code), "'")}' <repeats ${n} times>`, (code) => [`"${escapeChar(Number(code), '"')}"`]);
  // Neighbouring single characters join into one quoted string.
  const joined: string[] = [];
  for (const p of pieces) {
    const last = joined[joined.length - 1];
    if (p.startsWith('"') && last?.startsWith('"')) joined[joined.length - 1] = last.slice(0, -1) + p.slice(1);
    else joined.push(p);
  }
  return joined.join(", ").replace(/, \.\.\.$/, "...");
}

/** An integer of `size` bytes (its bits zero-extended) in `p/FMT`'s format, as gdb prints it. */
export function formatScalar(bits: bigint, size: number, fmt: string): string {
  switch (fmt) {
    case "x": return hex(bits);
    case "d": return BigInt.asIntN(size * 8, bits).toString();
    case "u": return bits.toString();
    case "t": return bits.toString(2);
    case "c": return `${BigInt.asIntN(8, bits)} '${escapeChar(Number(bits & 0xffn), "'")}'`;
    default: throw new ExprError(`unknown format '${fmt}'`);
  }
}
