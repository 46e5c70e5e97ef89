import type { AccessWidth, DeviceState, IrqLine, MmioDevice, Width } from "../../device";
import { CONTEXT, CONTEXT_STRIDE, ENABLE, ENABLE_STRIDE, PENDING, plicRegisterName } from "./registers";
import { plicView } from "./view";

/**
 * The platform-level interrupt controller of QEMU's `virt` board (SiFive PLIC layout), with two
 * contexts per hart numbered as QEMU's virt numbers them: context 2n is hart n's M-mode (drives its
 * MEIP), context 2n+1 its S-mode (SEIP).
 * Priorities are 0 (never interrupts) to 7; pending bits are read-only; the register map is in
 * registers.ts.
 *
 * Requests follow QEMU 7.2's sifive_plic, not the PLIC specification's level gateway: every time a
 * device raises its line (IrqLine.set(true), even while it is already high) the source becomes
 * pending, and lowering the line withdraws the request. A claim clears the pending bit; a source
 * raised again while claimed is pending but not claimable until it is completed; completing a
 * source whose line stayed high does not make it pending again. Devices therefore raise their line
 * at each new event, as QEMU's do. This is what lets xv6, which never reads the UART's IIR, run
 * with the THR-empty interrupt left asserted: on a level gateway that interrupt would fire forever.
 * Registers are 32 bits wide and answer only 32-bit accesses
 * (QEMU's valid sizes): other widths are access faults.
 */
export const PLIC_BASE = 0x0c00_0000;
/** The region the virt board's device tree gives the PLIC. */
export const PLIC_SIZE = 0x60_0000;
/** Sources 1..95 exist on virt (source 0 means "none"). */
export const PLIC_SOURCES = 96;
const PRIORITY_MASK = 7;
const WORDS = PLIC_SOURCES / 32;

export interface PlicContextState {
  /** The hart, and "M" or "S": the privilege mode of it that this context interrupts. */
  hart: number;
  mode: "M" | "S";
  threshold: number;
  enabled: number[];
  /** The source a claim would return now (0 = none). */
  best: number;
  /** Whether this context's interrupt line into the hart is asserted. */
  asserted: boolean;
}

export interface PlicState {
  priorities: { source: number; priority: number }[];
  /** Source lines currently high. */
  levels: number[];
  pending: number[];
  claimed: number[];
  contexts: PlicContextState[];
}

export class Plic implements MmioDevice {
  readonly name = "plic";
  readonly base = PLIC_BASE;
  readonly size = PLIC_SIZE;

  private readonly priority = new Uint32Array(PLIC_SOURCES);
  private readonly level = new Uint32Array(WORDS);
  private readonly pending = new Uint32Array(WORDS);
  private readonly claimed = new Uint32Array(WORDS);
  private readonly enable: Uint32Array;
  private readonly threshold: Uint32Array;
  private readonly asserted: boolean[];
  private readonly sources = new Map<number, IrqLine>();
  /** Two per hart: M and S. */
  readonly contexts: number;

  /** `outputs[ctx]` is the hart line of context ctx: [hart 0 MEIP, hart 0 SEIP, hart 1 MEIP, …]. */
  constructor(private readonly outputs: readonly IrqLine[]) {
    this.contexts = outputs.length;
    this.enable = new Uint32Array(WORDS * this.contexts);
    this.threshold = new Uint32Array(this.contexts);
    this.asserted = new Array<boolean>(this.contexts).fill(false);
  }

  /** The interrupt line of source `n` (1..95), for a device to drive. */
  source(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 1 || n >= PLIC_SOURCES) throw new RangeError(`PLIC source ${n} does not exist (1..${PLIC_SOURCES - 1})`);
    let line = this.sources.get(n);
    if (!line) {
      line = { set: (high) => this.setLevel(n, high) };
      this.sources.set(n, line);
    }
    return line;
  }

  accepts(_offset: number, width: AccessWidth): boolean {
    return width === 4;
  }

  read(offset: number, _width: Width): number {
    if (offset % 4 !== 0) return 0;
    if (offset < PENDING) {
      const src = offset >> 2;
      return src < PLIC_SOURCES ? this.priority[src] : 0;
    }
    if (offset < ENABLE) {
      const word = (offset - PENDING) >> 2;
      return word < WORDS ? this.pending[word] >>> 0 : 0;
    }
    if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE) % ENABLE_STRIDE) >> 2;
      return ctx < this.contexts && word < WORDS ? this.enable[ctx * WORDS + word] >>> 0 : 0;
    }
    const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
    const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
    if (ctx >= this.contexts) return 0;
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.claim(ctx);
    return 0;
  }

  write(offset: number, _width: Width, value: number): void {
    if (offset % 4 !== 0) return;
    if (offset < PENDING) {
      const src = offset >> 2;
      if (src > 0 && src < PLIC_SOURCES) this.priority[src] = value & PRIORITY_MASK;
    } else if (offset < ENABLE) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE) % ENABLE_STRIDE) >> 2;
      if (ctx >= this.contexts || word >= WORDS) return;
      // Source 0 does not exist, so its enable bit is hardwired to zero.
      this.enable[ctx * WORDS + word] = word === 0 ? value & ~1 : value;
    } else {
      const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
      const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
      if (ctx >= this.contexts) return;
      if (reg === 0) this.threshold[ctx] = value & PRIORITY_MASK;
      else if (reg === 4) this.complete(ctx, value);
      else return;
    }
    this.update();
  }

  registerName(offset: number, write: boolean): string {
    return plicRegisterName(offset, write);
  }

  view(): DeviceState {
    return plicView(this.state(), this.base);
  }

  state(): PlicState {
    const bits = (words: Uint32Array, from = 0) => {
      const out: number[] = [];
      for (let s = 1; s < PLIC_SOURCES; s++) if (testBit(words, s, from)) out.push(s);
      return out;
    };
    const priorities = [];
    for (let s = 1; s < PLIC_SOURCES; s++) if (this.priority[s] !== 0) priorities.push({ source: s, priority: this.priority[s] });
    return {
      priorities,
      levels: bits(this.level),
      pending: bits(this.pending),
      claimed: bits(this.claimed),
      contexts: Array.from({ length: this.contexts }, (_, ctx) => ({
        hart: ctx >> 1,
        mode: (ctx & 1) === 0 ? "M" : "S",
        threshold: this.threshold[ctx],
        enabled: bits(this.enable, ctx * WORDS),
        best: this.best(ctx),
        asserted: this.asserted[ctx],
      })),
    };
  }

  private setLevel(src: number, high: boolean): void {
    setBit(this.level, src, high);
    setBit(this.pending, src, high);
    this.update();
  }

  /** The highest-priority pending, unclaimed, enabled source above the context's threshold; ties go to the lower id. */
  private best(ctx: number): number {
    let best = 0;
    let bestPriority = this.threshold[ctx];
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending[w] & ~this.claimed[w] & this.enable[ctx * WORDS + w];
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const src = w * 32 + b;
        if (this.priority[src] > bestPriority) {
          best = src;
          bestPriority = this.priority[src];
        }
      }
    }
    return best;
  }

  private claim(ctx: number): number {
    const src = this.best(ctx);
    if (src !== 0) {
      setBit(this.pending, src, false);
      setBit(this.claimed, src, true);
      this.update();
    }
    return src;
  }

  private complete(ctx: number, src: number): void {
    // Completing a source that is not enabled for this context is ignored, as the spec says.
    if (src <= 0 || src >= PLIC_SOURCES || !testBit(this.enable, src, ctx * WORDS) || !testBit(this.claimed, src)) return;
    setBit(this.claimed, src, false);
  }

  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0;
      if (level !== this.asserted[ctx]) {
        this.asserted[ctx] = level;
        this.outputs[ctx].set(level);
      }
    }
  }
}

function testBit(words: Uint32Array, n: number, from = 0): boolean {
  return (words[from + (n >> 5)] & (1 << (n & 31))) !== 0;
}

function setBit(words: Uint32Array, n: number, on: boolean): void {
  if (on) words[n >> 5] |= 1 << (n & 31);
  else words[n >> 5] &= ~(1 << (n & 31));
}
