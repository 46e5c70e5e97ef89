import { EXCEPTIONS, INTERRUPTS, INTERRUPT_BIT, causeName } from "../isa/causes";
import { PRIV_NAMES } from "../isa/privilege";
import type { ByteSink, ByteSource, HaltHow } from "../machine/device";
import type { StopReason } from "../machine/board";
import type { BlockBackend } from "../machine/devices/virtio/block_backend";
import type { GuestBoot, NonTrappingSensitive } from "../hypervisor/vm";
import type { Hosting } from "../hypervisor/cost_model";
import type { FpuSwitchPolicy } from "../target/target_options";
import type { DeviceModels, PageSharingOptions } from "../target/target_options";
import { createTarget } from "../target/create_target";
import { snapshotOf } from "../target/disk_image";
import type { CpuModel } from "../target/cpu";
import type { Target } from "../target/target";
import type { InputEvent } from "../target/history/recorded_console";
import { runTo } from "../target/technique_comparison";
import type { Technique } from "../target/techniques";
import { exitLine, exitSummary } from "./exits_report";
import { EXIT_INTERRUPTED, EXIT_LOAD_ERROR, EXIT_NO_HALT } from "./exit_status";
import type { GuestProgram } from "./program";
import type { GdbAddress } from "../gdb/address";
import type { GdbServer } from "../gdb/server";

export interface RunSettings {
  memoryBytes: number;
  maxInstructions?: number;
  timeoutSeconds?: number;
  traceTraps: boolean;
  technique?: Technique;
  boot?: GuestBoot;
  exits?: boolean;
  /** The bare board's hart (cpu.ts); default rv64, without the H extension. */
  cpu?: CpuModel;
  /** Serve GDB's remote protocol (--gdb), and hold the guest until a client continues (--wait). */
  gdb?: { address: GdbAddress; wait: boolean };
  /** The Popek–Goldberg option (vm.ts). */
  nonTrappingSensitive?: readonly NonTrappingSensitive[];
  /**
   * A replay (replay.ts): the recorded UART input, read where it was read (instead of io.input), and
   * the step at which the recorded run ended, where a run stopped from outside stops again.
   */
  replay?: { input: readonly InputEvent[]; endStep: number };
  /** The virtio-blk disk, already opened (target/disk_image.ts). */
  disk?: BlockBackend;
  /** The seed of the virtio-rng device (--rng); none when absent. */
  rngSeed?: number;
  /** A type 1 (default) or type 2 VMM: the modelled costs (cost_model.ts). */
  hosting?: Hosting;
  /** The host's RAM under a VMM (--host-memory); default room for all of guest RAM. */
  hostMemoryBytes?: number;
  /** Content-based page sharing under a VMM (a launch configuration's `pageSharing`, run --config); off when absent. */
  pageSharing?: PageSharingOptions;
  /** The VMM's swap area with --host-memory (--host-swap); no swapping when absent. */
  hostSwapBytes?: number;
  /** How the VMM switches the guest's FP state at world switches; default lazy. */
  fpuSwitch?: FpuSwitchPolicy;
  /** A virtio-console on the same output and input as the UART (--virtio-console). */
  virtioConsole?: boolean;
  /** A virtio-balloon in virtio-mmio slot 6 (--balloon). */
  balloon?: boolean;
  /** How the VMM gives the guest its virtio devices (--device-model). */
  deviceModels?: DeviceModels;
  /** Harts on the board (--smp); default 1. */
  smp?: number;
  /** The timebase as QEMU's -icount shift=N (--icount-shift); default 0. */
  icountShift?: number;
}

/** What the run loop needs from the outside world; the CLI passes the process's, tests pass their own. */
export interface RunIo {
  /** The guest's UART output. */
  out: ByteSink;
  /** The guest's UART input. */
  input: ByteSource;
  /** One line for stderr (traces and the summary), without its newline. */
  log(line: string): void;
  /** Called between slices: push buffered output out. */
  flush(): void;
  /** Whether more input may still arrive (stdin not at end). */
  inputOpen(): boolean;
  /** Resolves when input arrives or after `ms`. */
  waitForInput(ms: number): Promise<void>;
  /** Lets the event loop run (stdin data, signals); called between slices. */
  breathe(): Promise<void>;
  /** True once the user asked to stop (Ctrl-C). */
  interrupted(): boolean;
  /** Wall-clock milliseconds. */
  now(): number;
}

export type RunEnd =
  /** `why`: the VMM's words, when it powered the guest off (how "host-memory"). */
  | { kind: "halt"; code: number; how: HaltHow; why?: string }
  | { kind: "limit" }
  | { kind: "timeout" }
  /** Trap after trap without a retired instruction: the trap handler itself faults (board.ts). */
  | { kind: "trap-loop"; pc: bigint }
  | { kind: "idle" }
  | { kind: "interrupted" }
  /** The GDB client sent `kill`. */
  | { kind: "killed" }
  | { kind: "load-error"; message: string }
  | { kind: "gdb-error"; message: string }
  | { kind: "unexpected-stop"; reason: StopReason }
  /** A replay reached the step at which the recorded run was stopped from outside (limit, timeout, Ctrl-C). */
  | { kind: "replay-end" };

/** Where a run ended: what a record keeps of it and its replay compares. */
export interface FinalState {
  /** Steps (instructions retired plus traps taken) since load: the history position. */
  steps: number;
  instret: bigint;
  pc: bigint;
  priv: number;
  /** x1 … x31. */
  registers: bigint[];
  /** The UART input the guest read, where it read it. */
  input: readonly InputEvent[];
}

export interface RunResult {
  end: RunEnd;
  exitCode: number;
  instructions: bigint;
  seconds: number;
  /** The one-line summary for stderr. */
  summary: string;
  /** The guest's state at the end; undefined when it never ran. */
  final?: FinalState;
}

/** Loads the program under the chosen technique and runs it to the end, as `hyperstep run` does. */
export async function runProgram(program: GuestProgram, settings: RunSettings, io: RunIo): Promise<RunResult> {
  const technique = settings.technique ?? "native";
  const created = createTarget(program.image, {
    technique, boot: settings.boot, cpu: settings.cpu, memoryBytes: settings.memoryBytes, uartOut: io.out, uartIn: io.input,
    nonTrappingSensitive: settings.nonTrappingSensitive, historyBytes: 0, replayInput: settings.replay?.input, disk: settings.disk, rngSeed: settings.rngSeed,
    hosting: settings.hosting, hostMemoryBytes: settings.hostMemoryBytes, pageSharing: settings.pageSharing, hostSwapBytes: settings.hostSwapBytes, fpuSwitch: settings.fpuSwitch,
    virtioConsole: settings.virtioConsole, balloon: settings.balloon, deviceModels: settings.deviceModels,
    smp: settings.smp, icountShift: settings.icountShift,
  });
  if (!created.ok) return finish({ kind: "load-error", message: created.error }, 0n, 0);
  const target = created.target;
  const vmm = target.vmm;
  if (settings.exits && vmm) {
    vmm.setExitFilter((exit) => {
      io.flush(); // the guest's output so far comes before the exit that follows it
      io.log(exitLine(exit));
      return false;
    });
  }
  let gdb: GdbServer | undefined;
  if (settings.gdb) {
    // Loaded only for --gdb: the server brings node:net, which a plain run need not load.
    const { GdbServer } = await import("../gdb/server");
    const listening = await GdbServer.listen(target, settings.gdb.address, { wait: settings.gdb.wait });
    if (typeof listening === "string") return finish({ kind: "gdb-error", message: listening }, 0n, 0);
    gdb = listening;
    io.log(`hyperstep: GDB server on 127.0.0.1:${gdb.port}${settings.gdb.wait ? ", the guest held at its entry until GDB continues it" : ""}; attach with: gdb-multiarch -ex 'target remote :${gdb.port}' PROGRAM.elf`);
  }
  const result: RunResult = { ...await runLoop(target, settings, io, gdb), final: finalState(target) };
  gdb?.ended(result.exitCode);
  if (settings.exits && vmm) {
    // The same guest natively, output discarded, for the overhead figures.
    const native = createTarget(program.image, { technique: "native", boot: settings.boot, memoryBytes: settings.memoryBytes, historyBytes: 0, disk: settings.disk && snapshotOf(settings.disk), rngSeed: settings.rngSeed, virtioConsole: settings.virtioConsole, balloon: settings.balloon, icountShift: settings.icountShift });
    const baseline = native.ok ? runTo(native.target, result.instructions, Infinity) : native.error;
    for (const line of exitSummary(vmm.stats(), result.seconds, baseline)) io.log(line);
  }
  return result;
}

/** Steps per call into the target at first; the run loop adapts it to about SLICE_MS of wall time. */
export const FIRST_SLICE = 100_000;
/** Wall time per slice the run loop aims at: short enough for Ctrl-C and --timeout to act promptly. */
const SLICE_MS = 20;
const MAX_SLICE = 4_000_000;

/** The steps of a run loop's calls into the target, adapted to about SLICE_MS of wall time a call. */
export class AdaptiveSlice {
  private size = FIRST_SLICE;

  constructor(private readonly now: () => number) {}

  /** Calls `run` with at most `limit` steps (and a yield check at SLICE_MS), and adapts the size to the time it took. */
  timed<T>(limit: number, run: (budget: number, yieldNow: () => boolean) => T): T {
    const started = this.now();
    const r = run(Math.min(this.size, limit), () => this.now() - started >= SLICE_MS);
    const took = this.now() - started;
    if (took < SLICE_MS / 2) this.size = Math.min(this.size * 2, MAX_SLICE);
    else if (took > SLICE_MS * 2) this.size = Math.max(Math.floor(this.size / 2), 1000);
    return r;
  }
}

/** How a guest's halt ends its run; `why` is the VMM's reason when it powered the guest off. */
export function haltEnd(code: number, how: HaltHow, why: string | undefined): RunEnd {
  return how === "host-memory" ? { kind: "halt", code, how, why } : { kind: "halt", code, how };
}

/**
 * Runs the guest in slices until it ends. With a GDB server, a client may hold the machine between
 * slices; the stops it set up (breakpoints, watchpoints) and the stops it should see (a sleeping or
 * stuck guest) go to it instead of ending the run.
 */
async function runLoop(target: Target, settings: RunSettings, io: RunIo, gdb: GdbServer | undefined): Promise<RunResult> {
  const started = io.now();
  const firstInstret = target.instret;
  const deadline = settings.timeoutSeconds === undefined ? Infinity : started + settings.timeoutSeconds * 1000;
  if (settings.traceTraps) {
    // The hook runs once the trap is taken: the hart is in the handler's mode at the handler's pc,
    // and the mode it came from is in mstatus.MPP or SPP.
    target.onTrap = (cause, tval, pc) => {
      const to = target.priv;
      const mstatus = target.readCsr(MSTATUS) ?? 0n;
      const from = to === 3 ? Number((mstatus >> 11n) & 3n) : Number((mstatus >> 8n) & 1n);
      io.flush();
      io.log(`trap: ${describeCause(cause)}, tval ${hex(tval)}, pc ${hex(pc)}, ` +
        `${PRIV_NAMES[from]} -> ${PRIV_NAMES[to]}, handler ${hex(target.pc)}`);
      return false;
    };
  }
  let end: RunEnd | undefined;
  const slices = new AdaptiveSlice(io.now);
  const endStep = settings.replay?.endStep ?? Infinity;
  while (!end) {
    const executed = Number(target.instret - firstInstret);
    const remaining = Math.min(settings.maxInstructions === undefined ? Infinity : settings.maxInstructions - executed, endStep - target.history.position);
    if (target.history.position >= endStep) end = { kind: "replay-end" };
    else if (io.interrupted()) end = { kind: "interrupted" };
    else if (gdb?.killed) end = { kind: "killed" };
    else if (io.now() >= deadline) end = { kind: "timeout" };
    else if (remaining <= 0) end = { kind: "limit" };
    if (end) break;
    if (gdb?.held()) {
      io.flush();
      await gdb.released(50); // then look again at Ctrl-C and kill
      continue;
    }

    target.pollInput();
    const stop = slices.timed(remaining, (budget, yieldNow) => target.run(budget, yieldNow));
    io.flush();
    switch (stop.kind) {
      case "budget":
        break;
      case "halt":
        end = haltEnd(stop.code, stop.how, target.vmm?.powerOffReason);
        break;
      case "trap-loop":
        if (!gdb?.stopped(stop)) end = { kind: "trap-loop", pc: stop.pc };
        break;
      case "idle":
        if (!(await wakeFromIdle(target, io, deadline, gdb)) && !gdb?.stopped(stop)) end = { kind: "idle" };
        break;
      case "breakpoint":
      case "watchpoint":
        if (!gdb?.stopped(stop)) end = { kind: "unexpected-stop", reason: stop };
        break;
      default:
        end = { kind: "unexpected-stop", reason: stop };
    }
    if (!end) await io.breathe(); // let stdin data and signals in between slices
  }
  target.onTrap = undefined;
  io.flush();
  return finish(end, target.instret - firstInstret, (io.now() - started) / 1000);
}

/**
 * A hart asleep in WFI can only be woken by UART input: wait for some while stdin is open (or until
 * a GDB client interrupts).
 */
export async function wakeFromIdle(target: { pollInput(): boolean }, io: RunIo, deadline: number, gdb?: GdbServer): Promise<boolean> {
  for (;;) {
    if (target.pollInput()) return true;
    if (!io.inputOpen()) return false;
    if (io.interrupted() || io.now() >= deadline || gdb?.held() || gdb?.killed) return true; // the run loop says why it stops
    await io.waitForInput(Math.min(50, deadline - io.now()));
  }
}

/**
 * The run's speed, once it is long enough to have one: below a million instructions the time is
 * start-up (loading, the first translations), and "0.1 MIPS" would misreport the machine.
 */
export function speed(instructions: bigint, seconds: number): string {
  return instructions >= 1_000_000n && seconds > 0 ? ` (${(Number(instructions) / seconds / 1e6).toFixed(1)} MIPS)` : "";
}

function finish(end: RunEnd, instructions: bigint, seconds: number): RunResult {
  const time = seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
  const stats = `${instructions} instructions in ${time}${speed(instructions, seconds)}`;
  const [exitCode, how] = describeEnd(end);
  return { end, exitCode, instructions, seconds, summary: `hyperstep: ${how}; ${stats}` };
}

/** A run's end: its exit status, and what happened in words. */
export function describeEnd(end: RunEnd): [number, string] {
  switch (end.kind) {
    case "halt":
      if (end.how === "host-memory") return [end.code, `the VMM powered the guest off: ${end.why ?? "a page it touched needed a host frame and none was free (raise --host-memory)"}`];
      if (end.how === "reset") return [0, "the guest asked the SiFive test finisher for a reset (0x7777), which ends the run with code 0"];
      return [end.code, `the guest exited with code ${end.code} through ${end.how === "htif" ? "HTIF (tohost)" : end.how === "sbi" ? "an SBI shutdown call" : "the SiFive test finisher"}`];
    case "limit":
      return [EXIT_NO_HALT, "stopped at the --max-instructions limit; the guest had not halted"];
    case "timeout":
      return [EXIT_NO_HALT, "stopped at the --timeout limit; the guest had not halted"];
    case "trap-loop":
      return [EXIT_NO_HALT, `the guest is stuck in a trap loop at pc ${hex(end.pc)}: it takes trap after trap without retiring an instruction (its trap handler faults)`];
    case "idle":
      return [EXIT_NO_HALT, "stopped: the guest waits in WFI for an interrupt that nothing can raise any more"];
    case "interrupted":
      return [EXIT_INTERRUPTED, "interrupted (Ctrl-C)"];
    case "killed":
      return [EXIT_INTERRUPTED, "killed by the GDB client"];
    case "gdb-error":
      return [EXIT_LOAD_ERROR, `cannot serve GDB: ${end.message}`];
    case "load-error":
      return [EXIT_LOAD_ERROR, `cannot load the program: ${end.message}`];
    case "unexpected-stop":
      return [EXIT_LOAD_ERROR, `the machine stopped unexpectedly (${end.reason.kind})`];
    case "replay-end":
      return [EXIT_NO_HALT, "stopped at the step where the recorded run was stopped; the guest had not halted"];
  }
}

function finalState(target: Target): FinalState {
  const registers = Array.from({ length: 31 }, (_, i) => target.getReg(i + 1));
  return { steps: target.history.position, instret: target.instret, pc: target.pc, priv: target.priv, registers, input: target.history.input };
}

/** "ecall-u (Environment call from U-mode), cause 0x8" */
function describeCause(cause: bigint): string {
  const code = Number(cause & ~INTERRUPT_BIT);
  const spec = ((cause & INTERRUPT_BIT) !== 0n ? INTERRUPTS : EXCEPTIONS).find((c) => c.code === code);
  return `${causeName(cause)}${spec ? ` (${spec.description})` : ""}, cause ${hex(cause)}`;
}

const hex = (v: bigint) => "0x" + v.toString(16);
const MSTATUS = 0x300;
