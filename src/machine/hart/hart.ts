/**
 * One RV64IMAC hart (Zicsr, Zifencei; M/S/U privilege per privileged spec 1.12; Sv39; PMP).
 *
 * ## Representation of 64-bit values
 * Registers are int32 lo/hi pairs in one Int32Array: x[2i] = low word, x[2i+1] = high word, and a
 * scratch pair 32 that absorbs writes to x0. PERFORMANCE-NOTES.md measured the alternatives on this
 * kind of machine: BigInt registers 58 MIPS, pairs 77, pairs + decoded cache 87, and BigInt
 * allocates on every operation (~1,500 minor GCs per 50 M instructions). Pairs allocate nothing.
 * CSRs, which only the slow path touches, are bigints.
 *
 * The pc is a JS number holding the signed 64-bit value. Every address this hart can fetch from lies
 * within ±2^38 (Sv39) or below 2^53 (physical), where doubles are exact; a jump to anything else is
 * kept exactly in `wildPc` until the fetch fault that it must cause reports it.
 *
 * ## Speed (measured 2026-11-21, node 20, `npx esbuild --bundle --platform=node --format=esm`)
 * gcc -O2 rv64imac guests, bare M-mode, timed in-process around Board.run:
 *   bitwise CRC32 over 4 KiB × 200 (56.6 M instructions): 78–84 MIPS idle, 70–76 with the other
 *   core busy; 24×24 int64 matrix multiply (101 M instructions): about 68 MIPS idle.
 * `exec.ts` runs instructions from a decoded-instruction cache (one block per physical code page,
 * dropped when the page is written), through a software TLB of RAM pages per access kind, with no
 * allocation per instruction. Everything rare (CSRs, traps, atomics, MMIO, page walks, PMP) is out
 * of line. The cache is keyed by physical page and filled lazily, which is where translating hot
 * blocks into JS functions can plug in later.
 *
 * The files beside this one each do one job: decode, exec (hot loop), system (slow instructions),
 * csr, trap, mmu (Sv39 walk), tlb, pmp, mem (slow memory path and software TLB fill), counters.
 */
import type { Bus } from "../bus";
import { Counter } from "./counters";
import { csrRead, csrWrite } from "./csr";
import { flushFast, FAST_SIZE } from "./mem";
import { type MmuAccess, translateForDebugger, type Translation } from "./mmu";
import { Pmp } from "./pmp";
import type { StopReason } from "./stop";
import { Tlb, type TlbEntry } from "./tlb";
import { enterTrap } from "./trap";

/** A set of breakpoint addresses. Empty, it costs nothing: the board then uses its fast run loop. */
export class BreakpointSet {
  private readonly pcs = new Set<number>();
  add(pc: bigint): void { this.pcs.add(Number(BigInt.asIntN(64, pc))); }
  delete(pc: bigint): boolean { return this.pcs.delete(Number(BigInt.asIntN(64, pc))); }
  has(pc: bigint): boolean { return this.pcs.has(Number(BigInt.asIntN(64, pc))); }
  clear(): void { this.pcs.clear(); }
  get size(): number { return this.pcs.size; }
  /** Internal: membership of a pc in the hart's number form. */
  hasNum(pc: number): boolean { return this.pcs.has(pc); }
}

/** A physical memory watch. `onHit` returns true to stop the run after the accessing instruction. */
export interface Watch {
  pa: number;
  len: number;
  read: boolean;
  write: boolean;
  onHit: (pa: number, value: bigint, width: number, write: boolean) => boolean;
}

/** Time as the CLINT keeps it; the board connects it. */
export interface TimeSource {
  mtime(): bigint;
}

export class Hart {
  // ---- architectural state (internal modules use these fields directly) ----
  readonly x = new Int32Array(66);
  pcNum = 0;
  wildPc: bigint | undefined = undefined;
  prv = 3;
  /** mstatus bits 22:0 (SIE … TSR); UXL/SXL are the constant 2 and FS/VS/XS/SD are 0. */
  mstatus = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  /** mip bits software may write (SSIP, STIP, SEIP). */
  mipSw = 0;
  /** mip bits driven by devices (MSIP, MTIP, MEIP, and the external SEIP line). */
  mipHw = 0;
  mtvec = 0n; stvec = 0n; mepc = 0n; sepc = 0n; mcause = 0n; scause = 0n; mtval = 0n; stval = 0n;
  mscratch = 0n; sscratch = 0n; mcounteren = 0n; scounteren = 0n; menvcfg = 0n; senvcfg = 0n;
  mcountinhibit = 0n;
  satp = 0n;
  /** Decoded satp: 8 when Sv39 is on, else 0; the ASID; the root table's physical address. */
  satpMode = 0; satpAsid = 0; satpRoot = 0;
  readonly cycle = new Counter();
  readonly instretCounter = new Counter();
  /** Instructions retired since reset: minstret, mcycle and mtime derive from it. */
  retired = 0;
  /** LR reservation: virtual address (NaN when none) and the value LR loaded, as QEMU compares it. */
  resAddr = NaN; resLo = 0; resHi = 0; resSize = 0;
  /** Waiting in WFI for an interrupt. */
  waiting = false;

  readonly pmp = new Pmp();
  readonly tlb = new Tlb();

  // ---- software TLB of RAM pages (see mem.ts): tag = virtual page, add = RAM index − address ----
  readonly tagR = new Float64Array(FAST_SIZE).fill(NaN);
  readonly tagW = new Float64Array(FAST_SIZE).fill(NaN);
  readonly tagX = new Float64Array(FAST_SIZE).fill(NaN);
  readonly addR = new Float64Array(FAST_SIZE);
  readonly addW = new Float64Array(FAST_SIZE);
  readonly addX = new Float64Array(FAST_SIZE);

  // ---- decoded-instruction cache: one block per physical RAM page holding executed code ----
  readonly codeBlocks: (Int32Array | undefined)[];
  /** Virtual base of the code page being executed (NaN: none) and its block. */
  cpBase = NaN;
  cpBlk: Int32Array;
  /** RAM index of the current code page, and the offset of the pc that entered it. */
  cpRam = 0; cpOff = 0;
  /** The exact address of a load/store/fetch beyond ±2^52 (it faults; this is its tval). */
  wildAddr = 0n;
  /** Scratch outputs of out-of-line helpers (no allocation): decoded word/immediate, loaded value. */
  fw = 0; fimm = 0; vlo = 0; vhi = 0;

  // ---- run control ----
  /** Set by anything that needs the run loop to return to the board at the next boundary. */
  yieldReq = false;
  /** Trap entries during the current slice (they use budget but retire nothing). */
  sliceTraps = 0;
  /** A hook asked to stop (trap hook, watchpoint); the board reports it. */
  pendingStop: StopReason | undefined = undefined;

  // ---- hooks (all free when unused) ----
  readonly breakpoints = new BreakpointSet();
  onTrap: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined = undefined;
  /** False: interrupts are taken only through takeTrap (the QEMU oracle follows QEMU's timing). */
  autoInterrupts = true;
  readonly watches: Watch[] = [];
  /** RAM page numbers (relative to RAM base) with a read or write watch. */
  readonly watchPages = new Set<number>();

  time: TimeSource = { mtime: () => 0n };

  constructor(readonly bus: Bus) {
    this.codeBlocks = new Array<Int32Array | undefined>(Math.ceil(bus.ram.size / 4096));
    this.cpBlk = new Int32Array(4096);
    // A software-TLB slot is indexed by the low bits of the page number, like the TLB set.
    this.tlb.onEvict = (vpn) => {
      const slot = vpn & (FAST_SIZE - 1);
      this.tagR[slot] = NaN;
      this.tagW[slot] = NaN;
      this.tagX[slot] = NaN;
    };
    this.pmp.onChange = () => flushFast(this);
  }

  /** Back to the reset state: M-mode, all CSRs at reset values, pc = entry, a0 = hartid (0). */
  reset(entry: bigint): void {
    this.x.fill(0);
    this.prv = 3;
    this.mstatus = 0; this.medeleg = 0; this.mideleg = 0; this.mie = 0; this.mipSw = 0;
    this.mtvec = 0n; this.stvec = 0n; this.mepc = 0n; this.sepc = 0n; this.mcause = 0n; this.scause = 0n;
    this.mtval = 0n; this.stval = 0n; this.mscratch = 0n; this.sscratch = 0n; this.mcounteren = 0n;
    this.scounteren = 0n; this.menvcfg = 0n; this.senvcfg = 0n; this.mcountinhibit = 0n;
    this.satp = 0n; this.satpMode = 0; this.satpAsid = 0; this.satpRoot = 0;
    this.pmp.writeCfg(0, 0n); this.pmp.writeCfg(2, 0n);
    for (let i = 0; i < 16; i++) this.pmp.writeAddr(i, 0n);
    this.retired = 0;
    this.cycle.inhibit(0, false); this.cycle.write(0, 0n);
    this.instretCounter.inhibit(0, false); this.instretCounter.write(0, 0n);
    this.resAddr = NaN;
    this.waiting = false;
    this.tlb.flush(-1, -1);
    this.codeBlocks.fill(undefined);
    flushFast(this);
    this.pc = entry;
  }

  // ---- public surface for the debugger, CLI and oracle (slow path; bigints are fine) ----

  get pc(): bigint {
    return this.wildPc ?? BigInt.asUintN(64, BigInt(this.pcNum));
  }
  set pc(v: bigint) {
    const s = BigInt.asIntN(64, v);
    if (s >= -(1n << 52n) && s < 1n << 52n) {
      this.pcNum = Number(s);
      this.wildPc = undefined;
    } else {
      this.pcNum = NaN;
      this.wildPc = BigInt.asUintN(64, v);
    }
  }

  /** Current privilege: 0 = U, 1 = S, 3 = M. */
  get priv(): number {
    return this.prv;
  }
  set priv(p: number) {
    this.prv = p;
    flushFast(this);
  }

  getReg(i: number): bigint {
    if (i === 0) return 0n;
    return BigInt.asUintN(64, (BigInt(this.x[2 * i + 1]) << 32n) | BigInt(this.x[2 * i] >>> 0));
  }

  setReg(i: number, v: bigint): void {
    if (i === 0) return;
    this.x[2 * i] = Number(BigInt.asIntN(32, v));
    this.x[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }

  /** The CSR's value without side effects; undefined when this hart does not implement it. */
  readCsr(num: number): bigint | undefined {
    return csrRead(this, num);
  }

  /** Writes a CSR as an M-mode csrw would (WARL rules apply); false when not implemented or read-only. */
  writeCsr(num: number, v: bigint): boolean {
    if (((num >> 10) & 3) === 3 || csrRead(this, num) === undefined) return false;
    csrWrite(this, num, BigInt.asUintN(64, v));
    return true;
  }

  /** A page walk for the debugger: no A/D updates, no TLB fill, no trap. */
  translate(va: bigint, access: MmuAccess): Translation {
    return translateForDebugger(this, va, access);
  }

  tlbEntries(): TlbEntry[] {
    return this.tlb.entries();
  }

  /** Forces a trap now (cause with bit 63 for interrupts), as the oracle does to follow QEMU. */
  takeTrap(cause: bigint, tval: bigint): void {
    this.waiting = false;
    enterTrap(this, BigInt.asUintN(64, cause), BigInt.asUintN(64, tval));
  }

  /** Adds a physical memory watch; returns the function that removes it. */
  addWatch(w: Watch): () => void {
    this.watches.push(w);
    this.rebuildWatchPages();
    return () => {
      const i = this.watches.indexOf(w);
      if (i >= 0) this.watches.splice(i, 1);
      this.rebuildWatchPages();
    };
  }

  private rebuildWatchPages(): void {
    this.watchPages.clear();
    const base = this.bus.ram.base;
    for (const w of this.watches) {
      for (let p = Math.floor((w.pa - base) / 4096); p <= Math.floor((w.pa + w.len - 1 - base) / 4096); p++) this.watchPages.add(p);
    }
    flushFast(this);
  }
}
