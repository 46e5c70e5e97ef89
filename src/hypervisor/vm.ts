import { MIP_MTIP, MIP_STIP } from "../isa/csr_bits";
import { ramPieces } from "../machine/bus";
import { Board, LoadError, MAX_HARTS, QUANTUM, RAM_BASE, type LoadableProgram, type StopReason } from "../machine/board";
import { YieldCheck } from "../machine/yield_check";
import { formatMiB } from "../machine/memory_size";
import type { ByteSink, ByteSource, HaltHow } from "../machine/device";
import type { Ram } from "../machine/memory";
import type { BlockBackend } from "../machine/devices/virtio/block_backend";
import { flushFast } from "../machine/hart/mem";
import { pendingInterrupt, wakeable } from "../machine/hart/trap";
import { CSR } from "../isa/csrs";
import { SEED_COSTS, exitCost, hostedNarrative, hostTripCycles, needsHost, type CostModel, type Hosting } from "./cost_model";
import { GuestDevices, guestRamWindow } from "./devices/guest_devices";
import { EMULATED_DEVICES, modelOf, type DeviceModels } from "./io/device_model";
import { SplitDevices } from "./io/split_devices";
import { DEFAULT_SHADOW_POOL_BYTES, largestGuestRam } from "./host_memory";
import { injectInterrupt } from "./emulate/inject";
import { FpuSwitch, type FpuSwitchPolicy } from "./fpu_switch";
import { Passthrough, passthroughPoolBytes } from "./io/passthrough";
import { EXIT_REASON_IDS, ExitLog, ExitRecord, pcAt, type ExitDetails, type ExitInstruction, type ExitNarrative, type ExitReason, type PcAt, type VmExit } from "./exits";
import { Acc, guestDataPriv, guestTranslates, walkGuest, type GuestMemory, type GuestTranslation } from "./mm/guest_walk";
import { HostFrames, HostMemoryExhausted } from "./mm/host_frames";
import { HostSwap } from "./mm/host_swap";
import { P2m } from "./mm/p2m";
import { PeekMemory } from "./mm/peek_memory";
import { recordVmmSwapIn, recordSwapOut } from "./mm/swap_faults";
import { BalloonReclaim } from "./mm/balloon_reclaim";
import { PageSharing, SHARING_TICK_STEPS, type PageSharingOptions, type SharedFrames } from "./mm/page_sharing";
import { ShadowMmu, type ShadowContext, type ShadowRoot } from "./mm/shadow_paging";
import type { SbiPlatform } from "./sbi";
import type { Technique, TechniqueSpec } from "./techniques/technique";
import { RoundRobin } from "../machine/round_robin";
import { Vcpu } from "./vcpu";
import { ReservationWatches } from "./vcpu_context";
import { VcpuTimer } from "./vcpu_timer";

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

/**
 * Where the guest starts: in M-mode at its entry, as on the bare `virt` board ("machine"), or in
 * S-mode with the VMM as its SBI firmware ("supervisor"), as a kernel starts behind OpenSBI.
 */
export type GuestBoot = "machine" | "supervisor";
export const GUEST_BOOTS: readonly GuestBoot[] = ["machine", "supervisor"];

export interface VmOptions {
  /** How the VMM runs the guest (techniques/). */
  technique: TechniqueSpec;
  boot?: GuestBoot;
  /** Guest RAM at GPA 0x8000_0000; default 128 MiB. */
  memoryBytes?: number;
  /**
   * The host's RAM (the board's), of which the VMM's pools take their share first and guest pages
   * the rest; default: room for all of guest RAM, backed at once. Smaller, guest pages get host frames
   * on first touch (p2m.ts), and a guest that touches more than fits stops with HostMemoryExhausted.
   */
  hostMemoryBytes?: number;
  /** Content-based page sharing (mm/page_sharing.ts); off when absent. */
  pageSharing?: PageSharingOptions;
  /**
   * The swap area on the host's disk, in bytes (mm/host_swap.ts): with hostMemoryBytes, a guest page
   * that needs a frame when none is free gets one swapped out; off when absent.
   */
  hostSwapBytes?: number;
  instructionsPerTick?: number;
  uartOut?: ByteSink;
  uartIn?: ByteSource;
  /** The disk of the guest's virtio-blk device (virtio-mmio slot 0). */
  disk?: BlockBackend;
  /** The seed of the guest's virtio-rng device (the last virtio-mmio slot); none when absent. */
  rngSeed?: number;
  /** A virtio-console for the guest (virtio-mmio slot 1) on the UART's output and input. */
  virtioConsole?: boolean;
  /** A virtio-balloon for the guest (virtio-mmio slot 6): pages its driver inflates leave the p2m (mm/balloon_reclaim.ts). */
  balloon?: boolean;
  /**
   * How the VMM gives the guest each virtio device (io/device_model.ts); all "emulated" when absent.
   * virtio-blk "passthrough" is a host device the guest drives directly, its DMA through an IOMMU
   * (io/passthrough.ts); it needs a disk.
   */
  deviceModels?: DeviceModels;
  /** Guest-physical address of the guest's `tohost` word (HTIF), and `fromhost`. */
  tohost?: number;
  fromhost?: number;
  costs?: CostModel;
  /** A native (type 1) or hosted (type 2) VMM: hosted pays world switches to the host OS (cost_model.ts). */
  hosting?: Hosting;
  nonTrappingSensitive?: readonly NonTrappingSensitive[];
  /** VMM memory for shadow tables (default 8 MiB), and how many shadow roots are cached (default 8). */
  shadowPoolBytes?: number;
  maxShadowRoots?: number;
  /** Exit records kept (statistics count all); default 100,000. */
  exitLogCapacity?: number;
  /** The F and D extensions of the machine and the guest's vCPU (default on; cpu.ts). */
  f?: boolean;
  d?: boolean;
  /** How the VMM switches the guest's FP state at a world switch (fpu_switch.ts); default lazy. */
  fpuSwitch?: FpuSwitchPolicy;
  /** The VM's vCPUs (QEMU's -smp), 1 to MAX_HARTS; default 1. */
  smp?: number;
  /** With several vCPUs, the guest steps each runs before the VMM switches the host hart to the next; default QUANTUM. */
  quantum?: number;
  /** The VM's name, when several share a host: its exits carry it. */
  name?: string;
  /**
   * The host this VM shares with others (host.ts): its RAM, of which the VM's pools and guest pages
   * take frames, and whether there is room to back every VM's RAM at once. Absent: the VM has the
   * host to itself, of hostMemoryBytes.
   */
  host?: SharedHost;
}

/** What the VMs on one host share: its RAM and who owns each frame of it. */
export interface SharedHost {
  readonly ram: Ram;
  readonly frames: HostFrames;
  /** The host has room for all guest RAM: each VM's is backed at once, as without overcommit. */
  readonly backAll: boolean;
  /** The frames shared across the host's VMs (page sharing). */
  readonly sharedFrames: SharedFrames;
}

/** The VMM's pools for a VM of `opts`: shadow tables, the technique's own (G-stage table, TC), the IOMMU's. */
function vmmPools(opts: VmOptions, memory: number, passthrough: boolean): { pool: number; techniquePool: number; ioPool: number } {
  return {
    pool: opts.shadowPoolBytes ?? DEFAULT_SHADOW_POOL_BYTES,
    techniquePool: opts.technique.poolBytes(memory),
    ioPool: passthrough ? passthroughPoolBytes(memory) : 0,
  };
}

/** What a VM of `opts` takes of its host's memory with nothing overcommitted: its VMM pools and all of its RAM. */
export function vmFootprint(opts: VmOptions): number {
  const memory = opts.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  const { pool, techniquePool, ioPool } = vmmPools(opts, memory, isPassthrough(opts));
  return pool + techniquePool + ioPool + memory;
}

const DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024;

/** Pass-through is virtio-blk's alone (target/device_model.ts refuses it for the others). */
function isPassthrough(opts: VmOptions): boolean {
  return modelOf(opts.deviceModels ?? EMULATED_DEVICES, "blk") === "passthrough";
}

export class VmOptionsError extends Error {
  override readonly name = "VmOptionsError";
}

/**
 * Guest steps in a row that deliver traps without retiring an instruction, after which a run stops
 * as a trap loop: a guest whose trap handler itself faults (the machine's own watchdog, board.ts).
 */
const TRAP_LOOP_STEPS = 4096;

/**
 * What a run paces itself by: the caller's yieldNow, looked at now and then by the VM's loops and by
 * the board's run; once a look said yes, the VM's loops return at their top.
 */
class Pace {
  /** Whether a look at yieldNow said the caller's time is up. */
  yielded = false;
  readonly ask: (() => boolean) | undefined;
  readonly check: YieldCheck;

  constructor(yieldNow: (() => boolean) | undefined, budget: number) {
    this.ask = yieldNow && (() => (this.yielded = yieldNow()));
    this.check = new YieldCheck(this.ask, budget);
  }
}

/** Why a VM under `spec` whose guest boots `boot` cannot have several vCPUs; undefined when it can. */
export function vcpusProblem(spec: TechniqueSpec, boot: GuestBoot): string | undefined {
  if (spec.oneVcpu) return spec.oneVcpu;
  if (boot === "supervisor") {
    return "a guest that boots in S-mode has the VMM as its SBI firmware, which has no HSM, IPI or RFENCE extension yet to start, interrupt and fence other vCPUs: several vCPUs need boot \"machine\"";
  }
  return undefined;
}

/** Where the VMM's memory starts in the host: the shadow pool, below guest RAM. */
export const VMM_BASE = RAM_BASE;

/**
 * One virtual machine: the VMM's state for one guest, and the run loop that enters it.
 *
 * The host `Board` is the machine: one hart, RAM, nothing else. Host RAM holds the VMM's shadow-table
 * pool first, then the technique's own pool (hardware assistance: the G-stage table), then guest RAM
 * (GPA 0x8000_0000 → HPA 0x8000_0000 + the pools). The technique (techniques/) decides how the guest
 * runs on the hart; every trap the VMM must see ends `board.run` through the hart's trap hook, the
 * technique handles it, and the next `board.run` is the VM entry.
 *
 * `run(budget)` counts what the guest sees: instructions it retires and traps it takes, exactly as
 * the native board counts them, so stepping is the same under every technique.
 *
 * A VM of several vCPUs (`smp`) runs them on the one host hart, one at a time, by the scheduler
 * the native board runs its harts with (machine/round_robin.ts): round-robin from vCPU 0, each for `quantum` guest steps (QUANTUM, the
 * board's), or until it waits in WFI with nothing to wake it, or until it stops the run; when every
 * vCPU waits, virtual time warps to the earliest timer that can wake one. The guest therefore sees
 * the same interleaving, hence the same output and final state, as natively with `smp` harts. A
 * vCPU switch saves the host hart's registers, f registers, fcsr and LR reservation into the
 * outgoing vCPU's context and loads the incoming one's (vcpu_context.ts); its pc, privilege, CSRs
 * and satp are in its state, which every VM entry loads anyway; the technique drops what it cached
 * for the last vCPU (technique.ts `preempted`, `vcpuLoaded`). Each vCPU has its own msip and
 * mtimecmp in the guest's CLINT and its own M and S contexts in its PLIC; an LR reservation of a
 * waiting vCPU is broken by the running one's stores (ReservationWatches); guest sfence.vma drops
 * the shadow entries of the VM, which its vCPUs share (a stale translation another vCPU might still
 * use natively is gone; the spec allows either).
 */
export class Vm implements GuestMemory {
  readonly board: Board;
  /** Every vCPU, indexed by hart id. */
  readonly vcpus: readonly Vcpu[];
  /** The vCPU loaded on the host hart: the one that runs, or that the debugger looks at while stopped. */
  vcpu: Vcpu;
  /** The host's RAM as frames, and who owns each (mm/host_frames.ts). */
  readonly hostFrames: HostFrames;
  /** The host memory of this VM's VMM pools (shadow tables, the technique's, the IOMMU's). */
  readonly pools: readonly { hpa: number; bytes: number }[];
  readonly p2m: P2m;
  /** Content-based page sharing, when on. */
  readonly sharing: PageSharing | undefined;
  /** Hypervisor swapping, when on. */
  readonly swap: HostSwap | undefined;
  /** Guest memory as the debugger looks at it: it never backs a page or swaps one in (mm/peek_memory.ts). */
  readonly lookOnly: GuestMemory;
  /** The VMM's half of ballooning, when the guest has a balloon. */
  readonly balloon: BalloonReclaim | undefined;
  /** The guest step at which the sharing daemon scans next. */
  private nextScan = SHARING_TICK_STEPS;
  readonly devices: GuestDevices;
  /** The virtio devices under the split model, and their register images (io/split_devices.ts). */
  readonly split: SplitDevices;
  /** The host device passed through to the guest, with its IOMMU (deviceModel "passthrough"). */
  readonly passthrough: Passthrough | undefined;
  /** Per vCPU: its virtual timer. */
  private readonly timers: readonly VcpuTimer[];
  readonly shadow: ShadowMmu;
  readonly technique: Technique;
  readonly log: ExitLog;
  readonly costs: CostModel;
  readonly hosting: Hosting;
  /** Exits so far that a hosted VMM would serve in the host OS (cost_model.ts `needsHost`), hosted or not. */
  hostTrips = 0;
  readonly nonTrapping: ReadonlySet<NonTrappingSensitive>;
  /** The guest's FS, virtualized, and the FP switching policy (fpu_switch.ts). */
  readonly fpu: FpuSwitch;
  readonly guestRamBase = RAM_BASE;
  /** The VM's name, when several share a host. */
  readonly name: string | undefined;
  readonly guestRamSize: number;
  readonly boot: GuestBoot;
  /** The firmware calls of a guest that boots in S-mode (sbi.ts). */
  readonly sbiPlatform: SbiPlatform;
  /** Guest instructions the VMM retired by emulating them (the host hart retired the rest). */
  emulatedRetired = 0;
  /**
   * Set while binary translation runs a callout: the emulation's exits are recorded as `bt-callout`
   * (at the callout cost), with the reason a trap would have had in their details.
   */
  inCallout = false;
  /** Called on every exit; return true to stop the run after it (exception breakpoints on exits). */
  exitFilter: ((exit: VmExit) => boolean) | undefined;
  /** The exit that stopped the last run, when `exitFilter` asked to stop. */
  stoppedExit: VmExit | undefined;
  private halted: { code: number; how: HaltHow } | undefined;
  /** Why the VMM powered the VM off (halt "host-memory"), for the user. */
  powerOffReason: string | undefined;
  private pendingStop: StopReason | undefined;
  /** The last run stopped on its budget, perhaps in the middle of a translated block. */
  private resumeMidBlock = false;
  /** The hart's mode at the last VM entry (prv, plus 4 in VS/VU-mode). */
  private entryMode = -1;
  /** Traps the hart delivered to the guest's VS-mode handlers without an exit, since the VM was made. */
  private trapsInGuest = 0;
  /** World switches away from this VM to another on its host (host.ts), since load. */
  worldSwitchesOut = 0;
  /** Guest steps (what `run`'s budget counts) since load: a position in the guest's history. */
  steps = 0;
  /** Each reason's modelled cost, looked up once (every exit needs it). */
  private readonly costOf: ReadonlyMap<ExitReason, number>;
  /** Which vCPU runs on the host hart, round-robin as the board's harts (machine/round_robin.ts). */
  private readonly scheduler: RoundRobin;
  /** The waiting vCPUs' reservations, watched on the host hart (not state: rebuilt on restore). */
  private readonly reservationWatches = new ReservationWatches();

  constructor(opts: VmOptions) {
    const memory = opts.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    const passthrough = isPassthrough(opts);
    const { pool, techniquePool, ioPool } = vmmPools(opts, memory, passthrough);
    if (!Number.isSafeInteger(pool) || pool < 16 * 4096 || pool % 4096 !== 0) {
      throw new VmOptionsError(`shadowPoolBytes must be a multiple of 4096 of at least 64 KiB, not ${pool}`);
    }
    const spec = opts.technique;
    if (passthrough && !opts.disk) throw new VmOptionsError("deviceModel \"passthrough\" passes the guest's virtio-blk device through: it needs a disk");
    const largest = largestGuestRam(spec, pool + ioPool);
    if (memory > largest) {
      throw new VmOptionsError(`memory ${formatMiB(memory)} is too large for this technique: the VMM's own memory takes room beside the guest's RAM in the host's 4 GiB, so the guest can have at most ${formatMiB(largest)}`);
    }
    const maxRoots = opts.maxShadowRoots ?? 8;
    if (!Number.isSafeInteger(maxRoots) || maxRoots < 2 || maxRoots > 4096) {
      throw new VmOptionsError(`maxShadowRoots must be an integer from 2 to 4096, not ${maxRoots}`);
    }
    this.boot = spec.boot ?? opts.boot ?? "machine";
    this.name = opts.name;
    const smp = opts.smp ?? 1;
    if (!Number.isSafeInteger(smp) || smp < 1 || smp > MAX_HARTS) throw new VmOptionsError(`smp must be a whole number of vCPUs from 1 to ${MAX_HARTS}, not ${smp}`);
    const oneVcpu = smp > 1 && vcpusProblem(spec, this.boot);
    if (oneVcpu) throw new VmOptionsError(`smp ${smp}: ${oneVcpu}`);
    const quantum = opts.quantum ?? QUANTUM;
    if (!Number.isSafeInteger(quantum) || quantum < 1) throw new VmOptionsError(`quantum must be a positive integer, not ${quantum}`);
    this.scheduler = new RoundRobin(smp, quantum, {
      steps: () => this.steps,
      halted: () => (this.halted ? { kind: "halt", code: this.halted.code, how: this.halted.how } : undefined),
      warpToFirstTimer: () => this.warpToFirstTimer(),
      switched: () => this.technique.preempted?.(),
    });
    const vmmBytes = pool + techniquePool + ioPool;
    const shared = opts.host;
    if (shared && opts.hostMemoryBytes !== undefined) throw new VmOptionsError("a VM on a shared host has no hostMemory of its own: the host's is set once for all its VMs");
    if (shared && opts.hostSwapBytes !== undefined) throw new VmOptionsError("hostSwap takes the host to one VM: with several VMs on a host, the VMM has no swap area yet");
    const hostBytes = shared ? shared.ram.size : opts.hostMemoryBytes ?? vmmBytes + memory;
    const backAll = shared ? shared.backAll : hostBytes === vmmBytes + memory;
    if (!shared && (!Number.isSafeInteger(hostBytes) || hostBytes % 4096 !== 0 || hostBytes <= vmmBytes || hostBytes > vmmBytes + memory)) {
      throw new VmOptionsError(`hostMemory must be a multiple of 4 KiB above the VMM's own ${formatMiB(vmmBytes)} (its pools) and at most that plus guest RAM, ${formatMiB(vmmBytes + memory)}; not ${hostBytes} bytes`);
    }
    // The IOMMU's table is built once per load from the p2m: the device could not reach a page backed later.
    if (passthrough && !backAll) throw new VmOptionsError("deviceModel \"passthrough\" needs host memory for all of guest RAM: the IOMMU maps guest RAM once, so hostMemory cannot overcommit it");
    this.board = new Board({ memoryBytes: hostBytes, ram: shared?.ram, instructionsPerTick: opts.instructionsPerTick, hypervisorExtension: spec.hypervisorExtension, f: opts.f, d: opts.d });
    this.guestRamSize = memory;
    this.hostFrames = shared ? shared.frames : new HostFrames(VMM_BASE, hostBytes);
    let shadowBase: number, techniqueBase: number, ioBase: number;
    try {
      shadowBase = this.hostFrames.reserveRun(pool, "shadow-pool");
      techniqueBase = techniquePool > 0 ? this.hostFrames.reserveRun(techniquePool, "technique-pool") : shadowBase + pool;
      ioBase = ioPool > 0 ? this.hostFrames.reserveRun(ioPool, "io-pool") : techniqueBase + techniquePool;
    } catch (e) {
      if (!(e instanceof HostMemoryExhausted)) throw e;
      throw new VmOptionsError(`the host's memory has no room left for this VM's VMM pools (${formatMiB(vmmBytes)}): ${e.message}`);
    }
    this.pools = [{ hpa: shadowBase, bytes: pool }, { hpa: techniqueBase, bytes: techniquePool }, { hpa: ioBase, bytes: ioPool }].filter((p) => p.bytes > 0);
    this.p2m = new P2m(this.guestRamBase, memory, this.hostFrames);
    if (opts.hostSwapBytes !== undefined && opts.hostMemoryBytes === undefined) throw new VmOptionsError("hostSwap is where the VMM pages guest memory out when host memory runs out: it needs hostMemory");
    if (opts.hostSwapBytes !== undefined && !spec.swapping) throw new VmOptionsError("hostSwap needs trap-and-emulate or hardware-assisted: this technique's memory virtualization cannot take a page away from the guest and catch its next access");
    const swapBytes = opts.hostSwapBytes;
    if (swapBytes !== undefined && (!Number.isSafeInteger(swapBytes) || swapBytes < 4096 || swapBytes % 4096 !== 0)) throw new VmOptionsError(`hostSwap must be a whole number of 4 KiB pages, at least one, not ${swapBytes} bytes`);
    this.swap = swapBytes === undefined ? undefined : new HostSwap(swapBytes, this.p2m, this.hostFrames, this.board.ram,
      (hpa, len) => this.board.bus.noteRamWrite(hpa, len), (gpa) => this.remapped(gpa),
      (hpa) => this.board.hart.watches.some((w) => w.pa < hpa + 4096 && w.pa + w.len > hpa),
      { swappedOut: (gpa, hpa) => recordSwapOut(this, gpa, hpa), swappedIn: (gpa, hpa, forGuest) => forGuest || recordVmmSwapIn(this, gpa, hpa) });
    this.lookOnly = new PeekMemory(this.p2m, (gpa, n) => this.readGuestPhysical(gpa, n));
    // With room for the whole guest, its RAM is one run right above the pools, as on a machine without overcommit.
    if (backAll) this.p2m.backAll();
    this.vcpus = Array.from({ length: smp }, (_, n) => new Vcpu(n, { f: opts.f, d: opts.d }));
    this.vcpu = this.vcpus[0];
    this.costs = opts.costs ?? { ...SEED_COSTS };
    this.hosting = opts.hosting ?? "native";
    this.costOf = new Map(EXIT_REASON_IDS.map((r) => [r, exitCost(this.costs, r)]));
    this.nonTrapping = new Set(opts.nonTrappingSensitive ?? []);
    this.fpu = new FpuSwitch(this, opts.fpuSwitch ?? "lazy");
    this.log = new ExitLog(opts.exitLogCapacity);
    const hart = this.board.hart;
    this.shadow = new ShadowMmu(this.board.ram, shadowBase, pool / 4096, maxRoots, hart.tlb);
    const window = guestRamWindow(this.board.ram, this.p2m);
    if (opts.pageSharing && !spec.pageSharing) throw new VmOptionsError("pageSharing needs trap-and-emulate or hardware-assisted: this technique's memory virtualization cannot keep shared pages read-only");
    if (opts.pageSharing && passthrough) throw new VmOptionsError("pageSharing does not go with deviceModel \"passthrough\": the IOMMU maps guest RAM once, writable");
    this.sharing = opts.pageSharing && new PageSharing(opts.pageSharing, this.p2m, this.hostFrames, this.board.ram,
      (hpa, len) => this.board.bus.noteRamWrite(hpa, len), (gpa) => this.remapped(gpa), shared?.sharedFrames);
    if (this.sharing) this.p2m.breakShare = (gpa) => this.sharing!.breakShare(gpa);
    if (opts.balloon && spec.noBalloon) throw new VmOptionsError(`balloon is not available under this technique: ${spec.noBalloon}`);
    if (opts.balloon && passthrough) throw new VmOptionsError("balloon does not go with deviceModel \"passthrough\": the IOMMU maps guest RAM once, so a page the balloon takes would stay mapped for the device");
    this.balloon = opts.balloon ? new BalloonReclaim(this.p2m, this.hostFrames, this.board.ram, this.p2m.breakShare,
      (hpa, len) => this.board.bus.noteRamWrite(hpa, len), (gpa) => this.remapped(gpa)) : undefined;
    const halt = (code: number, how: HaltHow) => {
      this.halted = { code, how };
      // HTIF halts on a store the hart itself performs: end the entry right after it, as natively.
      this.board.halt(code, how);
    };
    this.devices = new GuestDevices(window, {
      vcpus: smp,
      retired: () => this.retired,
      linesChanged: () => {
        for (const timer of this.timers) {
          timer.changed();
          timer.sync();
        }
      },
      setMipLine: (bit, level, n) => {
        const v = this.vcpus[n].state;
        v.mipHw = level ? v.mipHw | (1 << bit) : v.mipHw & ~(1 << bit);
      },
      halt,
      watchGuestWrites: (gpa, len, cb) => this.board.watchWrites(this.p2m.toHpa(gpa, len), len,
        (hpa, value, width) => cb(this.p2m.toGpa(hpa), value, width)),
      ramWritten: (gpa, len) => {
        for (const [at, , n] of ramPieces(window, gpa, len)) this.board.bus.noteRamWrite(this.p2m.toHpa(gpa + at, n), n);
      },
      // A device's write into a guest page table stales the shadow entries derived from it, as the
      // guest's own store would (emulate/access.ts); they go at the guest's next sfence.vma.
      dmaWritten: (gpa, len) => void this.shadow.guestPteWritten(gpa, len),
    }, { instructionsPerTick: opts.instructionsPerTick ?? 100, uartOut: opts.uartOut, uartIn: opts.uartIn, tohost: opts.tohost, fromhost: opts.fromhost, disk: passthrough ? undefined : opts.disk, rngSeed: opts.rngSeed, virtioConsole: opts.virtioConsole,
      balloon: opts.balloon, balloonReclaim: this.balloon && ((gpa) => {
        // A page in the swap area leaves it too: the guest gave the page up, so its contents go.
        this.swap?.discard(gpa);
        this.balloon!.reclaim(gpa);
      }) });
    this.split = new SplitDevices(this.board.bus, this.devices.virtio, opts.deviceModels ?? EMULATED_DEVICES);
    this.passthrough = passthrough ? new Passthrough(this, ioBase, ioPool, opts.disk!) : undefined;
    const timerBit = this.boot === "supervisor" ? MIP_STIP : MIP_MTIP;
    for (const c of this.vcpus) c.state.time = this.devices.clint;
    this.timers = this.vcpus.map((c) => new VcpuTimer(this.devices.clint, c.state, timerBit, () => this.retired, c.id));
    const out = opts.uartOut ?? { write: () => {} };
    this.sbiPlatform = {
      putchar: (b) => out.write(b),
      getchar: () => opts.uartIn?.read() ?? -1,
      setTimer: (t) => {
        this.timer.mtimecmp = t;
      },
      shutdown: (code) => halt(code, "sbi"),
      readGuest: (gpa, n) => this.readGuestPhysical(gpa, n),
    };
    // Every trap the guest takes is an exit, except those the hart delivers to the guest's own
    // handlers (VS-mode under hardware assistance, host S-mode under paravirtualization), which are
    // guest steps like any other (Vm.run's budget counts them).
    hart.onTrap = () => {
      if (hart.prv === 3) return true;
      this.trapsInGuest++;
      return false;
    };
    this.technique = spec.create(this, techniqueBase, techniquePool);
  }

  /**
   * Whether a run would find nothing to do: every vCPU waits in WFI with nothing pending that wakes
   * it, and no timer of its own that could (a VM alone warps its time to its timer).
   */
  get idle(): boolean {
    return this.vcpus.every((c, n) => {
      const timer = this.timers[n];
      timer.sync();
      return c.state.waiting && !wakeable(c.state) && (this.vcpus.length > 1 || !timer.canWake());
    });
  }

  /** The stop an exit recorded outside a run asked for (an exception filter on a world switch), taken. */
  takeStop(): StopReason | undefined {
    const stop = this.pendingStop;
    this.pendingStop = undefined;
    return stop;
  }

  /** The halt that ended the guest, once it has. */
  get halt(): { code: number; how: HaltHow } | undefined {
    return this.halted;
  }

  /**
   * The VMM's scheduler took the host hart from this VM and gave it to VM `to` (host.ts): the
   * world switch is this VM's exit, at the pc where it left off.
   */
  worldSwitchTo(from: string, to: string): void {
    this.worldSwitchesOut++;
    this.record("world-switch", undefined, { from, to }, () => ({
      action: `world switch: ${from}'s time slice is over; the VMM saved its world and loaded ${to}'s`,
      steps: [
        { phase: "vcpu", text: `save ${from}'s registers, CSRs and page-table root (its shadow root, or hgatp)` },
        { phase: "resume", text: `load ${to}'s and enter it; ${from} resumes here at its next slice` },
      ],
    }));
  }

  /** The virtual timer of the vCPU loaded on the host hart. */
  get timer(): VcpuTimer {
    return this.timers[this.vcpu.id];
  }

  /** Guest instructions retired, by all vCPUs: by the host hart (running the guest) plus by the VMM's emulation. */
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
      if (!this.p2m.isRam(s.paddr, Math.max(s.memsz, 1))) {
        throw new LoadError(`segment ${i} at 0x${s.paddr.toString(16)} (${s.memsz} bytes) lies outside guest RAM ` +
          `0x${this.guestRamBase.toString(16)}–0x${(this.guestRamBase + this.guestRamSize).toString(16)}`);
      }
    });
    this.board.load({ entry: program.entry, segments: [] });
    try {
      for (const s of program.segments) this.devices.bus.writeBytes(s.paddr, s.data);
    } catch (e) {
      if (e instanceof HostMemoryExhausted) throw new LoadError(`the program does not fit in host memory: ${e.message}`);
      throw e;
    }
    const hart = this.board.hart;
    // What firmware does for the VMM: PMP entry 0 lets U-mode (the guest) and the page walker reach
    // host RAM at all; which pages the guest reaches is then decided by the shadow tables alone.
    hart.writeCsr(CSR.pmpaddr0, -1n);
    hart.writeCsr(CSR.pmpcfg0, 0x1fn);
    // Every vCPU starts at the entry with a0 = its hart id, as every hart does natively; vCPU 0 is loaded.
    for (const c of this.vcpus) {
      c.state.reset(program.entry);
      c.context.reset(c.id);
      c.trapsInARow = 0;
      c.othersRetired = 0;
      c.leftAt = 0;
    }
    this.vcpu = this.vcpus[0];
    this.vcpu.context.restore(hart);
    this.scheduler.reset();
    this.reservationWatches.clear();
    if (this.boot === "supervisor") this.bootSupervisor();
    this.devices.clint.reset();
    this.emulatedRetired = 0;
    this.shadow.reset();
    this.fpu.reset();
    this.technique.reset();
    this.passthrough?.reset();
    this.log.clear();
    this.halted = undefined;
    this.powerOffReason = undefined;
    this.pendingStop = undefined;
    this.stoppedExit = undefined;
    this.resumeMidBlock = false;
    this.entryMode = -1;
    this.steps = 0;
    this.worldSwitchesOut = 0;
    this.nextScan = SHARING_TICK_STEPS;
    for (const timer of this.timers) {
      timer.changed();
      timer.sync();
    }
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

  /** Takes waiting input where the guest wants it (its UART RX FIFO, its virtio-console, or the technique's console); true if any byte was taken. */
  pollInput(): boolean {
    const uart = this.devices.uart;
    const before = uart.received;
    const taken = this.devices.pollInput();
    this.technique.pollInput?.();
    return taken || uart.received !== before;
  }

  /**
   * Runs at most `budget` guest steps (instructions retired plus traps taken), like Board.run, yieldNow too.
   * A guest page that needs a host frame when none is left ends the VM: the VMM powers it off, as ESX
   * does without swap, and the run ends as a halt "host-memory" with code 1.
   */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    this.stoppedExit = undefined;
    try {
      return this.sharing ? this.runSharing(budget, yieldNow) : this.runScheduled(budget, yieldNow);
    } catch (e) {
      if (!(e instanceof HostMemoryExhausted)) throw e;
      this.halted = { code: 1, how: "host-memory" };
      this.powerOffReason = e.message;
      return { kind: "halt", code: 1, how: "host-memory" };
    }
  }

  /**
   * Runs in pieces that end where the sharing daemon is due (every SHARING_TICK_STEPS guest steps),
   * so that it scans at the same points of the guest's history however the debugger slices the run.
   */
  private runSharing(budget: number, yieldNow?: () => boolean): StopReason {
    const end = this.steps + budget;
    for (let first = true; ; first = false) {
      // A piece after the first starts at a breakpoint the guest reached: it stops there, as one run would.
      if (!first && this.board.hart.breakpoints.has(this.vcpu.state.pc)) return { kind: "breakpoint", pc: this.vcpu.state.pc };
      const upTo = Math.min(end, this.nextScan);
      const r = this.runScheduled(upTo - this.steps, yieldNow);
      if (this.steps >= this.nextScan) {
        this.sharing!.scan();
        this.nextScan += SHARING_TICK_STEPS;
      }
      if (r.kind !== "budget" || this.steps < upTo || this.steps >= end) return r;
    }
  }

  /** Runs the vCPUs, one at a time in turn when there are several (the scheduler's quantum). */
  private runScheduled(budget: number, yieldNow?: () => boolean): StopReason {
    const pace = new Pace(yieldNow, budget);
    if (this.vcpus.length === 1) return this.runVcpu(budget, 0, pace, true);
    return this.scheduler.run(budget, (n, slice, rest, first) => {
      this.loadVcpu(n);
      return this.runVcpu(slice, rest, pace, first);
    });
  }

  /** Guest steps a vCPU runs before the next takes the host hart. */
  get quantum(): number {
    return this.scheduler.quantum;
  }

  /** Times the scheduler switched the host hart from one vCPU to the next, since load. */
  get vcpuSwitches(): number {
    return this.scheduler.switches;
  }

  /** The vCPU the scheduler runs now. */
  get scheduled(): number {
    return this.scheduler.current;
  }

  /** The vCPU the last stop of a run concerns (the one that hit the breakpoint, trapped, …). */
  get stopVcpu(): number {
    return this.scheduler.stopped;
  }

  /**
   * Makes vCPU `n` the one that runs next, with a fresh quantum (the debugger steps the thread the
   * user selected). Nothing changes when it already is.
   */
  focus(n: number): void {
    this.scheduler.focus(n);
  }

  /**
   * Loads vCPU `n`'s context on the host hart (vcpu_context.ts), saving the loaded one's: to run it,
   * or for the debugger to look at it. Nothing happens when it is loaded already.
   */
  loadVcpu(n: number): void {
    const next = this.vcpus[n];
    const out = this.vcpu;
    if (next === out) return;
    const hart = this.board.hart;
    out.context.save(hart);
    out.leftAt = this.retired;
    next.context.restore(hart);
    next.othersRetired += this.retired - next.leftAt;
    this.vcpu = next;
    // The host hart stopped inside a block of the other vCPU's code.
    this.resumeMidBlock = false;
    hart.midBlock = false;
    this.reservationWatches.sync(hart, this.vcpus.filter((c) => c !== next).map((c) => c.context));
    this.technique.vcpuLoaded?.();
  }

  /** The host hart's state was put back to an earlier moment (time travel): the reservation watches follow. */
  restored(): void {
    this.reservationWatches.clear();
    if (this.vcpus.length > 1) this.reservationWatches.sync(this.board.hart, this.vcpus.filter((c) => c !== this.vcpu).map((c) => c.context));
  }

  /**
   * Every vCPU waits in WFI: virtual time warps to the earliest mtimecmp among the vCPUs whose timer
   * can wake them. False when none can: the VM is idle.
   */
  private warpToFirstTimer(): boolean {
    let first: VcpuTimer | undefined;
    let at = Infinity;
    for (const timer of this.timers) {
      const deadline = this.devices.clint.deadline(timer.hart);
      if (timer.canWake() && deadline >= 0 && deadline < at) {
        first = timer;
        at = deadline;
      }
    }
    if (!first) return false;
    this.devices.clint.warpToDeadline(first.hart);
    return true;
  }

  /**
   * Runs the loaded vCPU for at most `budget` guest steps. `rest` is what the caller's budget holds
   * beyond these (for the yield check's accounting); `first` says the run starts here (a breakpoint
   * at the pc is the one the last run stopped at). Alone, a vCPU in WFI with only its timer to wake
   * it warps virtual time to its mtimecmp; with others, it returns "idle" and the scheduler decides.
   */
  private runVcpu(budget: number, rest: number, pace: Pace, first: boolean): StopReason {
    const c = this.vcpu;
    const v = c.state;
    const hart = this.board.hart;
    const technique = this.technique;
    const timer = this.timer;
    const alone = this.vcpus.length === 1;
    let left = budget;
    for (;;) {
      this.passthrough?.service();
      // A stop the exit filter or the trap hook asked for comes before the halt it may precede.
      const stop = this.pendingStop ?? v.pendingStop;
      if (stop) {
        this.pendingStop = undefined;
        v.pendingStop = undefined;
        return stop;
      }
      if (this.halted) return { kind: "halt", code: this.halted.code, how: this.halted.how };
      if (c.trapsInARow >= TRAP_LOOP_STEPS) {
        c.trapsInARow = 0;
        return { kind: "trap-loop", pc: v.pc };
      }
      if (left <= 0 || pace.yielded || pace.check.due(left + rest)) return { kind: "budget" };
      timer.sync();
      if (v.waiting) {
        if (!wakeable(v)) {
          if (!alone || !timer.canWake()) return { kind: "idle" };
          this.devices.clint.warpToDeadline(timer.hart);
        }
        v.waiting = false;
      }
      const irq = pendingInterrupt(v);
      if (irq >= 0 && !technique.deliversInterrupt(irq)) {
        if (technique.injectInterrupt) technique.injectInterrupt(irq);
        else injectInterrupt(this, irq);
        technique.stepped(true);
        c.trapsInARow++;
        left--;
        this.steps++;
        first = false;
        continue;
      }
      if (hart.breakpoints.size > 0 && !first && hart.breakpoints.has(v.pc)) return { kind: "breakpoint", pc: v.pc };
      // A run that resumes where the last one ran out of budget continues inside its block; told it
      // was a jump target, the translator would seed new block entries in the middle of hot loops.
      const resumable = this.resumeMidBlock && hart.midBlock && hart.pcNum === v.pcNum;
      let slice = Math.min(left, technique.enter());
      const mode = hart.prv + (hart.virt ? 4 : 0);
      hart.midBlock = resumable && mode === this.entryMode;
      this.entryMode = mode;
      const deadline = timer.deadline();
      if (deadline >= 0) slice = Math.min(slice, deadline - this.retired);
      const leftBefore = left;
      const retiredBefore = this.retired;
      const trapsBefore = this.trapsInGuest;
      const r = this.board.run(slice, pace.ask);
      const ran = this.retired - retiredBefore + this.trapsInGuest - trapsBefore;
      left -= ran;
      this.steps += ran;
      this.resumeMidBlock = r.kind === "budget";
      technique.leave();
      if (r.kind === "trap") {
        v.pc = r.pc;
        const handled = technique.handleExit(r.cause, r.tval);
        left -= handled;
        this.steps += handled;
      } else {
        v.pc = hart.pc;
        if (r.kind === "watchpoint") return { ...r, pc: v.pc, pa: this.p2m.toGpa(r.pa) };
        // A halt (HTIF) comes round the loop; a breakpoint's or a trap loop's pc is the guest's.
        if (r.kind === "breakpoint" || r.kind === "trap-loop") return r;
        if (r.kind === "budget" && deadline >= 0 && this.retired >= deadline) timer.expired(this);
      }
      const steps = leftBefore - left;
      // Until the guest has taken a step, it is still at the instruction the run began on (or a
      // hidden fault's retry of it): a breakpoint there must not fire again.
      if (steps > 0) {
        first = false;
        technique.stepped(false);
        const retired = this.retired - retiredBefore;
        c.trapsInARow = retired > 0 ? steps - retired : c.trapsInARow + steps;
      }
    }
  }

  // ---- services for the technique ----

  /**
   * Records an exit at `pc` and `priv` (default: the vCPU's) with its modelled cost, `times` its
   * operation's (the instructions a translation took), plus a world switch when the VMM switched
   * worlds (cost_model.ts) and what the FP switching policy adds there (fpu_switch.ts), plus `extraCycles`;
   * asks the exit filter whether to stop.
   * `narrate` builds the exit's text from values it captured at the exit, on first read only (exits.ts).
   */
  record(
    reason: ExitReason, instruction: ExitInstruction | undefined, details: ExitDetails, narrate: () => ExitNarrative,
    pc?: PcAt, priv?: number, worldSwitch = false, times = 1, extraCycles = 0,
  ): VmExit {
    const v = this.vcpu.state;
    // What the exit asks of the VMM decides whether it needs the host OS, even inside a callout.
    const hostTrip = needsHost(reason);
    if (hostTrip) this.hostTrips++;
    if (this.inCallout) {
      details.callout = reason;
      reason = "bt-callout";
    }
    const hosted = hostTrip && this.hosting === "hosted";
    const cycles = (this.costOf.get(reason) ?? 0) * times + (worldSwitch ? this.costs.worldSwitch + this.fpu.worldSwitch(details) : 0) + extraCycles +
      (hosted ? hostTripCycles(this.costs, 1) : 0);
    const told = hosted ? hostedNarrative(narrate, this.costs.worldSwitch) : narrate;
    const record = new ExitRecord(this.vcpu.id, pc ?? pcAt(v), priv ?? v.prv, this.retired, reason, instruction, details, cycles, told);
    record.vm = this.name;
    const exit = this.log.add(record);
    if (this.exitFilter?.(exit) && !this.pendingStop) {
      this.stoppedExit = exit;
      this.pendingStop = { kind: "trap", cause: exit.details.cause ?? 0n, tval: exit.details.tval ?? exit.details.gva ?? 0n, pc: exit.pc };
    }
    return exit;
  }

  /**
   * The VMM stored `size` bytes (at most 8) to guest RAM at host-physical `hpa` on the guest's
   * behalf: an emulated store, a validated page-table update, a hypercall's result. Data breakpoints,
   * `lastwrite` and HTIF see it as the guest's own store, by the instruction whose exit made it
   * (the vCPU's pc until the exit retires it), and a run that a watch asks to stop ends after the exit.
   */
  storedForGuest(hpa: number, size: number): void {
    if (!this.board.storeMadeFor(hpa, size) || this.pendingStop) return;
    this.pendingStop = { kind: "watchpoint", pc: this.vcpu.state.pc, pa: this.p2m.toGpa(hpa), size, write: true };
  }

  /** Counts one instruction the VMM emulated as retired by the guest. */
  retire(length: number): void {
    const v = this.vcpu.state;
    this.emulatedRetired++;
    v.retired = this.retired - this.vcpu.othersRetired;
    if (v.wildPc === undefined) v.pcNum += length;
    else v.pc = v.wildPc + BigInt(length);
  }

  /** How the instruction being emulated reached the VMM, for the narratives. */
  get trappedHow(): string {
    return this.technique.trappedHow;
  }

  /** Guest instructions vCPU `c` has retired (its minstret, unless the guest wrote that). */
  retiredBy(c: Vcpu): number {
    return (c === this.vcpu ? this.retired : c.leftAt) - c.othersRetired;
  }

  /** Keeps the vCPU's counters on guest time before CSR emulation reads them. */
  syncTime(): void {
    this.vcpu.state.retired = this.retired - this.vcpu.othersRetired;
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

  /** The guest's translation of `va` for access `acc` (no A/D update unless asked), its table read through `mem` (the debugger's: `lookOnly`). */
  translate(va: number, acc: Acc, setAccessed: boolean, mem: GuestMemory = this): GuestTranslation {
    if (this.technique.translateGuest) return this.technique.translateGuest(va, acc, setAccessed);
    const v = this.vcpu.state;
    const priv = acc === Acc.X ? v.prv : guestDataPriv(v, acc);
    if (!guestTranslates(v, priv)) {
      return va >= 0 ? { ok: true, gpa: va, level: -1, flags: 0, steps: [] } : { ok: false, cause: [5, 7, 1][acc], steps: [] };
    }
    return walkGuest(v, mem, va, acc, priv, setAccessed);
  }

  /** The bits of the instruction that trapped at the guest's pc. */
  trappedInstruction(): number | undefined {
    return this.technique.trappedInstruction();
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

  /** The host-physical address behind guest-physical `gpa`: guest RAM, or a passed-through device's registers; −1 if none. */
  hpaOf(gpa: number): number {
    const hpa = this.p2m.toHpa(gpa);
    return hpa >= 0 || !this.passthrough ? hpa : this.passthrough.hpaOf(gpa);
  }

  /** A guest PTE as the debugger's panels read it (`lookOnly`: no page backed, none swapped in). */
  readPte(gpa: number): bigint | undefined {
    const at = this.lookOnly.pteOffset(gpa);
    return at < 0 ? undefined : this.lookOnly.ramView.getBigUint64(at, true);
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

  /**
   * Guest-physical memory for the debugger; null where it is not guest RAM. Looking does not touch:
   * a page the guest has not touched yet reads as the zeros it would hold, and gets no host frame; a
   * page swapped out reads from the swap area, and stays there.
   */
  readGuestPhysical(gpa: number, length: number): Uint8Array | null {
    if (!this.p2m.isRam(gpa, length)) return this.devices.bus.readBytes(gpa, length);
    const out = new Uint8Array(length);
    const ram = this.board.ram;
    for (let at = 0; at < length;) {
      const n = Math.min(length - at, 4096 - ((gpa + at) % 4096));
      const hpa = this.p2m.peekHpa(gpa + at, n);
      const swapped = hpa < 0 ? this.swap?.peek(gpa + at, n) : undefined;
      if (hpa >= 0) out.set(ram.bytes.subarray(hpa - ram.base, hpa - ram.base + n), at);
      else if (swapped) out.set(swapped, at);
      at += n;
    }
    return out;
  }

  /**
   * The guest fenced its address translation (an emulated sfence.vma for this VPN and ASID, −1: all):
   * the shadow entries its page-table writes made stale go, and whatever the technique caches.
   */
  fenceGuest(vpn: number, asid: number): { invalidated: number; hardware: string | undefined } {
    return { invalidated: this.shadow.sfence(vpn, asid), hardware: this.technique.fenced?.(vpn, asid) };
  }

  /**
   * The p2m points the page at `gpa` at another frame, made it read-only (page sharing) or took its
   * frame away (ballooning, swapping): shadow entries and whatever the technique derived from the old
   * mapping go.
   */
  remapped(gpa: number): void {
    this.shadow.reset();
    this.technique.remapped?.(gpa);
    // The host hart may have stopped inside a block it fetched through the old mapping (another VM's
    // page sharing remaps this VM's pages between its slices): its next entry fetches afresh, as a
    // hart does after the TLB flush, and takes the hidden fault the new mapping needs.
    this.resumeMidBlock = false;
    flushFast(this.board.hart);
  }

  /** The guest's PMP changed: shadow entries were derived under the old one. Returns what the VMM did. */
  guestPmpChanged(): string {
    this.shadow.reset();
    const more = this.technique.pmpChanged?.();
    return `all shadow tables dropped${more ? `; ${more}` : ""}`;
  }

  /** The shadow root the guest runs on now. */
  currentRoot(): ShadowRoot {
    return this.shadow.rootFor(this.context());
  }
}
