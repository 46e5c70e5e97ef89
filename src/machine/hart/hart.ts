/**
 * One RV64IMAFDC hart (F and D unless constructed with `{ f: false }` or `{ d: false }`: fpu/; Zicsr, Zifencei; M/S/U privilege per privileged spec 1.12; Sv39; PMP), with the
 * H extension (hypervisor: V, HS/VS/VU modes, two-stage translation) when constructed with
 * `{ hypervisor: true }`. Without it every H CSR, instruction and mode is absent and nothing on the
 * hot path changes: h_*.ts and the `virt`-aware branches of csr/trap/mmu only run when `hasH`.
 *
 * ## The H extension (csr_h.ts, trap.ts, mmu.ts, system.ts)
 * `virt` is V; `prv` the nominal privilege, so VS = (virt, 1), VU = (virt, 0). Every H and VS CSR is
 * a field a VMM written in TypeScript may read and set (hgatp and vsatp through setters that apply
 * their WARL rules); `setMode(prv, virt)` changes mode and drops the caches that depend on it.
 * Traps follow medeleg/mideleg then hedeleg/hideleg; `onTrap` sees the cause as the target mode
 * wrote it, after the trap: `virt`/`prv` say where it went, and a trap into HS or M has set
 * htval/mtval2 (guest-page faults: GPA >> 2), htinst/mtinst, hstatus.SPV/SPVP/GVA or mstatus.MPV/GVA.
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
 * ## Execution: an interpreter, and translation of hot pages into JavaScript
 * `run.ts` dispatches per 4 KiB code page. Cold code runs in `exec.ts`, an interpreter over a
 * decoded-instruction cache (one block per physical code page) with a software TLB of RAM pages per
 * access kind and no allocation per instruction; everything rare (CSRs, traps, atomics, MMIO, page
 * walks, PMP) is out of line. A page that has run `translator.threshold` instructions (20,000) is
 * translated by `translate.ts` into JavaScript with `new Function`: all of the page's code reachable
 * from where control entered it and from the targets its indirect jumps were seen to take, one function
 * per loop nest (a switch's nest with its cases) and the other blocks in functions of bounded size,
 * registers in JS locals, loops that branch back kept inside the function, numeric literals, an inline software-TLB probe per load/store. Translated code handles the
 * common case only and otherwise stops before the instruction with exact state ("bails") and lets the
 * interpreter do it: TLB misses, MMIO, watched pages, stores to code, CSR access, xRET, fences, WFI,
 * traps, breakpoints, and blocks that do not fit the remaining budget (so timer deadlines stay exact).
 * translate.ts documents the rules; test/unit/machine/hart/translate.test.ts and
 * test/oracle/fastpath.test.ts check translated runs against step() runs and QEMU. `step()` (a run of 1)
 * and runs with `translator.enabled = false` use the interpreter alone.
 *
 * Breakpoints cost nothing in pages without one: the interpreter looks them up only in pages that have
 * some (a per-page slot map), translated code has them compiled in as bails, and a change of the
 * breakpoints of a page drops that page's translation (re-setting the same set, as the debugger does
 * before every slice, keeps it). Execution counters (exec_counts.ts: how often chosen instructions
 * ran, for the machine's owner) work the same way: looked up only in pages that have some, compiled
 * in as a bump at the start of a block, and a change of a page's counters drops its translation.
 *
 * Decoded and translated code is dropped when a write overlaps the decoded bytes of its page (writes
 * to data that shares the page do not drop it; mem.ts), so self-modifying code stays exact; a page
 * whose translation keeps being dropped waits twice as long each time before it is translated again.
 *
 * ## Speed (measured 2026-11-21, node 20, bundled; the machine's 2 cores shared with other jobs)
 * `npm run -s bench` (CRC32 + 96×96 int32 matrix multiply, gcc -O2, 114.9 M instructions, medians of 5;
 * QEMU TCG 7.2 on the same guest ×16), three runs at load average 3.3–3.6: 610, 644 and 668 MIPS
 * against QEMU's 3,262–3,277 (QEMU 4.9–5.4× faster); earlier runs at load 3–9 gave 300–430. The
 * interpreter alone (translator.enabled = false) runs it at 63–77 MIPS. By phase: the CRC loop runs
 * translated at 2,300–3,000 MIPS, the matrix multiply at 290–700 (3 probed loads in 8 instructions);
 * much of the rest is V8 tiering up each new function (V8's own interpreter runs it at 10–30 MIPS
 * until TurboFan has compiled it, 2–50 ms on a loaded machine).
 * Breakpoints: dap_bench.S with 100 breakpoints (on code never run) and 4 data breakpoints (on memory
 * never touched), reset before every slice as the debugger does, in-process, median of 25: 1.03× the
 * time without (it was 10.4×); through the adapter (bench/dap_bench.ts), whose runs now take 35–55 ms,
 * 0.63–1.55× from run to run.
 *
 * With H, V=1 code runs on the same fast path: the software TLB and translated regions are keyed by
 * the current fetch/data translation, which setMode, traps, xRETs and the translation CSRs flush.
 * Measured 2026-11-21 (bench.elf under VS-mode, Sv39 over Sv39x4 with superpages, same process,
 * medians of 5): 678 MIPS against 651 natively in M-mode (0.96×); `npm run -s bench` unchanged
 * (413–503 MIPS against 234–462 for the tree before H, interleaved runs on a loaded machine).
 *
 * The files beside this one each do one job: decode, exec (interpreter), run (dispatcher), translate
 * (JavaScript translation), breakpoints, exec_counts (execution counters), system (slow instructions), csr, csr_h (H and VS CSRs),
 * trap, tinst (htinst/mtinst values), mmu (Sv39 and two-stage walks), tlb, pmp, mem (slow memory
 * path, software TLB fill, code invalidation), counters.
 */
import { CSR } from "../../isa/csrs";
import { joinHalves, splitInto } from "../../isa/u64";
import type { Bus } from "../bus";
import { BreakpointSet } from "./breakpoints";
import { Counter } from "./counters";
import { ExecCounts } from "./exec_counts";
import { csrRead, csrWrite } from "./csr";
import { emptyKeys, FAST_SIZE, FILL_LOG, flushFast, forgetFills } from "./mem";
import { fetchMode, type MmuAccess, translateForDebugger, type Translation, type Walk, walkForDebugger } from "./mmu";
import { Pmp } from "./pmp";
import type { StopReason } from "./stop";
import { Tlb, type TlbEntry } from "./tlb";
import type { Region } from "./translate";
import { enterTrap, mret, sret } from "./trap";
import { writeHgatp, writeVsatp } from "./csr_h";

/** The pc setter's halves (one buffer for every hart: nothing is allocated per write). */
const PC_HALVES = new Int32Array(2);

export { BreakpointSet } from "./breakpoints";

/** Translation of hot code into JavaScript (translate.ts, run.ts): on by default. */
export interface TranslatorOptions {
  enabled: boolean;
  /** Instructions the interpreter runs in a page before the page is translated (0: at first entry). */
  threshold: number;
}

/** What the translator did since reset (for tests and the benchmark). */
export interface TranslatorStats {
  /** Regions compiled, counting rebuilds. */
  compiled: number;
  /** Instructions retired inside translated code. */
  translatedInstructions: number;
}

/** A physical memory watch. `onHit` returns true to stop the run after the accessing instruction. */
export interface Watch {
  pa: number;
  len: number;
  read: boolean;
  write: boolean;
  onHit: (pa: number, value: bigint, width: number, write: boolean) => boolean;
}

/** Construction options: the H extension is opt-in; F and D are on unless turned off (D needs F). */
export interface HartOptions {
  hypervisor?: boolean;
  f?: boolean;
  d?: boolean;
  /** mhartid; default 0. */
  hartId?: number;
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
  /** mstatus bits 22:0 (SIE … TSR, FS with F); UXL/SXL are the constant 2, VS/XS are 0 and SD follows FS. */
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
  /** The physical address of the reservation (valid while resAddr is): other harts' stores there break it. */
  resPa = 0;
  /**
   * The reservation the last trap entry cleared: software that takes the trap as something that is
   * not one (a binary translator's call into its runtime) puts it back.
   */
  resAddrBeforeTrap = NaN;
  /**
   * Whether the last SC held its reservation. An SC that traps loses the reservation with the trap,
   * so a VMM that performs it for the guest (a device, a write-protected page) reads this instead.
   */
  scHeldReservation = false;
  /** Waiting in WFI for an interrupt. */
  waiting = false;

  // ---- F and D (fpu/; inert without them) ----
  readonly hasF: boolean;
  readonly hasD: boolean;
  /** f0–f31 as raw 64-bit patterns (a single is NaN-boxed: its upper 32 bits are ones). */
  readonly f = new BigUint64Array(32);
  /** fcsr's fields: the accrued exception flags (NV DZ OF UF NX) and the dynamic rounding mode. */
  fflags = 0;
  frm = 0;

  // ---- H extension (all inert when !hasH) ----
  readonly hasH: boolean;
  /** The virtualization mode V. Change it (with prv) through setMode. */
  virt = false;
  /** mstatus.MPV and mstatus.GVA (bits 39 and 38), kept apart from the 32-bit `mstatus`. */
  mpv = false;
  gva = false;
  /** hstatus bits 31:0 (GVA SPV SPVP HU VGEIN VTVM VTW VTSR); VSXL is the constant 2, VSBE 0. */
  hstatus = 0;
  hedeleg = 0;
  hideleg = 0;
  /** hvip: VSSIP, VSTIP, VSEIP (bits 2, 6, 10); they are also the VS bits of mip and hip. */
  hvip = 0;
  hcounteren = 0n; htval = 0n; htinst = 0n; mtval2 = 0n; mtinst = 0n; henvcfg = 0n; htimedelta = 0n;
  /** vsstatus bits 31:0 (SIE SPIE SPP SUM MXR); UXL is the constant 2. */
  vsstatus = 0;
  vstvec = 0n; vsscratch = 0n; vsepc = 0n; vscause = 0n; vstval = 0n;
  /** Decoded hgatp (mode 8 = Sv39x4, else 0; VMID; root) and vsatp (like satp). Set through the setters. */
  hgatpMode = 0; hgatpVmid = 0; hgatpRoot = 0;
  vsatpMode = 0; vsatpAsid = 0; vsatpRoot = 0;
  private hgatpValue = 0n;
  private vsatpValue = 0n;
  /** The mode (mmu.ts) of the HLV/HSV being executed, else −1. */
  hlvMode = -1;
  /** Set by a guest-page fault for trap entry: the faulting GPA (−1: none to report) and pseudoinstruction (or 0). */
  faultGpa = -1;
  faultTinst = 0;

  readonly pmp = new Pmp();

  // ---- software TLB of RAM pages (see mem.ts): tag = virtual page, add = RAM index − address ----
  readonly tagR = new Float64Array(FAST_SIZE).fill(NaN);
  readonly tagW = new Float64Array(FAST_SIZE).fill(NaN);
  readonly tagX = new Float64Array(FAST_SIZE).fill(NaN);
  /** The slots filled since the last flush (mem.ts flushFast). */
  readonly fillLog = new Int32Array(FILL_LOG + 1);
  /** tagR and tagW as int32 keys, for translated code (tlb.ts, noKey). */
  readonly keyR = emptyKeys();
  readonly keyW = emptyKeys();
  /** A software-TLB slot is indexed by the low bits of the page number, like the TLB set. */
  readonly tlb = new Tlb([this.tagR, this.tagW, this.tagX], [this.keyR, this.keyW]);
  readonly addR = new Float64Array(FAST_SIZE);
  readonly addW = new Float64Array(FAST_SIZE);
  readonly addX = new Float64Array(FAST_SIZE);
  /** The RAM index where the slot's page starts (= tag · 4096 + add), as an int32 for translated code. */
  readonly pageR = new Int32Array(FAST_SIZE);
  readonly pageW = new Int32Array(FAST_SIZE);

  // ---- decoded-instruction cache: one block per physical RAM page holding executed code ----
  readonly codeBlocks: (Int32Array | undefined)[];
  /** Per RAM page: the range of page offsets decoded so far (lo > hi: none); writes elsewhere keep the code. */
  readonly codeLo: Int16Array;
  readonly codeHi: Int16Array;
  /** Per RAM page: its translated region, instructions interpreted in it, times its region was dropped. */
  readonly regions: (Region | undefined)[];
  readonly heat: Float64Array;
  readonly invalidations: Uint8Array;
  /**
   * Per RAM page not yet translated: the page offsets where control entered it, and where its indirect
   * jumps went (kept from a translation dropped for a change of breakpoints).
   */
  readonly pageSeeds = new Map<number, { seeds: Set<number>; jumpTargets: Set<number> }>();
  readonly translator: TranslatorOptions = { enabled: true, threshold: 20_000 };
  readonly translatorStats: TranslatorStats = { compiled: 0, translatedInstructions: 0 };
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
  /** Breakpoints stop a run before the instruction at their pc (never before a run's first one). */
  readonly breakpoints = new BreakpointSet();
  /** Executions of chosen instructions, counted for the machine's owner and invisible to the code (exec_counts.ts). */
  readonly execCounts = new ExecCounts();
  /** Set by the board while it executes the one instruction a run starts at, which may be a breakpoint. */
  bpIgnore = false;
  /** The last run stopped in the middle of a block (its budget ran out): the pc is no block entry. */
  midBlock = false;
  onTrap: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined = undefined;
  /**
   * Asked before an `ecall` traps: true when the hook did the work of the instruction the ecall
   * stands for itself (registers, pcNum, retired: a binary-translation VMM's callout, answered
   * without a trap, binary_translation.ts), false to let it trap. Unset, an ecall costs nothing more.
   */
  ecallGate: ((h: Hart) => boolean) | undefined = undefined;
  /** False: interrupts are taken only through takeTrap (the QEMU oracle follows QEMU's timing). */
  autoInterrupts = true;
  readonly watches: Watch[] = [];
  /** RAM page numbers (relative to RAM base) with a read or write watch. */
  readonly watchPages = new Set<number>();

  time: TimeSource = { mtime: () => 0n };

  readonly hartId: number;
  /**
   * Every hart on this hart's bus, itself included (the board sets it): a store by one drops the
   * decoded code of all (mem.ts), since each keeps its own code caches of the shared RAM.
   */
  peers: readonly Hart[] = [this];

  constructor(readonly bus: Bus, opts: HartOptions = {}) {
    this.hartId = opts.hartId ?? 0;
    this.hasH = opts.hypervisor === true;
    this.hasF = opts.f !== false;
    this.hasD = this.hasF && opts.d !== false;
    const pages = Math.ceil(bus.ram.size / 4096);
    this.codeBlocks = new Array<Int32Array | undefined>(pages);
    this.codeLo = new Int16Array(pages).fill(4096);
    this.codeHi = new Int16Array(pages);
    this.regions = new Array<Region | undefined>(pages);
    this.heat = new Float64Array(pages);
    this.invalidations = new Uint8Array(pages);
    this.cpBlk = new Int32Array(4096);
    this.pmp.onChange = () => flushFast(this);
  }

  /** Back to the reset state: M-mode, all CSRs at reset values, pc = entry, a0 = mhartid. */
  reset(entry: bigint): void {
    this.x.fill(0);
    this.x[20] = this.hartId;
    this.f.fill(0n); this.fflags = 0; this.frm = 0;
    this.prv = 3;
    this.mstatus = 0; this.medeleg = 0; this.mideleg = 0; this.mie = 0; this.mipSw = 0;
    this.mtvec = 0n; this.stvec = 0n; this.mepc = 0n; this.sepc = 0n; this.mcause = 0n; this.scause = 0n;
    this.mtval = 0n; this.stval = 0n; this.mscratch = 0n; this.sscratch = 0n; this.mcounteren = 0n;
    this.scounteren = 0n; this.menvcfg = 0n; this.senvcfg = 0n; this.mcountinhibit = 0n;
    this.satp = 0n; this.satpMode = 0; this.satpAsid = 0; this.satpRoot = 0;
    this.virt = false; this.mpv = false; this.gva = false;
    this.hstatus = 0; this.hedeleg = 0; this.hideleg = 0; this.hvip = 0;
    this.hcounteren = 0n; this.htval = 0n; this.htinst = 0n; this.mtval2 = 0n; this.mtinst = 0n;
    this.henvcfg = 0n; this.htimedelta = 0n;
    this.vsstatus = 0; this.vstvec = 0n; this.vsscratch = 0n; this.vsepc = 0n; this.vscause = 0n; this.vstval = 0n;
    this.hgatp = 0n; this.vsatp = 0n;
    this.hlvMode = -1; this.faultGpa = -1; this.faultTinst = 0;
    this.pmp.writeCfg(0, 0n); this.pmp.writeCfg(2, 0n);
    for (let i = 0; i < 16; i++) this.pmp.writeAddr(i, 0n);
    this.retired = 0;
    this.cycle.inhibit(0, false); this.cycle.set(0, 0n);
    this.instretCounter.inhibit(0, false); this.instretCounter.set(0, 0n);
    this.resAddr = NaN;
    this.waiting = false;
    this.tlb.flush(-1, -1);
    this.dropCaches();
    this.translatorStats.compiled = 0;
    this.translatorStats.translatedInstructions = 0;
    this.pc = entry;
  }

  /**
   * What derives from the architectural state and RAM (decoded and translated code, the software
   * TLB) or belongs to the debugger (breakpoints, watches), as opposed to the state itself.
   */
  derivedObjects(): object[] {
    return [
      this.tagR, this.tagW, this.tagX, this.fillLog, this.keyR, this.keyW, this.addR, this.addW, this.addX, this.codeBlocks, this.codeLo, this.codeHi,
      this.regions, this.heat, this.invalidations, this.pageSeeds, this.translator, this.translatorStats,
      this.breakpoints, this.watches, this.watchPages,
    ];
  }

  /**
   * Forgets decoded and translated code and the software TLB: what derives from RAM and the
   * architectural state, after those were put back to an earlier moment (time travel).
   */
  dropCaches(): void {
    this.codeBlocks.fill(undefined);
    this.codeLo.fill(4096);
    this.codeHi.fill(0);
    this.regions.fill(undefined);
    this.heat.fill(0);
    this.invalidations.fill(0);
    this.pageSeeds.clear();
    this.midBlock = false;
    forgetFills(this);
    flushFast(this);
  }

  // ---- public surface for the debugger, CLI and oracle (slow path; bigints are fine) ----

  get pc(): bigint {
    return this.wildPc ?? joinHalves(this.pcNum | 0, Math.floor(this.pcNum / 4294967296) | 0);
  }
  set pc(v: bigint) {
    this.midBlock = false;
    splitInto(v, PC_HALVES, 0);
    const hi = PC_HALVES[1];
    if (hi >= -(1 << 20) && hi < 1 << 20) {
      this.pcNum = hi * 4294967296 + (PC_HALVES[0] >>> 0);
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

  /**
   * Enters privilege `prv` with virtualization mode `virt` (VS = (1, true), VU = (0, true); M
   * forces virt off), dropping the mode-dependent caches and ending the current slice.
   */
  setMode(prv: number, virt: boolean): void {
    this.prv = prv;
    this.virt = this.hasH && virt && prv !== 3;
    this.resAddr = NaN;
    this.yieldReq = true;
    flushFast(this);
  }

  /** hgatp (WARL: mode Sv39x4 or Bare, 14-bit VMID, 16 KiB-aligned root). No TLB flush, as the spec says. */
  get hgatp(): bigint {
    return this.hgatpValue;
  }
  set hgatp(v: bigint) {
    this.hgatpValue = writeHgatp(this, v);
  }

  /** vsatp (like satp: writes with modes other than Bare and Sv39 are ignored). No TLB flush. */
  get vsatp(): bigint {
    return this.vsatpValue;
  }
  set vsatp(v: bigint) {
    this.vsatpValue = writeVsatp(this, v, this.vsatpValue);
  }

  /** Executes SRET as the hart would (no privilege check): back to the mode in SPP (and SPV, or vsstatus when V=1). */
  sret(): void {
    sret(this);
  }

  /** Executes MRET as the hart would (no privilege check): back to the mode in MPP (and MPV). */
  mret(): void {
    mret(this);
  }

  getReg(i: number): bigint {
    if (i === 0) return 0n;
    return joinHalves(this.x[2 * i], this.x[2 * i + 1]);
  }

  setReg(i: number, v: bigint): void {
    if (i === 0) return;
    splitInto(v, this.x, 2 * i);
  }

  /** The CSR's value without side effects; undefined when this hart does not implement it. */
  readCsr(num: number): bigint | undefined {
    return csrRead(this, num);
  }

  /**
   * Writes a CSR as an M-mode csrw would (WARL rules apply), except that no instruction retires: mcycle
   * and minstret read back the value itself. False when not implemented or read-only.
   */
  writeCsr(num: number, v: bigint): boolean {
    if (((num >> 10) & 3) === 3 || csrRead(this, num) === undefined) return false;
    const value = BigInt.asUintN(64, v);
    if (num === CSR.mcycle) this.cycle.set(this.retired, value);
    else if (num === CSR.minstret) this.instretCounter.set(this.retired, value);
    else csrWrite(this, num, value);
    return true;
  }

  /**
   * A page walk for the debugger: no A/D updates, no TLB fill, no trap. It walks for the current
   * mode, or for `priv` (0 = U, 1 = S, 3 = M) and `virt` as if the hart were in that mode (data
   * accesses from M still honour MPRV/MPV). With V=1 it walks both stages.
   */
  translate(va: bigint, access: MmuAccess, priv?: number, virt?: boolean): Translation {
    return translateForDebugger(this, va, access, priv, virt);
  }

  /**
   * The same walk, reporting every PTE read (stage "s", "vs" or "g", level, address, value) and the
   * GPA a two-stage walk reached, also when it faults. `mode` as in mmu.ts: privilege | 4 for V=1;
   * default the current mode (fetch rules: no MPRV).
   */
  walk(va: bigint, access: MmuAccess, mode = fetchMode(this)): Walk {
    return walkForDebugger(this, va, access, mode);
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
