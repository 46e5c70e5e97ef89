/**
 * Symbolic addresses the way objdump chooses them: the nearest symbol at or below the address
 * (`<main+0x10>`), or, below every symbol, the lowest one with a negative offset (`<_start-0x8>`).
 * Among symbols with the same value objdump prefers functions and objects, then globals over
 * locals, then the first name in byte order; a symbol in the section being shown beats the rest.
 */

export interface DisasmSymbol {
  readonly name: string;
  readonly address: bigint;
  readonly global?: boolean;
  /** ELF STT_FUNC or STT_OBJECT. */
  readonly typed?: boolean;
  /** The section the symbol belongs to (absent for absolute symbols). */
  readonly section?: string;
}

export interface Symbolizer {
  /** `sym`, `sym+0x10` or `sym-0x8`: the text objdump puts between `<` and `>`. */
  symbolize(addr: bigint): string | undefined;
  /** The label objdump prints above the instruction at `addr` (`0000000080000000 <_start>:`). */
  labelAt(addr: bigint): string | undefined;
}

const MASK64 = (1n << 64n) - 1n;

function rank(a: DisasmSymbol, b: DisasmSymbol): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (!!a.typed !== !!b.typed) return a.typed ? -1 : 1;
  if (!!a.global !== !!b.global) return a.global ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `section`: the section being disassembled, whose symbols win ties. */
export function createSymbolizer(symbols: readonly DisasmSymbol[], section?: string): Symbolizer {
  const sorted = symbols.filter((s) => s.name !== "").slice().sort(rank);
  const labels = new Map<bigint, string>();
  for (const s of sorted) if ((section === undefined || s.section === section) && !labels.has(s.address)) labels.set(s.address, s.name);

  const find = (addr: bigint): DisasmSymbol | undefined => {
    if (sorted.length === 0) return undefined;
    let lo = 0;
    let hi = sorted.length; // first index with address > addr
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].address <= addr) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return sorted[0];
    const value = sorted[lo - 1].address;
    let first = lo - 1;
    while (first > 0 && sorted[first - 1].address === value) first--;
    for (let k = first; k < lo; k++) if (section !== undefined && sorted[k].section === section) return sorted[k];
    return sorted[first];
  };

  return {
    symbolize(addr: bigint): string | undefined {
      const s = find(addr);
      if (!s) return undefined;
      if (addr === s.address) return s.name;
      return addr > s.address
        ? `${s.name}+0x${((addr - s.address) & MASK64).toString(16)}`
        : `${s.name}-0x${((s.address - addr) & MASK64).toString(16)}`;
    },
    labelAt: (addr: bigint) => labels.get(addr),
  };
}
