import { EXCEPTIONS, INTERRUPTS, INTERRUPT_BIT, causeName } from "../isa/causes";
import { LoadError, type StopReason } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { createVirtBoard, type VirtBoard } from "../machine/virt";
import { Vm, type GuestBoot, type VmTechnique } from "../hypervisor/vm";
import { VmTarget } from "../hypervisor/vm_target";
import type { RunTechnique } from "./args";
import { exitLine, exitSummary } from "./exits_report";
import { EXIT_INTERRUPTED, EXIT_LOAD_ERROR, EXIT_NO_HALT } from "./help";
import type { GuestProgram } from "./program";

/** Instructions per call into the hart: long enough to amortise the call, short enough (~20 ms) for Ctrl-C and --timeout. */
export const SLICE_INSTRUCTIONS = 1_000_000;

export interface RunSettings {
  memoryBytes: number;
  maxInstructions?: number;
  timeoutSeconds?: number;
  traceTraps: boolean;
  technique?: RunTechnique;
  boot?: GuestBoot;
  exits?: boolean;
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
  | { kind: "halt"; code: number; how: "finisher" | "htif" | "sbi"; reset: boolean }
  | { kind: "limit" }
  | { kind: "timeout" }
  /** A whole slice of trap entries without one retired instruction: the trap handler itself faults. */
  | { kind: "trap-loop"; pc: bigint }
  | { kind: "idle" }
  | { kind: "interrupted" }
  | { kind: "load-error"; message: string }
  | { kind: "unexpected-stop"; reason: StopReason };

export interface RunResult {
  end: RunEnd;
  exitCode: number;
  instructions: bigint;
  seconds: number;
  /** The one-line summary for stderr. */
  summary: string;
}

/** Builds the virt board for a program and runs it to the end, as `hyperstep run` does. */
export async function runProgram(program: GuestProgram, settings: RunSettings, io: RunIo): Promise<RunResult> {
  const technique = settings.technique ?? "native";
  if (technique !== "native") return runVirtualized(program, settings, technique, io);
  const board = createVirtBoard({
    memoryBytes: settings.memoryBytes, uartOut: io.out, uartIn: io.input, tohost: program.tohost, fromhost: program.fromhost,
  });
  try {
    board.load(program.image);
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    return finish({ kind: "load-error", message: e.message }, 0n, 0);
  }
  return runBoard(board, settings, io);
}

/** What the run loop drives: the bare board, or a VM whose guest devices are the VMM's. */
interface Runnable {
  run(budget: number): StopReason;
  readonly instret: bigint;
  readonly uart: { poll(): void; readonly received: number };
  readonly finisher: { readonly outcome: string | undefined };
  /** Sets the guest-trap hook; `describe` tells the mode the trap came from and went to. */
  setTrapHook(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined): void;
  readonly priv: number;
  readCsr(num: number): bigint | undefined;
  readonly pc: bigint;
}

function boardRunnable(board: VirtBoard): Runnable {
  const hart = board.hart;
  return {
    run: (n) => board.run(n), get instret() { return board.instret; }, uart: board.uart, finisher: board.finisher,
    setTrapHook: (h) => (hart.onTrap = h), get priv() { return hart.priv; }, readCsr: (n) => hart.readCsr(n), get pc() { return hart.pc; },
  };
}

function vmRunnable(vm: Vm): Runnable {
  const v = vm.vcpu.state;
  return {
    run: (n) => vm.run(n), get instret() { return vm.instret; }, uart: vm.devices.uart, finisher: vm.devices.finisher,
    setTrapHook: (h) => (v.onTrap = h), get priv() { return v.prv; }, readCsr: (n) => v.readCsr(n), get pc() { return v.pc; },
  };
}

/** A VMM `--technique`: the guest under the VMM; with --exits, the exit log and the summary against a native run. */
async function runVirtualized(program: GuestProgram, settings: RunSettings, technique: VmTechnique, io: RunIo): Promise<RunResult> {
  const vm = new Vm({
    technique, boot: settings.boot, memoryBytes: settings.memoryBytes, uartOut: io.out, uartIn: io.input, tohost: program.tohost, fromhost: program.fromhost,
  });
  try {
    vm.load(program.image);
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    return finish({ kind: "load-error", message: e.message }, 0n, 0);
  }
  if (settings.exits) {
    vm.exitFilter = (exit) => {
      io.log(exitLine(exit));
      return false;
    };
  }
  const result = await runLoop(vmRunnable(vm), settings, io);
  if (settings.exits) {
    const native = settings.boot === "supervisor" ? undefined : nativeBaseline(program, settings, result.instructions);
    for (const line of exitSummary(new VmTarget(vm, program.image.symbols).stats(), result.seconds, native)) io.log(line);
  }
  return result;
}

/** The same guest run natively, output discarded, for the overhead figures. */
function nativeBaseline(program: GuestProgram, settings: RunSettings, instructions: bigint): { instructions: bigint; seconds: number } {
  const board = createVirtBoard({ memoryBytes: settings.memoryBytes, tohost: program.tohost, fromhost: program.fromhost });
  board.load(program.image);
  const started = performance.now();
  while (board.instret < instructions) {
    const stop = board.run(Math.min(SLICE_INSTRUCTIONS, Number(instructions - board.instret)));
    if (stop.kind !== "budget") break;
  }
  return { instructions: board.instret, seconds: (performance.now() - started) / 1000 };
}

/** Steps in a row without a retired instruction after which a run is a trap loop. */
const TRAP_LOOP_STEPS = 4096;

/** Runs a loaded board in slices until the guest halts or a limit ends the run. */
export async function runBoard(board: VirtBoard, settings: RunSettings, io: RunIo): Promise<RunResult> {
  return runLoop(boardRunnable(board), settings, io);
}

async function runLoop(board: Runnable, settings: RunSettings, io: RunIo): Promise<RunResult> {
  const started = io.now();
  const firstInstret = board.instret;
  const deadline = settings.timeoutSeconds === undefined ? Infinity : started + settings.timeoutSeconds * 1000;
  if (settings.traceTraps) {
    // The hook runs once the trap is taken: the hart is in the handler's mode at the handler's pc,
    // and the mode it came from is in mstatus.MPP or SPP.
    board.setTrapHook((cause, tval, pc) => {
      const to = board.priv;
      const mstatus = board.readCsr(MSTATUS) ?? 0n;
      const from = to === 3 ? Number((mstatus >> 11n) & 3n) : Number((mstatus >> 8n) & 1n);
      io.log(`trap: ${describeCause(cause)}, tval ${hex(tval)}, pc ${hex(pc)}, ` +
        `${PRIV_NAMES[from]} -> ${PRIV_NAMES[to]}, handler ${hex(board.pc)}`);
      return false;
    });
  }
  let end: RunEnd | undefined;
  // Budget counts trap entries too, so a handler that faults forever would never reach a limit:
  // this many steps in a row without a retired instruction is a trap loop (a real handler retires
  // instructions after at most a few nested traps).
  let stuckSteps = 0;
  while (!end) {
    const executed = Number(board.instret - firstInstret);
    const remaining = settings.maxInstructions === undefined ? SLICE_INSTRUCTIONS : settings.maxInstructions - executed;
    if (io.interrupted()) end = { kind: "interrupted" };
    else if (io.now() >= deadline) end = { kind: "timeout" };
    else if (remaining <= 0) end = { kind: "limit" };
    if (end) break;

    board.uart.poll();
    const sliceStart = board.instret;
    const slice = Math.min(SLICE_INSTRUCTIONS, remaining);
    const stop = board.run(slice);
    io.flush();
    switch (stop.kind) {
      case "budget":
        stuckSteps = board.instret === sliceStart ? stuckSteps + slice : 0;
        if (stuckSteps >= TRAP_LOOP_STEPS) end = { kind: "trap-loop", pc: board.pc };
        break;
      case "halt":
        end = { kind: "halt", code: stop.code, how: stop.how, reset: stop.how === "finisher" && board.finisher.outcome === "reset" };
        break;
      case "idle":
        if (!(await wakeFromIdle(board, io, deadline))) end = { kind: "idle" };
        break;
      default:
        end = { kind: "unexpected-stop", reason: stop };
    }
    if (!end) await io.breathe(); // let stdin data and signals in between slices
  }
  board.setTrapHook(undefined);
  io.flush();
  return finish(end, board.instret - firstInstret, (io.now() - started) / 1000);
}

/** A hart asleep in WFI can only be woken by UART input: wait for some while stdin is open. */
async function wakeFromIdle(board: Runnable, io: RunIo, deadline: number): Promise<boolean> {
  for (;;) {
    const before = board.uart.received;
    board.uart.poll();
    if (board.uart.received !== before) return true;
    if (!io.inputOpen()) return false;
    if (io.interrupted() || io.now() >= deadline) return true; // the run loop reports why it stops
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
  const [exitCode, how] = describe(end);
  return { end, exitCode, instructions, seconds, summary: `hyperstep: ${how}; ${stats}` };
}

function describe(end: RunEnd): [number, string] {
  switch (end.kind) {
    case "halt":
      if (end.reset) return [0, "the guest asked the SiFive test finisher for a reset (0x7777), which ends the run with code 0"];
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
    case "load-error":
      return [EXIT_LOAD_ERROR, `cannot load the program: ${end.message}`];
    case "unexpected-stop":
      return [EXIT_LOAD_ERROR, `the machine stopped unexpectedly (${end.reason.kind})`];
  }
}

/** "ecall-u (Environment call from U-mode), cause 0x8" */
function describeCause(cause: bigint): string {
  const code = Number(cause & ~INTERRUPT_BIT);
  const spec = ((cause & INTERRUPT_BIT) !== 0n ? INTERRUPTS : EXCEPTIONS).find((c) => c.code === code);
  return `${causeName(cause)}${spec ? ` (${spec.description})` : ""}, cause ${hex(cause)}`;
}

const hex = (v: bigint) => "0x" + v.toString(16);
const MSTATUS = 0x300;
const PRIV_NAMES: Record<number, string> = { 0: "U", 1: "S", 3: "M" };
