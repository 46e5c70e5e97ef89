/**
 * A guest pc → TC word table (binary_translation.ts keeps one per guest context), looked up at every
 * call, return and block end in translated code. By page: a Map keyed by the pc itself hashes a
 * heap number for any kernel address above 2^30 (xv6's are at 2^31), which made the lookup the
 * callout gate's largest cost; a page number is a small integer, and the rest an array index.
 */
export class PcTable {
  /** Per guest page number: per halfword slot, its TC word or −1. */
  private readonly pages = new Map<number, Int32Array>();
  /** The page last looked up and its slots (a kernel's calls and returns stay in a few pages). */
  private lastPage = NaN;
  private lastSlots: Int32Array | undefined;

  /** The TC word of guest `pc` (a signed number, as the hart keeps pcs), or −1. */
  get(pc: number): number {
    const page = Math.floor(pc / 4096);
    if (page !== this.lastPage) {
      this.lastSlots = this.pages.get(page);
      this.lastPage = page;
    }
    const slots = this.lastSlots;
    return slots === undefined ? -1 : slots[(pc & 4095) >> 1];
  }

  set(pc: number, word: number): void {
    const page = Math.floor(pc / 4096);
    let slots = this.pages.get(page);
    if (!slots) {
      this.pages.set(page, (slots = new Int32Array(2048).fill(-1)));
      if (page === this.lastPage) this.lastSlots = slots;
    }
    slots[(pc & 4095) >> 1] = word;
  }

  delete(pc: number): void {
    const slots = this.pages.get(Math.floor(pc / 4096));
    if (slots) slots[(pc & 4095) >> 1] = -1;
  }
}
