import { Board, LoadError, RAM_BASE, type LoadableProgram, type StopReason } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { pendingInterrupt, wakeable, enterTrap } from "../machine/hart/trap";
import { CSR } from "../isa/csrs";
import { causeName } from "../isa/causes";
import { SEED_COSTS, exitCost, type CostModel } from "./cost_model";
import { GuestDevices, guestRamWindow } from "./devices/guest_devices";
import { ExitLog, type ExitReason, type VmExit } from "./exits";
import { Acc, guestDataPriv, guestTranslates, walkGuest, type GuestMemory, type GuestTranslation } from "./guest_walk";
import { P2m } from "./p2m";
import { ShadowMmu, type ShadowContext, type ShadowRoot } from "./shadow_paging";
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

export interface VmOptions {
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
const MTIE = 1 << 7;
const MTIP = 1 << 7;
const MSIP = 1 << 3;

/** Where the VMM's memory starts in the host: the shadow pool, below guest RAM. */
export const VMM_BASE = RAM_BASE;

/**
 * One virtual machine under the trap-and-emulate technique, with shadow page tables.
 *
 * The host `Board` is the machine: one hart, RAM, nothing else. Host RAM holds the VMM's shadow-table
 * pool first, then guest RAM (GPA 0x8000_0000 → HPA 0x8000_0000 + pool size). The guest runs in host
 * U-mode with satp on a shadow root; every trap ends `board.run` through the hart's trap hook,
 * `handleExit` emulates, and the next `board.run` is the VM entry.
 *
 * `run(budget)` counts what the guest sees: instructions it retires and traps it takes, exactly as
 * the native board counts them, so stepping is the same under both techniques.
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
  /** Guest instructions the VMM retired by emulating them (the host hart retired the rest). */
  emulatedRetired = 0;
  /** Called on every exit; return true to stop the run after it (exception breakpoints on exits). */
  exitFilter: ((exit: VmExit) => boolean) | undefined;
  /** The exit that stopped the last run, when `exitFilter` asked to stop. */
  stoppedExit: VmExit | undefined;
  private halted: { code: number; how: "finisher" | "htif" } | undefined;
  private pendingStop: StopReason | undefined;
  private hostSatp = -1n;

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
    this.board = new Board({ memoryBytes: pool + memory, instructionsPerTick: opts.instructionsPerTick });
    this.guestRamSize = memory;
    this.guestRamHpa = VMM_BASE + pool;
    this.p2m.add({ gpa: this.guestRamBase, hpa: this.guestRamHpa, size: memory, kind: "ram" });
    this.vcpu = new Vcpu(0);
    this.costs = opts.costs ?? { ...SEED_COSTS };
    this.nonTrapping = new Set(opts.nonTrappingSensitive ?? []);
    this.log = new ExitLog(opts.exitLogCapacity);
    const hart = this.board.hart;
    this.shadow = new ShadowMmu(this.board.ram, VMM_BASE, pool / 4096, maxRoots, (vpn, asid) => hart.tlb.flush(vpn, asid));
    const window = guestRamWindow(this.board.ram, this.guestRamBase, this.guestRamHpa, memory);
    const v = this.vcpu.state;
    this.devices = new GuestDevices(window, {
      retired: () => this.retired,
      linesChanged: () => this.syncClintLines(),
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
    hart.onTrap = () => true;
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
   * entry with a0 = 0, the devices, the shadow tables and the exit log. Throws LoadError.
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
    this.vcpu.state.reset(program.entry);
    this.devices.clint.reset();
    this.emulatedRetired = 0;
    this.shadow.reset();
    this.log.clear();
    this.halted = undefined;
    this.pendingStop = undefined;
    this.stoppedExit = undefined;
    this.hostSatp = -1n;
    this.syncClintLines();
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
          if ((v.mie & MTIE) === 0 || !this.devices.clint.canFire()) return { kind: "idle" };
          this.devices.clint.warpToDeadline();
        }
        v.waiting = false;
      }
      const irq = pendingInterrupt(v);
      if (irq >= 0) {
        this.injectInterrupt(irq);
        left--;
        first = false;
        continue;
      }
      if (hart.breakpoints.size > 0 && !first && hart.breakpoints.has(v.pc)) return { kind: "breakpoint", pc: v.pc };
      this.enterGuest();
      let slice = left;
      const deadline = this.devices.clint.deadline();
      if (deadline >= 0) slice = Math.min(slice, deadline - this.retired);
      const before = hart.retired;
      const r = this.board.run(slice);
      left -= hart.retired - before;
      first = false;
      if (r.kind === "trap") {
        v.pc = r.pc;
        left -= handleExit(this, r.cause, r.tval);
        continue;
      }
      v.pc = hart.pc;
      if (r.kind === "budget") {
        if (deadline >= 0 && this.retired >= deadline) this.timerExit();
        continue;
      }
      if (r.kind === "watchpoint") {
        return { ...r, pc: v.pc, pa: r.pa - this.guestRamHpa + this.guestRamBase };
      }
      return r; // breakpoint: the pc is the guest's
    }
  }

  // ---- services for the technique ----

  /** Records an exit with its modelled cost; asks the exit filter whether to stop. */
  record(reason: ExitReason, fields: Omit<VmExit, "seq" | "vcpu" | "pc" | "priv" | "instret" | "reason" | "cycles">, at?: { pc: bigint; priv: number }): VmExit {
    const v = this.vcpu.state;
    const exit = this.log.add({
      vcpu: this.vcpu.id, pc: at?.pc ?? v.pc, priv: at?.priv ?? v.prv, instret: this.instret, reason,
      cycles: exitCost(this.costs, reason), ...fields,
    });
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
    v.pc = v.pc + BigInt(length);
  }

  /** Keeps the vCPU's counters on guest time before CSR emulation reads them. */
  syncTime(): void {
    this.vcpu.state.retired = this.retired;
  }

  /** The shadow context the vCPU is in now (data accesses; fetches agree unless MPRV is set). */
  context(): ShadowContext {
    const v = this.vcpu.state;
    const priv = v.prv;
    if (!guestTranslates(v, priv)) return { kind: "bare", machine: priv === 3 };
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
    const hpa = this.p2m.toHpa(gpa, 8);
    return hpa < 0 ? undefined : this.board.ram.view.getBigUint64(hpa - this.board.ram.base, true);
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
    const satp = ShadowMmu.satpOf(root);
    if (satp !== this.hostSatp) {
      hart.writeCsr(CSR.satp, satp);
      this.hostSatp = satp;
    }
    hart.priv = 0;
    hart.pc = this.vcpu.state.pc;
  }

  /** The shadow root the guest runs on now. */
  currentRoot(): ShadowRoot {
    return this.shadow.rootFor(this.context());
  }

  private syncClintLines(): void {
    const v = this.vcpu.state;
    const c = this.devices.clint;
    let hw = v.mipHw & ~(MTIP | MSIP);
    if (c.mtip()) hw |= MTIP;
    if (c.msip) hw |= MSIP;
    v.mipHw = hw;
  }

  private timerExit(): void {
    this.syncClintLines();
    const v = this.vcpu.state;
    const deliverable = pendingInterrupt(v) >= 0;
    this.record("timer", {
      details: { device: "clint", register: "mtimecmp", value: this.devices.clint.mtimecmp },
      action: `mtime reached mtimecmp (0x${this.devices.clint.mtimecmp.toString(16)}): raised the guest's MTIP${deliverable ? "" : "; the guest has it masked, so nothing is delivered yet"}`,
      steps: [{ phase: "device", text: "virtual CLINT: mtime ≥ mtimecmp, MTIP rises", before: 0n, after: 1n }],
    });
  }

  private injectInterrupt(irq: number): void {
    const v = this.vcpu.state;
    const pc = v.pc, priv = v.prv;
    const cause = INTERRUPT | BigInt(irq);
    const mstatusBefore = BigInt(v.mstatus);
    enterTrap(v, cause, 0n);
    v.sliceTraps = 0;
    this.record("virtual-interrupt", {
      details: { cause, causeName: causeName(cause), toPriv: v.prv, toPc: v.pc },
      action: `injected ${causeName(cause)} into the guest: ${PRIV[priv]} → ${PRIV[v.prv]}, handler 0x${v.pc.toString(16)}`,
      steps: [
        { phase: "check", text: `pending & enabled: mip 0x${(v.mipSw | v.mipHw).toString(16)}, mie 0x${v.mie.toString(16)}` },
        { phase: "inject", text: `${v.prv === 3 ? "mepc" : "sepc"} ← interrupted pc`, after: pc },
        { phase: "vcpu", text: "mstatus (xPIE ← xIE, xIE ← 0, xPP ← old mode)", before: mstatusBefore, after: BigInt(v.mstatus) },
        { phase: "resume", text: `resume the guest at its handler in ${PRIV[v.prv]}-mode`, after: v.pc },
      ],
    }, { pc, priv });
  }
}

export const PRIV: Record<number, string> = { 0: "U", 1: "S", 2: "?", 3: "M" };
