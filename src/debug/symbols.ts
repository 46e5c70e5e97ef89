import type { TargetSymbol } from "../target/target";

/**
 * The program's symbols, sorted for nearest-symbol lookups. ELF mapping symbols (`$x`, `$d`,
 * `$xrv64i2p1…`) mark code and data runs for disassemblers; they name nothing a user wrote, so
 * they are left out.
 */
export class SymbolTable {
  private readonly sorted: TargetSymbol[];
  private readonly byName = new Map<string, TargetSymbol>();

  constructor(symbols: readonly TargetSymbol[]) {
    this.sorted = symbols
      .filter((s) => s.name !== "" && !s.name.startsWith("$") && !s.name.startsWith(".L"))
      .slice()
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : Number(b.isFunction) - Number(a.isFunction)));
    for (const s of this.sorted) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  get all(): readonly TargetSymbol[] {
    return this.sorted;
  }

  lookup(name: string): TargetSymbol | undefined {
    return this.byName.get(name);
  }

  /** The symbol at or below `addr` (a function wins over a plain label at the same address). */
  at(addr: bigint): TargetSymbol | undefined {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].address <= addr) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const value = this.sorted[lo - 1].address;
    let first = lo - 1;
    while (first > 0 && this.sorted[first - 1].address === value) first--;
    return this.sorted[first];
  }

  /** The symbol that starts exactly at `addr`, if any. */
  startingAt(addr: bigint): TargetSymbol | undefined {
    const s = this.at(addr);
    return s && s.address === addr ? s : undefined;
  }

  /**
   * `name` or `name+0x10`, or undefined when no symbol lies at or below the address. `within`, when
   * given, is the address whose symbol names it (a return address belongs to the call before it).
   */
  describe(addr: bigint, within = addr): string | undefined {
    const s = this.at(within);
    if (!s) return undefined;
    return addr === s.address ? s.name : `${s.name}+0x${(addr - s.address).toString(16)}`;
  }
}
