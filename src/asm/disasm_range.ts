/**
 * Disassembly of a stretch of memory into objdump-shaped lines: address, the raw parcels as objdump
 * groups them (`1141`, `00000517`, `001f 0000 0000`), the instruction text, and the label of any
 * symbol that starts there. One `AddressTracker` runs through the stretch, so `auipc`+`addi` pairs
 * get objdump's `# address <symbol>` note.
 */
import { createDisassembler, encodedLength, type DisasmOptions } from "./disasm_decode";
import { AddressTracker } from "./disasm_operands";

export interface DisasmLine {
  readonly address: bigint;
  /** Bytes the line covers (2 for an unreadable parcel). */
  readonly length: number;
  /** The raw column: little-endian parcels of 2 bytes (4 when the length is a multiple of 4). */
  readonly bytes: string;
  readonly text: string;
  readonly target?: bigint;
  /** Name of a symbol starting at this address. */
  readonly label?: string;
  /** The memory could not be read: `bytes` is `????` and `text` is empty. */
  readonly unreadable?: true;
}

export interface RangeOptions extends Omit<DisasmOptions, "tracker"> {
  /** Name of the symbol starting exactly at an address (see `createSymbolizer`). */
  readonly labelAt?: (addr: bigint) => string | undefined;
  /** Value of `__global_pointer$`, for objdump's gp-relative notes. */
  readonly gp?: bigint;
  /** Stop after this many lines even before `end`. */
  readonly maxLines?: number;
}

/** `read` returns the byte at an address, or undefined where nothing is mapped. */
export type ByteReader = (addr: bigint) => number | undefined;

/** Disassembles from `start` up to (not including) `end`. Never throws. */
export function formatRange(read: ByteReader, start: bigint, end: bigint, opts: RangeOptions = {}): DisasmLine[] {
  const decode = createDisassembler({ ...opts, tracker: new AddressTracker(opts.gp) });
  const lines: DisasmLine[] = [];
  const max = opts.maxLines ?? Infinity;
  for (let pc = start; pc < end && lines.length < max; ) {
    const label = opts.labelAt?.(pc);
    const b0 = read(pc);
    const b1 = read(pc + 1n);
    if (b0 === undefined || b1 === undefined) {
      lines.push(unreadable(pc, label));
      pc += 2n;
      continue;
    }
    const length = encodedLength(b0 | (b1 << 8));
    const bytes: number[] = [b0, b1];
    for (let k = 2; k < length; k++) {
      const b = read(pc + BigInt(k));
      if (b === undefined) break;
      bytes.push(b);
    }
    if (bytes.length < length) {
      lines.push(unreadable(pc, label));
      pc += 2n;
      continue;
    }
    let bits = 0n;
    for (let k = length - 1; k >= 0; k--) bits = (bits << 8n) | BigInt(bytes[k]);
    const d = decode(length <= 4 ? Number(bits) : bits, pc);
    lines.push({
      address: pc,
      length,
      bytes: rawColumn(bytes),
      text: d.text,
      ...(d.target !== undefined ? { target: d.target } : {}),
      ...(label ? { label } : {}),
    });
    pc += BigInt(length);
  }
  return lines;
}

function unreadable(address: bigint, label: string | undefined): DisasmLine {
  return { address, length: 2, bytes: "????", text: "", unreadable: true, ...(label ? { label } : {}) };
}

function rawColumn(bytes: readonly number[]): string {
  const chunk = bytes.length % 4 === 0 ? 4 : 2;
  const parts: string[] = [];
  for (let k = 0; k < bytes.length; k += chunk) {
    let s = "";
    for (let j = chunk - 1; j >= 0; j--) s += bytes[k + j].toString(16).padStart(2, "0");
    parts.push(s);
  }
  return parts.join(" ");
}

/**
 * How many leading characters of a 16-digit address objdump drops for a section ending at `end`:
 * leading zeros in steps of four, always keeping one.
 */
export function addressSkip(end: bigint): number {
  const digits = end.toString(16).padStart(16, "0");
  let zeros = 0;
  while (zeros < 16 && digits[zeros] === "0") zeros++;
  if (zeros === 16 && end !== 0n) return 0;
  return zeros === 0 ? 0 : (zeros - 1) & ~3;
}

const BYTES_PER_LINE = 8;

/**
 * The text objdump prints for a line (without the label): `    80000000:\t1141                \tadd\tsp,sp,-16`.
 * `skip` comes from `addressSkip(end of section)`. Encodings longer than 8 bytes continue their raw
 * column on further lines, joined here with "\n".
 */
export function renderObjdumpLine(line: DisasmLine, skip: number): string {
  const chunkBytes = line.length % 4 === 0 ? 4 : 2;
  const perLine = BYTES_PER_LINE / chunkBytes;
  const chunks = line.bytes.split(" ");
  let raw = chunks.slice(0, perLine).map((p) => p + " ").join("");
  for (let pad = line.length; pad < BYTES_PER_LINE; pad += chunkBytes) raw += "  ".repeat(chunkBytes) + " ";
  const out = [`${objdumpAddress(line.address, skip)}:\t${raw}\t${line.text}`];
  for (let k = perLine; k < chunks.length; k += perLine) {
    const more = chunks.slice(k, k + perLine).map((p) => p + " ").join("");
    out.push(`${objdumpAddress(line.address + BigInt(k * chunkBytes), skip)}:\t${more}`);
  }
  return out.join("\n");
}

function objdumpAddress(address: bigint, skip: number): string {
  return address.toString(16).padStart(16, "0").slice(skip).replace(/^0+(?=.)/, (z) => " ".repeat(z.length));
}
