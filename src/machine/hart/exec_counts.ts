/**
 * Counters of how often the hart executes chosen instructions, by where they sit in RAM: a profiling
 * facility for the software that owns the machine (the binary-translation VMM counts the runs of its
 * translated blocks with it), like a hardware performance monitor's address-match counter. Code on
 * the hart cannot see it: it changes no register, CSR or memory, retires nothing and takes no
 * cycle, so minstret, mcycle and mtime stay what they would be without it.
 *
 * An execution counts when the hart begins the instruction, once its fetch succeeded, whether it
 * then completes or traps. The interpreter (exec.ts) looks slots up only in a page that has a
 * counter; translated code (translate.ts) starts a block at each counted slot and bumps its count
 * once the block's first instruction is done, so a bail before it leaves the count to the
 * interpreter, which counts it there; a change of a page's counted slots drops its translation.
 */
export class ExecCounts {
  /** Per RAM page (RAM index / 4096) that ever had a counter: per halfword slot its count, or −1 where none is kept. */
  private readonly pages = new Map<number, Float64Array>();
  /** Per RAM page: changes whenever its counted slots do, for translated code to notice. */
  private readonly versions = new Map<number, number>();
  /** Internal (run.ts): changes whenever any page's counted slots do, so that the dispatcher compares one number on the hot path. */
  version = 0;
  /** The page `page` last looked up and its slots: the interpreter asks at every entry, mostly for the same page. */
  private lastPage = NaN;
  private lastSlots: Float64Array | undefined;

  /** Starts counting the instruction at RAM index `at` (an even offset into RAM), from 0. */
  arm(at: number): void {
    this.slots(Math.floor(at / 4096))[(at & 4095) >> 1] = 0;
    this.changed(at);
  }

  /** Stops counting at RAM index `at`. */
  disarm(at: number): void {
    const page = this.pages.get(Math.floor(at / 4096));
    if (page === undefined || page[(at & 4095) >> 1] < 0) return;
    page[(at & 4095) >> 1] = -1;
    this.changed(at);
  }

  /** The executions counted at RAM index `at` since it was armed; undefined when none is kept there. */
  count(at: number): number | undefined {
    const n = this.pages.get(Math.floor(at / 4096))?.[(at & 4095) >> 1];
    return n === undefined || n < 0 ? undefined : n;
  }

  /**
   * Takes one execution back at RAM index `at`: the owner handled a trap of that instruction
   * invisibly to the code (a fault it serviced) and lets the hart begin it again, which is no new run.
   */
  takeBack(at: number): void {
    const page = this.pages.get(Math.floor(at / 4096));
    if (page !== undefined && page[(at & 4095) >> 1] > 0) page[(at & 4095) >> 1]--;
  }

  /** Internal (exec.ts, translate.ts): the slots of RAM page `page`, if it ever had a counter. Kept once made, so that translated code can hold on to it. */
  page(page: number): Float64Array | undefined {
    if (page !== this.lastPage) {
      this.lastSlots = this.pages.get(page);
      this.lastPage = page;
    }
    return this.lastSlots;
  }

  /** Internal (run.ts, translate.ts): the version of RAM page `page`'s counted slots. */
  pageVersion(page: number): number {
    return this.versions.get(page) ?? 0;
  }

  private slots(page: number): Float64Array {
    let slots = this.pages.get(page);
    if (!slots) {
      this.pages.set(page, (slots = new Float64Array(2048).fill(-1)));
      if (page === this.lastPage) this.lastSlots = slots;
    }
    return slots;
  }

  private changed(at: number): void {
    const page = Math.floor(at / 4096);
    this.versions.set(page, this.pageVersion(page) + 1);
    this.version++;
  }
}
