import { Board, RAM_BASE, sharePeers, type LoadableProgram, type StopReason } from "../machine/board";
import { formatMiB, MAX_MEMORY_BYTES } from "../machine/memory_size";
import { Ram } from "../machine/memory";
import { RoundRobin } from "../machine/round_robin";
import { HostFrames } from "./mm/host_frames";
import { SharedFrames } from "./mm/page_sharing";
import { Vm, VmOptionsError, vmFootprint, type VmOptions } from "./vm";

/** One VM of a host: its name (the UART prefix, the thread names) and how it is made. */
export interface HostedVm {
  name: string;
  options: Omit<VmOptions, "host" | "hostMemoryBytes" | "hostSwapBytes">;
}

export interface HostOptions {
  /** The host's RAM; default: room for every VM's VMM pools and all of its RAM, so nothing is overcommitted. */
  memoryBytes?: number;
  /** Guest steps a VM runs before the VMM gives the host hart to the next; default VM_SLICE. */
  slice?: number;
}

/**
 * Guest steps (instructions retired plus traps taken) of a VM's time slice: 100 µs of guest time at
 * QEMU's `-icount shift=0` (1 ns an instruction), short enough that two lesson guests' output
 * interleaves, long enough that the world switch at its end (7,555 cycles) costs the VMs under a
 * tenth of their time.
 */
export const VM_SLICE = 100_000;

/** Why a run of the host stopped, and which VM it concerns. */
export interface HostStop {
  /** Index into `vms` of the VM the stop concerns (the last one that ran, for "budget" and "idle"). */
  vm: number;
  stop: StopReason;
}

/**
 * Several VMs on one host: one host hart, one host RAM, one VMM (issue 17; the seed's "one VMM
 * multiplexing several VMs on one machine").
 *
 * The host's RAM is one set of frames (mm/host_frames.ts) from which each VM, in order, takes its
 * VMM pools and then its guest pages, first-touch or (when the host has room for all) at once; a
 * frame one VM gives back (its balloon) can back another's page. Each VM keeps its own world: its
 * host hart's registers, CSRs, TLB and decoded code, which is what a world switch saves and loads on
 * a real host; here each VM's world stays in a Board of its own over the shared RAM (Board `ram`),
 * so a switch moves nothing. A page of one VM is mapped only by that VM's shadow or G-stage tables,
 * built from its own p2m, so no VM reaches another's frames; the isolation tests check it.
 *
 * The VMM's scheduler is round-robin from the first VM, each for `slice` guest steps, or until its
 * guest waits with nothing to wake it, or halts, or stops the run (machine/round_robin.ts, as the
 * board schedules its harts). Every time the host hart passes from one VM to another, the VM it
 * leaves records a `world-switch` exit with the world switch's modelled cost. A VM's time is its own
 * (its CLINT counts its own instructions, as with `-icount`): time stands still for a VM while
 * others run, so each VM runs exactly as it would alone, whatever the schedule; only what they share
 * (host memory, page sharing) depends on it, and the schedule depends on nothing but the guests.
 */
export class Host {
  readonly ram: Ram;
  readonly frames: HostFrames;
  /** Pages shared copy-on-write across the VMs that have pageSharing on (mm/page_sharing.ts). */
  readonly sharedFrames = new SharedFrames();
  readonly vms: readonly Vm[];
  readonly names: readonly string[];
  private readonly scheduler: RoundRobin;
  /** The VM that ran last on the host hart, and whether anything was loaded since. */
  private onHart = 0;
  private loaded = false;

  constructor(vms: readonly HostedVm[], opts: HostOptions = {}) {
    if (vms.length < 1) throw new VmOptionsError("a host runs at least one VM");
    const names = vms.map((v) => v.name);
    for (const [i, name] of names.entries()) {
      if (name.trim() === "") throw new VmOptionsError(`VM ${i + 1} has no name: each VM needs one (its UART's prefix, its threads' names)`);
      if (names.indexOf(name) !== i) throw new VmOptionsError(`two VMs are named ${JSON.stringify(name)}: names must differ`);
    }
    const whole = vms.reduce((sum, v) => sum + vmFootprint(v.options), 0);
    const bytes = opts.memoryBytes ?? whole;
    if (!Number.isSafeInteger(bytes) || bytes % 4096 !== 0 || bytes <= 0 || bytes > whole) {
      throw new VmOptionsError(`hostMemory must be a multiple of 4 KiB, at most what every VM's pools and RAM take together, ${formatMiB(whole)}; not ${bytes} bytes`);
    }
    if (bytes > MAX_MEMORY_BYTES) throw new VmOptionsError(`the VMs need ${formatMiB(bytes)} of host memory together, more than the host's ${formatMiB(MAX_MEMORY_BYTES)}: give them less memory, or a smaller hostMemory`);
    const slice = opts.slice ?? VM_SLICE;
    if (!Number.isSafeInteger(slice) || slice < 1) throw new VmOptionsError(`the VMs' time slice must be a positive whole number of guest steps, not ${slice}`);
    this.ram = new Ram(RAM_BASE, bytes);
    this.frames = new HostFrames(RAM_BASE, bytes);
    const host = { ram: this.ram, frames: this.frames, backAll: bytes === whole, sharedFrames: this.sharedFrames };
    this.vms = vms.map((v) => {
      try {
        return new Vm({ ...v.options, name: v.name, host });
      } catch (e) {
        if (e instanceof VmOptionsError) throw new VmOptionsError(`VM ${JSON.stringify(v.name)}: ${e.message}`);
        throw e;
      }
    });
    this.names = names;
    sharePeers(this.vms.map((vm): Board => vm.board));
    this.scheduler = new RoundRobin(this.vms.length, slice, {
      steps: () => this.steps,
      // A VM that halts powers off alone; the host runs until every VM has.
      halted: () => (this.vms.every((vm) => vm.halt) ? { kind: "halt", code: this.vms[0].halt!.code, how: this.vms[0].halt!.how } : undefined),
      // Each VM's time is its own: a VM whose timer can wake it warps its own clock inside its run,
      // so VMs that all wait have nothing that could wake them.
      warpToFirstTimer: () => false,
      switched: () => {},
    });
  }

  /** Guest steps of every VM since load. */
  get steps(): number {
    let n = 0;
    for (const vm of this.vms) n += vm.steps;
    return n;
  }

  /** The VM the scheduler runs now (the next run resumes it). */
  get current(): number {
    return this.scheduler.current;
  }

  get slice(): number {
    return this.scheduler.quantum;
  }

  /** World switches between VMs since load. */
  get worldSwitches(): number {
    let n = 0;
    for (const vm of this.vms) n += vm.worldSwitchesOut;
    return n;
  }

  /** Loads each VM's program (`programs[i]` into `vms[i]`) on a cleared host. */
  load(programs: readonly LoadableProgram[]): void {
    if (programs.length !== this.vms.length) throw new RangeError(`${this.vms.length} VMs need as many programs, not ${programs.length}`);
    if (this.loaded) this.ram.bytes.fill(0);
    this.loaded = true;
    this.vms.forEach((vm, i) => vm.load(programs[i]));
    this.scheduler.reset();
    this.onHart = 0;
  }

  /**
   * Runs at most `budget` guest steps of all the VMs, in turn. Returns at a VM's stop (its
   * breakpoint, its halt: the others run on at the next call), when every VM has halted, when none
   * can run ("idle"), or on the budget.
   */
  run(budget: number, yieldNow?: () => boolean): HostStop {
    /** A VM whose world-switch exit asked to stop (an exception filter): the stop is its own. */
    let stoppedOut: number | undefined;
    const stop = this.scheduler.run(budget, (n, slice, _rest, first) => {
      const vm = this.vms[n];
      // A VM that halted, or waits with nothing to wake it, is passed over, not switched to.
      if (vm.halt || vm.idle) return { kind: "idle" };
      if (n !== this.onHart) {
        const out = this.onHart;
        this.worldSwitch(n);
        const asked = this.vms[out].takeStop();
        if (asked) {
          stoppedOut = out;
          return asked;
        }
      }
      // A slice after the run's first starts where the VM was preempted: a breakpoint there is one it reached.
      const pc = vm.vcpu.state.pc;
      if (!first && vm.board.hart.breakpoints.has(pc)) return { kind: "breakpoint", pc };
      return vm.run(slice, yieldNow);
    });
    if (stop.kind === "budget" || stop.kind === "idle") return { vm: this.onHart, stop };
    return { vm: stoppedOut ?? this.scheduler.stopped, stop };
  }

  /**
   * One step of VM `n` alone (the debugger steps a thread), by `step` (its target's, which keeps its
   * history); the host hart passes to it first when another VM was on it.
   */
  step(n: number, step: () => StopReason): StopReason {
    if (n !== this.onHart) this.worldSwitch(n);
    this.scheduler.focus(n);
    return step();
  }

  /** The host hart passes from the VM on it to VM `n`: the one that leaves records the world switch. */
  private worldSwitch(n: number): void {
    this.vms[this.onHart].worldSwitchTo(this.names[this.onHart], this.names[n]);
    this.onHart = n;
  }
}
