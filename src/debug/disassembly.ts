import { formatRange, type DisasmLine } from "../asm/disasm";
import type { AddressSpace, Target } from "../target/target";
import type { LineMap } from "./line_table";
import type { SymbolTable } from "./symbols";

const PAGE = 4096n;
/** The longest instruction Hyperstep's ISA has; backwards searches assume it to be safe. */
const MAX_INSN = 4n;

/**
 * Disassembly of guest memory for the `disassemble` request, `disas` and the exception details:
 * objdump's text, with symbols and source lines. Instruction boundaries before an address are
 * found by decoding forwards from a known boundary (a symbol or line start) or far enough back,
 * since RISC-V's 2- and 4-byte instructions cannot be decoded backwards.
 */
export class Disassembler {
  constructor(
    private readonly target: Target,
    private readonly symbols: SymbolTable,
    private readonly lines: LineMap,
  ) {}

  /** `count` instructions from `start` onwards. */
  forward(start: bigint, count: number, space: AddressSpace = "va"): DisasmLine[] {
    if (count <= 0) return [];
    return formatRange(this.reader(space), start, start + BigInt(count) * MAX_INSN + MAX_INSN, this.options(count));
  }

  /** The `count` instructions that end exactly at `end` (fewer only at address 0). */
  backward(end: bigint, count: number, space: AddressSpace = "va"): DisasmLine[] {
    if (count <= 0) return [];
    const span = BigInt(count) * MAX_INSN;
    const lowest = end > span ? end - span : 0n;
    const known = this.knownBoundary(lowest);
    const read = this.reader(space);
    for (const from of known !== undefined ? [known, lowest, lowest + 2n] : [lowest, lowest + 2n]) {
      const lines = formatRange(read, from, end, this.options(Number((end - from) / 2n) + 1));
      const last = lines.at(-1);
      if (!last || last.address + BigInt(last.length) === end) return lines.slice(-count);
    }
    return formatRange(read, lowest, end, this.options(count * 2)).filter((l) => l.address + BigInt(l.length) <= end).slice(-count);
  }

  /**
   * The DAP request's window: `count` instructions starting `offset` instructions from `base`
   * (negative: before it).
   */
  window(base: bigint, offset: number, count: number, space: AddressSpace = "va"): DisasmLine[] {
    const out: DisasmLine[] = [];
    if (offset < 0) {
      const before = this.backward(base, -offset, space);
      out.push(...before.slice(0, count));
      if (out.length < count) out.push(...this.forward(base, count - out.length, space));
      return out;
    }
    const skipped = offset > 0 ? this.forward(base, offset, space) : [];
    const last = skipped.at(-1);
    const from = last ? last.address + BigInt(last.length) : base;
    return this.forward(from, count, space);
  }

  /** One instruction's text at `addr`, or undefined when unreadable. */
  textAt(addr: bigint, space: AddressSpace = "va"): string | undefined {
    const [line] = this.forward(addr, 1, space);
    return line && !line.unreadable ? line.text.replace(/\t/g, " ") : undefined;
  }

  private options(maxLines: number) {
    return {
      maxLines,
      symbolize: (a: bigint) => this.symbols.describe(a),
      labelAt: (a: bigint) => this.symbols.startingAt(a)?.name,
      gp: this.symbols.lookup("__global_pointer$")?.address,
    };
  }

  /** The nearest symbol or line start at or below `low` (within a page), so decoding starts on a real boundary. */
  private knownBoundary(low: bigint): bigint | undefined {
    const candidates = [this.symbols.at(low)?.address, this.lines.startAtOrBelow(low)].filter((a): a is bigint => a !== undefined && a >= low - PAGE);
    return candidates.length ? candidates.reduce((a, b) => (a > b ? a : b)) : undefined;
  }

  private reader(space: AddressSpace): (addr: bigint) => number | undefined {
    const pages = new Map<bigint, Uint8Array | null>();
    return (addr) => {
      if (addr < 0n) return undefined;
      const base = addr - (addr % PAGE);
      let page = pages.get(base);
      if (page === undefined) {
        page = this.target.readMemory(space, base, Number(PAGE));
        pages.set(base, page);
      }
      return page ? page[Number(addr - base)] : undefined;
    };
  }
}
