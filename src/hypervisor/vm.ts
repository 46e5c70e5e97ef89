import { Board, LoadError, RAM_BASE, type LoadableProgram, type StopReason } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { pendingInterrupt, wakeable, enterTrap } from "../machine/hart/trap";
import { CSR } from "../isa/csrs";
import { causeName } from "../isa/causes";
import { SEED_COSTS, exitCost, type CostModel } from "./cost_model";
import { GuestDevices, guestRamWindow } from "./devices/guest_devices";
import { EXIT_REASON_IDS, ExitLog, ExitRecord, type ExitDetails, type ExitInstruction, type ExitNarrative, type ExitReason, type VmExit } from "./exits";
import { Acc, guestDataPriv, guestTranslates, walkGuest, type GuestMemory, type GuestTranslation } from "./guest_walk";
import { GStageTable } from "./g_stage";
import { P2m } from "./p2m";
import type { SbiPlatform } from "./sbi";
import { ShadowMmu, type ShadowContext, type ShadowEntry, type ShadowRoot } from "./shadow_paging";
import { deliveredByHardware, enterVirtualized, handleVirtualizedExit, leaveVirtualized } from "./techniques/hardware_assisted";
import { handleExit } from "./techniques/trap_and_emulate";
import { Vcpu } from "./vcpu";

/**
 * Sensitive instructions that the simulated hardware may be told to execute in U-mode without
 * trapping: an explicitly non-standard teaching option (RISC-V traps them all). Like x86's
 * `pushf`/`popf` before VT-x, they then act on the real (host) state and the VMM never hears of it:
 *  - "sstatus-read": `csrr rd, sstatus` in U-mode returns the host's real sstatus (behaviour-sensitive);
 *  - "sstatus-write": a write to sstatus in U-mode is silently ignored (control-sensitive, like
 *    `popf` ignoring IF in ring 3).
 * This breaks Popek and Goldberg's equivalence on purpose (sample-guests/popek-goldberg/).
 */
export type NonTrappingSensitive = "sstatus-read" | "sstatus-write";
export const NON_TRAPPING_SENSITIVE: readonly NonTrappingSensitive[] = ["sstatus-read", "sstatus-write"];

/** The techniques a `Vm` implements (native needs no VMM). */
export type VmTechnique = "trap-and-emulate" | "hardware-assisted";

/**
 * Where the guest starts: in M-mode at its entry, as on the bare `virt` board ("machine"), or in
 * S-mode with the VMM as its SBI firmware ("supervisor"), as a kernel starts behind OpenSBI.
 */
export type GuestBoot = "machine" | "supervisor";
export const GUEST_BOOTS: readonly GuestBoot[] = ["machine", "supervisor"];

export interface VmOptions {
  /** Default trap-and-emulate. */
  technique?: VmTechnique;
  boot?: GuestBoot;
  /** Guest RAM at GPA 0x8000_0000; default 128 MiB. */
  memoryBytes?: number;
  instructionsPerTick?: number;
  uartOut?: ByteSink;
  uartIn?: ByteSource;
  /** Guest-physical address of the guest's `tohost` word (HTIF), and `fromhost`. */
  tohost?: number;
  fromhost?: number;
  costs?: CostModel;
  nonTrappingSensitive?: readonly NonTrappingSensitive[];
  /** VMM memory for shadow tables (default 8 MiB), and how many shadow roots are cached (default 8). */
  shadowPoolBytes?: number;
  maxShadowRoots?: number;
  /** Exit records kept (statistics count all); default 100,000. */
  exitLogCapacity?: number;
}

export class VmOptionsError extends Error {
  override readonly name = "VmOptionsError";
}

const INTERRUPT = 1n << 63n;
const MTIP = 1 << 7;
const MSIP = 1 << 3;
const STIP = 1 << 5;

/** Where the VMM's memory starts in the host: the shadow pool, below guest RAM. */
export const VMM_BASE = RAM_BASE;

/**
 * One virtual machine: the VMM's state for one guest, under trap-and-emulate (shadow page tables) or
 * hardware assistance (the H extension and a G-stage table).
 *
 * The host `Board` is the machine: one hart, RAM, nothing else. Host RAM holds the VMM's shadow-table
 * pool first, then (hardware-assisted) the G-stage pool, then guest RAM (GPA 0x8000_0000 → HPA
 * 0x8000_0000 + the pools). Under trap-and-emulate the guest runs in host U-mode with satp on a
 * shadow root; under hardware assistance its S- and U-mode run in VS/VU (techniques/hardware_assisted.ts)
 * and its M-mode as under trap-and-emulate. Every trap the VMM must see ends `board.run` through the
 * hart's trap hook, the technique handles it, and the next `board.run` is the VM entry.
 *
 * `run(budget)` counts what the guest sees: instructions it retires and traps it takes, exactly as
 * the native board counts them, so stepping is the same under every technique.
 */
export class Vm implements GuestMemory {
  readonly board: Board;
  readonly vcpu: Vcpu;
  readonly p2m = new P2m();
  readonly devices: GuestDevices;
  readonly shadow: ShadowMmu;
  readonly log: ExitLog;
  readonly costs: CostModel;
  readonly nonTrapping: ReadonlySet<NonTrappingSensitive>;
  readonly guestRamBase = RAM_BASE;
  readonly guestRamSize: number;
  readonly guestRamHpa: number;
  readonly technique: VmTechnique;
  readonly boot: GuestBoot;
  /** The VMM's G-stage table (GPA → HPA): under hardware assistance only. */
  readonly gStage: GStageTable | undefined;
  /** The firmware calls of a guest that boots in S-mode (sbi.ts). */
  readonly sbiPlatform: SbiPlatform;
  /** Guest instructions the VMM retired by emulating them (the host hart retired the rest). */
  emulatedRetired = 0;
  /** Called on every exit; return true to stop the run after it (exception breakpoints on exits). */
  exitFilter: ((exit: VmExit) => boolean) | undefined;
  /** The exit that stopped the last run, when `exitFilter` asked to stop. */
  stoppedExit: VmExit | undefined;
  private halted: { code: number; how: "finisher" | "htif" | "sbi" } | undefined;
  private pendingStop: StopReason | undefined;
  private hostSatp = -1n;
  /** A shadow entry mapped for the next VM entry's single instruction only (stepOnce). */
  private oneShot: ShadowEntry | undefined;
  /** The next VM entry runs one instruction by trap-and-emulate, under hardware assistance too (emulateNext). */
  private deprivilegeNext = false;
  /** The G stage grants what the guest's PMP grants S/U-mode (hardware assistance; hardware_assisted.ts). */
  gStageFollowsPmp = false;
  /** The virtual CLINT's deadline (retired count, −1: none) and MTIP level, recomputed when it changes. */
  private timerKnown = false;
  private timerAt = -1;
  private mtipLevel = false;
  /**
   * The vCPU's mip bit the virtual timer drives: MTIP, or STIP when the VMM is the guest's firmware
   * (mie's enable bit sits at the same position).
   */
  readonly timerBit: number;
  /** The last VM entry ran the guest in VS/VU-mode. */
  private virtualized = false;
  /** The last run stopped on its budget, perhaps in the middle of a translated block. */
  private resumeMidBlock = false;
  /** Traps the hart delivered to the guest's VS-mode handlers without an exit, since the VM was made. */
  private trapsInGuest = 0;
  /** Each reason's modelled cost, looked up once (every exit needs it). */
  private readonly costOf: ReadonlyMap<ExitReason, number>;

  constructor(opts: VmOptions = {}) {
    const memory = opts.memoryBytes ?? 128 * 1024 * 1024;
    const pool = opts.shadowPoolBytes ?? 8 * 1024 * 1024;
    if (!Number.isSafeInteger(pool) || pool < 16 * 4096 || pool % 4096 !== 0) {
      throw new VmOptionsError(`shadowPoolBytes must be a multiple of 4096 of at least 64 KiB, not ${pool}`);
    }
    const maxRoots = opts.maxShadowRoots ?? 8;
    if (!Number.isSafeInteger(maxRoots) || maxRoots < 2 || maxRoots > 4096) {
      throw new VmOptionsError(`maxShadowRoots must be an integer from 2 to 4096, not ${maxRoots}`);
    }
    this.technique = opts.technique ?? "trap-and-emulate";
    this.boot = opts.boot ?? "machine";
    const hardware = this.technique === "hardware-assisted";
    // 4 KiB G-stage leaves: one table page per 2 MiB of guest RAM, plus the 16 KiB root (and its
    // alignment) and the middle level.
    const gPool = hardware ? (Math.ceil(memory / (2 << 20)) + 16) * 4096 : 0;
    this.board = new Board({ memoryBytes: pool + gPool + memory, instructionsPerTick: opts.instructionsPerTick, hypervisorExtension: hardware });
    this.guestRamSize = memory;
    this.guestRamHpa = VMM_BASE + pool + gPool;
    this.p2m.add({ gpa: this.guestRamBase, hpa: this.guestRamHpa, size: memory, kind: "ram" });
    this.vcpu = new Vcpu(0);
    this.costs = opts.costs ?? { ...SEED_COSTS };
    this.costOf = new Map(EXIT_REASON_IDS.map((r) => [r, exitCost(this.costs, r)]));
    this.nonTrapping = new Set(opts.nonTrappingSensitive ?? []);
    this.log = new ExitLog(opts.exitLogCapacity);
    const hart = this.board.hart;
    this.shadow = new ShadowMmu(this.board.ram, VMM_BASE, pool / 4096, maxRoots, hart.tlb);
    if (hardware) {
      this.gStage = new GStageTable(this.board.ram, VMM_BASE + pool, gPool / 4096);
      this.gStage.build(this.p2m.regions());
    }
    const window = guestRamWindow(this.board.ram, this.guestRamBase, this.guestRamHpa, memory);
    const v = this.vcpu.state;
    this.devices = new GuestDevices(window, {
      retired: () => this.retired,
      linesChanged: () => {
        this.timerKnown = false;
        this.syncClintLines();
      },
      setMipLine: (bit, level) => {
        v.mipHw = level ? v.mipHw | (1 << bit) : v.mipHw & ~(1 << bit);
      },
      halt: (code, how) => {
        this.halted = { code, how };
      },
      watchGuestWrites: (gpa, len, cb) => this.board.watchWrites(gpa - this.guestRamBase + this.guestRamHpa, len,
        (hpa, value, width) => cb(hpa - this.guestRamHpa + this.guestRamBase, value, width)),
      ramWritten: (gpa, len) => this.board.bus.noteRamWrite(gpa - this.guestRamBase + this.guestRamHpa, len),
    }, { instructionsPerTick: opts.instructionsPerTick ?? 100, uartOut: opts.uartOut, uartIn: opts.uartIn, tohost: opts.tohost, fromhost: opts.fromhost });
    v.time = this.devices.clint;
    this.timerBit = this.boot === "supervisor" ? STIP : MTIP;
    const out = opts.uartOut ?? { write: () => {} };
    this.sbiPlatform = {
      putchar: (b) => out.write(b),
      getchar: () => opts.uartIn?.read() ?? -1,
      setTimer: (t) => {
        this.devices.clint.mtimecmp = t;
        this.timerKnown = false;
      },
      shutdown: (code) => {
        this.halted = { code, how: "sbi" };
      },
      readGuest: (gpa, n) => this.readGuestPhysical(gpa, n),
    };
    // Every trap the guest takes is an exit, except those the hart delivers to VS-mode itself, which
    // are guest steps like any other (Vm.run's budget counts them).
    hart.onTrap = () => {
      if (!hart.virt) return true;
      this.trapsInGuest++;
      return false;
    };
  }

  /** Guest instructions retired: by the host hart (running the guest) plus by the VMM's emulation. */
  get retired(): number {
    return this.board.hart.retired + this.emulatedRetired;
  }

  get instret(): bigint {
    return BigInt(this.retired);
  }

  /** The guest's pc (while stopped). */
  get pc(): bigint {
    return this.vcpu.state.pc;
  }

  /**
   * Places the guest's segments in guest RAM and resets the VM: the vCPU in virtual M-mode at the
   * entry with a0 = 0 (or, with `boot: "supervisor"`, in S-mode with what firmware would have set
   * up), the devices, the shadow tables and the exit log. Throws LoadError.
   */
  load(program: LoadableProgram): void {
    program.segments.forEach((s, i) => {
      if (s.memsz < s.data.length) throw new LoadError(`segment ${i} at 0x${s.paddr.toString(16)} has memsz ${s.memsz} < filesz ${s.data.length}`);
      if (this.p2m.toHpa(s.paddr, Math.max(s.memsz, 1)) < 0) {
        throw new LoadError(`segment ${i} at 0x${s.paddr.toString(16)} (${s.memsz} bytes) lies outside guest RAM ` +
          `0x${this.guestRamBase.toString(16)}–0x${(this.guestRamBase + this.guestRamSize).toString(16)}`);
      }
    });
    this.board.load({ entry: program.entry, segments: [] });
    for (const s of program.segments) this.board.bus.writeBytes(this.p2m.toHpa(s.paddr), s.data);
    const hart = this.board.hart;
    // What firmware does for the VMM: PMP entry 0 lets U-mode (the guest) and the page walker reach
    // host RAM at all; which pages the guest reaches is then decided by the shadow tables alone.
    hart.writeCsr(CSR.pmpaddr0, -1n);
    hart.writeCsr(CSR.pmpcfg0, 0x1fn);
    // The counters are the guest's (its retired instructions and virtual time), never the host's:
    // mcounteren lets VS/VU-mode reach hcounteren, which is 0, so its counter reads are virtual-
    // instruction exits; in host U-mode scounteren = 0 still traps them as illegal instructions.
    if (this.technique === "hardware-assisted") hart.writeCsr(CSR.mcounteren, 7n);
    const v = this.vcpu.state;
    v.reset(program.entry);
    if (this.boot === "supervisor") this.bootSupervisor();
    this.devices.clint.reset();
    this.timerKnown = false;
    this.emulatedRetired = 0;
    this.shadow.reset();
    this.log.clear();
    this.halted = undefined;
    this.pendingStop = undefined;
    this.stoppedExit = undefined;
    this.hostSatp = -1n;
    this.oneShot = undefined;
    this.deprivilegeNext = false;
    this.gStageFollowsPmp = false;
    this.virtualized = false;
    this.resumeMidBlock = false;
    this.syncClintLines();
  }

  /**
   * The state OpenSBI leaves a kernel in: S-mode at the entry, a0 = hart id, a1 = the device tree
   * (none here: 0), the supervisor interrupts and the usual exceptions delegated, the counters open,
   * and one PMP entry that lets S- and U-mode reach all memory.
   */
  private bootSupervisor(): void {
    const v = this.vcpu.state;
    v.writeCsr(CSR.pmpaddr0, -1n);
    v.writeCsr(CSR.pmpcfg0, 0x1fn);
    v.prv = 1;
    v.mideleg = 0x222;
    v.medeleg = 0xb109;
    v.mcounteren = 7n;
    this.board.hart.setReg(10, 0n);
    this.board.hart.setReg(11, 0n);
  }

  step(): StopReason {
    return this.run(1);
  }

  /** Runs at most `budget` guest steps (instructions retired plus traps taken), like Board.run. */
  run(budget: number): StopReason {
    const v = this.vcpu.state;
    const hart = this.board.hart;
    let left = budget;
    let first = true;
    this.stoppedExit = undefined;
    for (;;) {
      // A stop the exit filter or the trap hook asked for comes before the halt it may precede.
      const stop = this.pendingStop ?? v.pendingStop;
      if (stop) {
        this.pendingStop = undefined;
        v.pendingStop = undefined;
        return stop;
      }
      if (this.halted) return { kind: "halt", code: this.halted.code, how: this.halted.how };
      if (left <= 0) return { kind: "budget" };
      this.syncClintLines();
      if (v.waiting) {
        if (!wakeable(v)) {
          if ((v.mie & this.timerBit) === 0 || !this.devices.clint.canFire()) return { kind: "idle" };
          this.devices.clint.warpToDeadline();
        }
        v.waiting = false;
      }
      const irq = pendingInterrupt(v);
      const hardware = this.technique === "hardware-assisted" && v.prv !== 3 && !this.deprivilegeNext;
      if (irq >= 0 && !(hardware && deliveredByHardware(v, irq))) {
        this.injectInterrupt(irq);
        if (this.deprivilegeNext) this.endDeprivileged();
        left--;
        first = false;
        continue;
      }
      if (hart.breakpoints.size > 0 && !first && hart.breakpoints.has(v.pc)) return { kind: "breakpoint", pc: v.pc };
      // A run that resumes where the last one ran out of budget continues inside its block; told it
      // was a jump target, the translator would seed new block entries in the middle of hot loops.
      const midBlock = this.resumeMidBlock && hart.midBlock && hart.pcNum === v.pcNum && this.virtualized === hardware;
      if (hardware) enterVirtualized(this);
      else this.enterGuest();
      hart.midBlock = midBlock;
      this.virtualized = hardware;
      let slice = left;
      const deadline = this.timerAt >= 0 && this.retired < this.timerAt ? this.timerAt : -1;
      if (deadline >= 0) slice = Math.min(slice, deadline - this.retired);
      const oneShot = this.oneShot;
      const deprivileged = this.deprivilegeNext;
      if (oneShot || deprivileged) slice = Math.min(slice, 1);
      const leftBefore = left;
      const before = hart.retired;
      const trapsBefore = this.trapsInGuest;
      const r = this.board.run(slice);
      if (oneShot) {
        this.shadow.remove(oneShot);
        this.oneShot = undefined;
      }
      left -= hart.retired - before;
      first = false;
      this.resumeMidBlock = r.kind === "budget";
      left -= this.trapsInGuest - trapsBefore;
      if (hardware) leaveVirtualized(this);
      if (r.kind === "trap") {
        v.pc = r.pc;
        left -= hardware ? handleVirtualizedExit(this, r.cause, r.tval) : handleExit(this, r.cause, r.tval);
      } else {
        v.pc = hart.pc;
        if (r.kind === "watchpoint") return { ...r, pc: v.pc, pa: r.pa - this.guestRamHpa + this.guestRamBase };
        if (r.kind !== "budget") return r; // breakpoint: the pc is the guest's
        if (deadline >= 0 && this.retired >= deadline) this.timerExit();
      }
      // A trap-and-emulated instruction (emulateNext) lasts through its hidden faults, until it
      // retires or traps.
      if (deprivileged && left < leftBefore) this.endDeprivileged();
    }
  }

  // ---- services for the technique ----

  /**
   * Records an exit at `pc` and `priv` (default: the vCPU's) with its modelled cost (plus a world
   * switch when the VMM switched worlds, see cost_model.ts); asks the exit filter whether to stop.
   * `narrate` builds the exit's text from values it captured at the exit, on first read only (exits.ts).
   */
  record(
    reason: ExitReason, instruction: ExitInstruction | undefined, details: ExitDetails, narrate: () => ExitNarrative,
    pc?: bigint, priv?: number, worldSwitch = false,
  ): VmExit {
    const v = this.vcpu.state;
    const cycles = (this.costOf.get(reason) ?? 0) + (worldSwitch ? this.costs.worldSwitch : 0);
    const exit = this.log.add(new ExitRecord(
      this.vcpu.id, pc ?? v.pc, priv ?? v.prv, this.retired, reason, instruction, details, cycles, narrate,
    ));
    if (this.exitFilter?.(exit) && !this.pendingStop) {
      this.stoppedExit = exit;
      this.pendingStop = { kind: "trap", cause: exit.details.cause ?? 0n, tval: exit.details.tval ?? exit.details.gva ?? 0n, pc: exit.pc };
    }
    return exit;
  }

  /** Counts one instruction the VMM emulated as retired by the guest. */
  retire(length: number): void {
    const v = this.vcpu.state;
    this.emulatedRetired++;
    v.retired = this.retired;
    if (v.wildPc === undefined) v.pcNum += length;
    else v.pc = v.wildPc + BigInt(length);
  }

  /** How the instruction being emulated reached the VMM, for the narratives. */
  get trappedHow(): string {
    if (!this.virtualized) return "illegal in host U-mode";
    return this.vcpu.state.prv === 1 ? "trapped out of VS-mode" : "trapped out of VU-mode";
  }

  /** Keeps the vCPU's counters on guest time before CSR emulation reads them. */
  syncTime(): void {
    this.vcpu.state.retired = this.retired;
  }

  /**
   * The shadow context the vCPU is in now. Virtual M-mode with MPRV (MPP below M) has a root of its
   * own, "bare M MPRV", that maps fetches only: its loads and stores exit and are emulated as MPP's.
   */
  context(): ShadowContext {
    const v = this.vcpu.state;
    const priv = v.prv;
    if (!guestTranslates(v, priv)) return { kind: "bare", machine: priv === 3, mprv: priv === 3 && guestDataPriv(v, Acc.R) !== 3 };
    return {
      kind: "sv39", guestRoot: v.satpRoot, guestAsid: v.satpAsid, priv: priv === 1 ? 1 : 0,
      sum: (v.mstatus & (1 << 18)) !== 0, mxr: (v.mstatus & (1 << 19)) !== 0,
    };
  }

  /** The guest's translation of `va` for access `acc` (no A/D update unless asked). */
  translate(va: number, acc: Acc, setAccessed: boolean): GuestTranslation {
    const v = this.vcpu.state;
    const priv = acc === Acc.X ? v.prv : guestDataPriv(v, acc);
    if (!guestTranslates(v, priv)) {
      return va >= 0 ? { ok: true, gpa: va, level: -1, flags: 0, steps: [] } : { ok: false, cause: [5, 7, 1][acc], steps: [] };
    }
    return walkGuest(v, this, va, acc, priv, setAccessed);
  }

  /**
   * The bits of the instruction that trapped at the guest's pc. The hart's TLB still holds the
   * shadow translation it fetched through, so this is one probe, not a guest walk, on every exit.
   */
  trappedInstruction(): number | undefined {
    const pc = this.vcpu.state.pcNum;
    const off = pc & 4095;
    const root = this.shadow.current;
    if (root && !this.virtualized && !Number.isNaN(pc) && off <= 4092) {
      const tlb = this.board.hart.tlb;
      const slot = tlb.lookup(Math.floor(pc / 4096) & 0x7ffffff, root.hostAsid);
      const at = slot < 0 ? -1 : tlb.ppn[slot] * 4096 + off;
      if (at >= 0 && this.board.ram.contains(at, 4)) {
        const view = this.board.ram.view;
        const low = view.getUint16(at - this.board.ram.base, true);
        return (low & 3) !== 3 ? low : view.getUint32(at - this.board.ram.base, true);
      }
    }
    return this.fetchGuestInstruction(this.vcpu.state.pc);
  }

  /** The guest's instruction bits at its pc (through its own translation), or undefined. */
  fetchGuestInstruction(pc: bigint): number | undefined {
    const read16 = (va: number): number | undefined => {
      const t = this.translate(va, Acc.X, false);
      if (!t.ok) return undefined;
      const hpa = this.p2m.toHpa(t.gpa, 2);
      return hpa < 0 ? undefined : this.board.ram.view.getUint16(hpa - this.board.ram.base, true);
    };
    const va = Number(BigInt.asIntN(64, pc));
    const low = read16(va);
    if (low === undefined || (low & 3) !== 3) return low;
    const high = read16(va + 2);
    return high === undefined ? undefined : (low | (high << 16)) >>> 0;
  }

  readPte(gpa: number): bigint | undefined {
    const at = this.pteOffset(gpa);
    return at < 0 ? undefined : this.ramView.getBigUint64(at, true);
  }

  get ramView(): DataView {
    return this.board.ram.view;
  }

  pteOffset(gpa: number): number {
    const hpa = this.p2m.toHpa(gpa, 8);
    return hpa < 0 ? -1 : hpa - this.board.ram.base;
  }

  /** The VMM's own write of a guest PTE (A/D emulation): through the guest bus, so decoded code is dropped. */
  writePte(gpa: number, pte: bigint): void {
    this.devices.bus.store(gpa, 8, pte);
  }

  /** Guest-physical memory for the debugger; null where it is not guest RAM. */
  readGuestPhysical(gpa: number, length: number): Uint8Array | null {
    return this.devices.bus.readBytes(gpa, length);
  }

  // ---- entry and virtual interrupts ----

  /** VM entry: host U-mode at the guest's pc, on the shadow root of the guest's current context. */
  private enterGuest(): void {
    const hart = this.board.hart;
    const root = this.shadow.rootFor(this.context());
    if (root.satp !== this.hostSatp) {
      hart.writeCsr(CSR.satp, root.satp);
      this.hostSatp = root.satp;
    }
    if (this.virtualized) {
      // Back from VS/VU-mode: the mode change must drop the caches that depended on it.
      hart.setMode(0, false);
    } else {
      // Not `hart.priv = 0`, which flushes the software TLB: the host hart leaves U-mode only by the
      // trap that ended the last run (or a reset), and both flushed it; the VMM does not access memory
      // through the hart, so nothing has filled it since.
      hart.prv = 0;
    }
    // The pc setter's work without its bigint round trip (hart.ts keeps the pc as a number).
    const v = this.vcpu.state;
    hart.pcNum = v.pcNum;
    hart.wildPc = v.wildPc;
  }

  /**
   * Runs the next VM entry for one instruction only, with `e` mapped; then takes `e` down again (a
   * fetch from a page whose every fetch the VMM must check).
   */
  stepOnce(e: ShadowEntry): void {
    this.oneShot = e;
  }

  /**
   * Runs the next VM entry's one instruction by trap-and-emulate, whatever the technique: under
   * hardware assistance, for an access the G stage cannot decide (the guest's PMP covers its page in
   * part), as shadow paging checks the guest's PMP on every access.
   */
  emulateNext(): void {
    this.deprivilegeNext = true;
  }

  /**
   * Back to the technique's own way of running the guest. Under hardware assistance the guest's S/U
   * code changes its page tables in VS/VU-mode, unseen: the shadow entries made for one instruction
   * must not outlive it.
   */
  private endDeprivileged(): void {
    this.deprivilegeNext = false;
    this.shadow.reset();
  }

  /** The guest's PMP changed: shadow entries were derived under the old one, and the G stage follows it. */
  guestPmpChanged(): void {
    this.shadow.reset();
    this.gStageFollowsPmp = false;
  }

  /** The shadow root the guest runs on now. */
  currentRoot(): ShadowRoot {
    return this.shadow.rootFor(this.context());
  }

  private syncClintLines(): void {
    const v = this.vcpu.state;
    const c = this.devices.clint;
    if (!this.timerKnown) {
      this.timerAt = c.deadline();
      this.mtipLevel = c.mtip();
      this.timerKnown = true;
    }
    const timer = this.timerBit;
    let hw = v.mipHw & ~(timer | MSIP);
    if (this.timerAt >= 0 ? this.retired >= this.timerAt : this.mtipLevel) hw |= timer;
    if (c.msip) hw |= MSIP;
    v.mipHw = hw;
  }

  private timerExit(): void {
    this.syncClintLines();
    const deliverable = pendingInterrupt(this.vcpu.state) >= 0;
    const mtimecmp = this.devices.clint.mtimecmp;
    const line = this.timerBit === MTIP ? "MTIP" : "STIP";
    this.record("timer", undefined, { device: "clint", register: "mtimecmp", value: mtimecmp }, () => ({
      action: `mtime reached mtimecmp (0x${mtimecmp.toString(16)}): raised the guest's ${line}${deliverable ? "" : "; the guest has it masked, so nothing is delivered yet"}`,
      steps: [{ phase: "device", text: `virtual CLINT: mtime ≥ mtimecmp, ${line} rises`, before: 0n, after: 1n }],
    }));
  }

  private injectInterrupt(irq: number): void {
    const v = this.vcpu.state;
    const pc = v.pc, priv = v.prv;
    const cause = INTERRUPT | BigInt(irq);
    const mstatusBefore = v.mstatus, mip = v.mipSw | v.mipHw, mie = v.mie;
    enterTrap(v, cause, 0n);
    v.sliceTraps = 0;
    const to = v.prv, toPc = v.pc, mstatusAfter = v.mstatus;
    this.record("virtual-interrupt", undefined, { cause, causeName: causeName(cause), toPriv: to, toPc }, () => ({
      action: `injected ${causeName(cause)} into the guest: ${PRIV[priv]} → ${PRIV[to]}, handler 0x${toPc.toString(16)}`,
      steps: [
        { phase: "check", text: `pending & enabled: mip 0x${mip.toString(16)}, mie 0x${mie.toString(16)}` },
        { phase: "inject", text: `${to === 3 ? "mepc" : "sepc"} ← interrupted pc`, after: pc },
        { phase: "vcpu", text: "mstatus (xPIE ← xIE, xIE ← 0, xPP ← old mode)", before: BigInt(mstatusBefore), after: BigInt(mstatusAfter) },
        { phase: "resume", text: `resume the guest at its handler in ${PRIV[to]}-mode`, after: toPc },
      ],
    }), pc, priv);
  }
}

export const PRIV: Record<number, string> = { 0: "U", 1: "S", 2: "?", 3: "M" };
