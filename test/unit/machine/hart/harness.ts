import assert from "node:assert/strict";
import { Board, type BoardOptions, type StopReason } from "../../../../src/machine/board";
import { ins, type Item, program, RAM } from "./encode";

/** A board with `items` at 0x8000_0000 and optional data segments, reset to the entry. */
export function boot(items: Item[], opts: BoardOptions = {}, extra: { paddr: number; data: Uint8Array }[] = []): Board {
  const b = new Board(opts);
  b.load(program(items, RAM, extra));
  return b;
}

/** Runs until the guest executes ebreak (cause 3), which it uses to say "done". */
export function runToEbreak(b: Board, max = 1_000_000): StopReason {
  b.hart.onTrap = (cause) => cause === 3n;
  const r = b.run(max);
  assert.equal(r.kind, "trap", `expected ebreak, got ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v))}`);
  assert.equal((r as { cause: bigint }).cause, 3n);
  return r;
}

/** Runs until the next trap of any kind and returns it. */
export function runToTrap(b: Board, max = 1_000_000): { cause: bigint; tval: bigint; pc: bigint } {
  b.hart.onTrap = () => true;
  const r = b.run(max);
  assert.equal(r.kind, "trap", `expected a trap, got ${r.kind}`);
  return r as { kind: "trap"; cause: bigint; tval: bigint; pc: bigint };
}

export const csrr = (rd: number, csr: number): number => ins("csrrs", rd, csr, 0);
export const csrw = (csr: number, rs: number): number => ins("csrrw", 0, csr, rs);
export const EBREAK = ins("ebreak");
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Gives S and U access to all memory, as firmware does (pmpaddr0 = all ones, NAPOT, RWX). */
export function openPmp(b: Board): void {
  b.hart.writeCsr(0x3b0, (1n << 54n) - 1n);
  b.hart.writeCsr(0x3a0, 0x1fn);
}

/**
 * A board with the H extension whose program starts in mode (prv, virt), PMP open; `setup` runs
 * first (in M-mode: set CSRs and fields there).
 */
export function bootGuest(code: Item[], prv: number, virt: boolean, setup: (b: Board) => void = () => {}): Board {
  const b = boot(code, { hypervisorExtension: true });
  openPmp(b);
  setup(b);
  b.hart.setMode(prv, virt);
  return b;
}

/** Leaf/pointer PTE flags. */
export const PTE = { V: 1n, R: 2n, W: 4n, X: 8n, U: 16n, G: 32n, A: 64n, D: 128n } as const;

export function pte(pa: number, flags: bigint): bigint {
  return (BigInt(Math.floor(pa / 4096)) << 10n) | flags;
}

/**
 * Builds Sv39 tables in RAM from `root` (tables allocated at root + n·4096, after the root). Options
 * for the H extension: `sv39x4` makes a G-stage table (16 KiB root of 2048 entries); `hostOffset` is
 * added to every table address when the tables live in guest-physical memory (VS stage) at
 * host address GPA + hostOffset, while the PTEs keep guest-physical addresses.
 */
export class PageTables {
  private next: number;
  private readonly rootMask: number;
  private readonly hostOffset: number;
  constructor(private readonly b: Board, readonly root: number, opts: { sv39x4?: boolean; hostOffset?: number } = {}) {
    this.rootMask = opts.sv39x4 ? 2047 : 511;
    this.hostOffset = opts.hostOffset ?? 0;
    this.next = root + (opts.sv39x4 ? 16384 : 4096);
  }
  private read(pa: number): bigint {
    return this.b.ram.view.getBigUint64(pa + this.hostOffset - this.b.ram.base, true);
  }
  write(pa: number, v: bigint): void {
    this.b.ram.view.setBigUint64(pa + this.hostOffset - this.b.ram.base, v, true);
  }
  /** Address of the PTE for `va` at `level`, creating pointer tables above it. */
  slot(va: number, level: number): number {
    let table = this.root;
    for (let l = 2; l > level; l--) {
      const at = table + ((Math.floor(va / 2 ** (12 + 9 * l)) & (l === 2 ? this.rootMask : 511)) * 8);
      let e = this.read(at);
      if ((e & PTE.V) === 0n) {
        e = pte(this.next, PTE.V);
        this.next += 4096;
        this.write(at, e);
      }
      table = Number(e >> 10n) * 4096;
    }
    return table + (Math.floor(va / 2 ** (12 + 9 * level)) & (level === 2 ? this.rootMask : 511)) * 8;
  }
  map(va: number, pa: number, flags: bigint, level = 0): number {
    const at = this.slot(va, level);
    this.write(at, pte(pa, flags | PTE.V));
    return at;
  }
  pteAt(at: number): bigint {
    return this.read(at);
  }
  satp(asid = 0): bigint {
    return (8n << 60n) | (BigInt(asid) << 44n) | BigInt(this.root / 4096);
  }
}
