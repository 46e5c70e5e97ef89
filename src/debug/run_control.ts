import type { CProgram } from "../asm/dwarf/c_program";
import type { CallFrameInfo } from "../asm/dwarf/cfi";
import type { VmExit } from "../hypervisor/exits";
import { CSR } from "../isa/csrs";
import type { Target, TargetStop } from "../target/target";
import type { CodeBreakpoints, HitDecision } from "./breakpoints";
import type { DataBreakpoints } from "./data_breakpoints";
import type { ExceptionBreakpoints } from "./exception_filters";
import type { ExprEnv } from "./expressions";
import { insnAt } from "./insn_kind";
import type { LineMap, SourceLine } from "./line_table";
import { relation, stepFrame } from "./inline_frames";
import { stackPointer, trapReturn, type Frame } from "./stack";
import type { SymbolTable } from "./symbols";

export type StepKind = "continue" | "stepIn" | "next" | "stepOut";

/** A Step Into Target choice (step_targets.ts): step to the instruction at `pc`, then into it. */
export interface StepTarget {
  pc: bigint;
  /** "call": into the function it calls; "vmm": into the VMM, when the instruction exits. */
  kind: "call" | "vmm";
  /** The instruction, for the stop's description. */
  text: string;
}
export type Granularity = "instruction" | "line" | "statement";

/** Why the guest stopped, for the `stopped` event. */
export interface Stop {
  reason: "entry" | "step" | "breakpoint" | "function breakpoint" | "instruction breakpoint" | "data breakpoint" | "exception" | "pause" | "goto";
  description?: string;
  text?: string;
  hitBreakpointIds?: number[];
  trap?: { cause: bigint; tval: bigint; pc: bigint };
  /** The VM exit an exit breakpoint stopped after (the VMM has handled it). */
  exit?: VmExit;
  /** An instruction step stopped "inside the VMM", on the exit its instruction caused (already handled). */
  insideVmm?: VmExit;
  /** The guest is stuck in a trap loop; `trap` is the last trap it took. */
  trapLoop?: boolean;
  /** How many inlined calls beginning at the pc the stop hides, when not all of them (Step Into entered one). */
  hiddenInlined?: number;
}

/** What the run control reports to the session. */
export interface RunHost {
  readonly target: Target;
  readonly lines: LineMap;
  readonly symbols: SymbolTable;
  /** Call frame information for unwinding, when the program has it. */
  readonly callFrames?: CallFrameInfo;
  /** The program's C view, for the calls it inlined. */
  cProgram(): CProgram | undefined;
  /** How many inlined calls beginning at the pc the call stack hides now (inline_frames.ts). */
  hiddenInlined(): number;
  /** The call stack, with a frame for each inlined call. */
  callStack(): Frame[];
  readonly code: CodeBreakpoints;
  readonly data: DataBreakpoints;
  readonly exceptions: ExceptionBreakpoints;
  readonly maxInstructions: number | undefined;
  env(trap?: Stop["trap"]): ExprEnv;
  stopped(stop: Stop): void;
  /** The guest ended (halt) or cannot go on; the session terminates. */
  ended(stop: TargetStop): void;
  output(text: string, category: "console" | "stderr"): void;
  /** Flushes buffered UART output; called after every slice. */
  flush(): void;
  progress(event: "start" | "update" | "end", message: string, percentage?: number): void;
}

/** Wall-clock length of a slice of guest execution: short enough that `pause` is answered at once. */
const SLICE_MS = 10;
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 250;
const IDLE_POLL_MS = 10;
/** A Step Into Target goes at most this far to reach its instruction (it lies on the current line). */
const MAX_TARGET_STEPS = 64;

interface ReturnPoint {
  pc: bigint;
  sp: bigint;
}

type SliceResult = { done: false; idle?: boolean } | { done: true; stop?: Stop; end?: TargetStop };

const now = () => performance.now();
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Continue, pause and the three steps, at instruction or line granularity. Execution runs in slices
 * of about 10 ms with a yield to the event loop between them, so `pause`, breakpoint changes and UART
 * input are handled while the guest runs.
 */
export class RunControl {
  private active = false;
  private pauseRequested = false;
  private cancelled = false;
  private budget = 100_000;
  private current: Promise<void> = Promise.resolve();

  constructor(private readonly host: RunHost) {}

  /** Settles when the current run (if any) has ended and said so. */
  get settled(): Promise<void> {
    return this.current;
  }

  get running(): boolean {
    return this.active;
  }

  /** Asks a running guest to stop; it stops at the end of the current slice with reason `pause`. */
  pause(): void {
    if (this.active) this.pauseRequested = true;
  }

  /** Ends any run without reporting a stop (terminate, disconnect, restart). */
  cancel(): void {
    this.cancelled = true;
  }

  /** Starts a run; `into` makes a stepIn a Step Into Target. */
  start(kind: StepKind, granularity: Granularity = "statement", into?: StepTarget): void {
    if (this.active) return;
    this.active = true;
    this.pauseRequested = false;
    this.cancelled = false;
    this.current = this.execute(kind, granularity, into);
  }

  private async execute(kind: StepKind, granularity: Granularity, into: StepTarget | undefined): Promise<void> {
    const { target } = this.host;
    const byLine = granularity !== "instruction" && !this.host.lines.empty;
    target.onTrap = (cause) => this.host.exceptions.wants(cause);
    target.vmm?.setExitFilter(this.host.exceptions.exits.predicate(() => this.host.env()));
    const plan = into ? this.toTarget(into) : this.plan(kind, byLine);
    const started = now();
    const startInstret = target.instret;
    let progressShown = false;
    let lastProgress = 0;
    let idleNoted = false;
    let result: SliceResult = { done: false };
    try {
      while (!result.done) {
        if (this.cancelled) return;
        if (this.pauseRequested) {
          result = { done: true, stop: { reason: "pause", description: "Paused" } };
          break;
        }
        const limit = this.host.maxInstructions;
        if (limit !== undefined && target.instret >= BigInt(limit)) {
          this.host.output(`hyperstep: stopped at the instruction limit (maxInstructions = ${limit})\n`, "console");
          result = { done: true, stop: { reason: "pause", description: `Instruction limit (${limit}) reached` } };
          break;
        }
        const t0 = now();
        const budget = limit === undefined ? this.budget : Math.max(1, Math.min(this.budget, limit - Number(target.instret)));
        result = plan(budget);
        this.host.flush();
        const spent = now() - t0;
        if (!result.done && result.idle) {
          if (!idleNoted) this.host.output("hyperstep: the hart waits in wfi for an interrupt (UART input can raise one); pause to inspect it\n", "console");
          idleNoted = true;
          await sleep(IDLE_POLL_MS);
          continue;
        }
        // Only a slice that used its whole budget measures it: a step that ended early in a fast slice
        // would otherwise double it, request after request, until one slice of single-stepping (far
        // slower per instruction than a free run) blocked the event loop for seconds.
        if (!result.done) {
          if (spent > 0.5) this.budget = Math.max(1_000, Math.min(20_000_000, Math.round((this.budget * SLICE_MS) / spent)));
          else this.budget = Math.min(20_000_000, this.budget * 2);
        }
        const elapsed = now() - started;
        if (!result.done && elapsed > PROGRESS_AFTER_MS && now() - lastProgress > PROGRESS_EVERY_MS) {
          const done = target.instret - startInstret;
          const pct = limit === undefined ? undefined : Math.min(100, (Number(target.instret) / limit) * 100);
          this.host.progress(progressShown ? "update" : "start", `${done.toLocaleString("en-US")} instructions (${(Number(done) / elapsed / 1000).toFixed(1)} MIPS)`, pct);
          progressShown = true;
          lastProgress = now();
        }
        if (!result.done) await tick();
      }
    } finally {
      this.active = false;
      if (progressShown) this.host.progress("end", `${(target.instret - startInstret).toLocaleString("en-US")} instructions`);
    }
    if (this.cancelled) return;
    if (result.done && result.end) this.host.ended(result.end);
    else if (result.done && result.stop) this.host.stopped(result.stop);
  }

  /** The slice function for a request: runs at most `budget` instructions and says whether it is done. */
  private plan(kind: StepKind, byLine: boolean): (budget: number) => SliceResult {
    const { target } = this.host;
    if (kind === "continue") return (budget) => this.runFree(budget, undefined);
    if (kind === "stepOut") {
      // In a trap handler: out of it is its mret/sret.
      if (trapReturn(target, this.host.symbols) !== undefined) return this.stepping(Infinity, (prev) => prev?.xret === true, false);
      const frames = this.host.callStack();
      const inlined = frames[0]?.inlined;
      // Out of an inlined call: until the top frame is no longer the call's (nor a call it makes), stepping over real calls.
      if (inlined) {
        const c = this.host.cProgram();
        return this.stepping(Infinity, (_prev, pc) => !stepFrame(c, this.host.lines, pc).shown.includes(inlined), true);
      }
      if (frames.length > 1) {
        const to = { pc: frames[1].pc, sp: stackPointer(target) };
        return (budget) => this.runFree(budget, to);
      }
      // The call stack shows no caller (the function keeps its return address where the debugger
      // cannot see it, e.g. in a saved register after a nested call): stop after this function's
      // next return, stepping over the calls it makes.
      const fn = this.host.symbols.describe(target.pc)?.replace(/\+.*/, "") ?? "this code";
      this.host.output(`Step Out: the caller of ${fn} is not known (no return address in ra or in a frame); stopping after its next return\n`, "console");
      return this.stepping(Infinity, (prev) => prev?.ret === true, true);
    }
    if (!byLine) return this.stepping(1, () => true, kind === "next", () => true);
    // Lines and frames as the call stack shows them, with inlined calls (inline_frames.ts), as gdb steps.
    const { lines } = this.host;
    const c = this.host.cProgram();
    const from = stepFrame(c, lines, target.pc, this.host.hiddenInlined());
    let entered: number | undefined;
    const leftLine = (pc: bigint): boolean => {
      const here = stepFrame(c, lines, pc);
      if (!here.line || !from.line) return true;
      const raw = lines.lineOf(pc);
      switch (relation(from, here)) {
        // Into an inlined call the line makes: Step Over goes through it, Step Into stops in it.
        case "inner": return kind !== "next";
        // Out of the frame (the end of an inlined call) stops even within a line.
        case "other": return true;
        case "same":
          // At an inlined call this frame makes: Step Over stops there when it is on another line;
          // Step Into stops there too, and enters it when the line being stepped makes it.
          if (here.entering) {
            const sameCall = sameLine(here.entering.call, from.line);
            if (kind !== "next" && sameCall) entered = here.hidden - 1;
            return kind !== "next" || !sameCall;
          }
      }
      return lines.isLineStart(pc) && raw !== undefined && !sameLine(raw, from.line);
    };
    const step = this.stepping(Infinity, (_prev, pc) => leftLine(pc), kind === "next");
    return (budget) => {
      const r = step(budget);
      if (r.done && r.stop?.reason === "step" && entered !== undefined) r.stop.hiddenInlined = entered;
      return r;
    };
  }

  /**
   * Step Into Target: single-steps to the target's instruction (on the current line), then steps it:
   * into the function it calls, or into the VMM when it exits. An instruction that does not exit
   * (hardware assistance runs many in VS-mode) stops after it, saying so.
   */
  private toTarget(into: StepTarget): (budget: number) => SliceResult {
    const step = this.stepping(MAX_TARGET_STEPS, (_prev, _pc, from) => from === into.pc, false, (pc) => pc === into.pc);
    return (budget) => {
      const r = step(budget);
      if (r.done && r.stop?.reason === "step" && !r.stop.insideVmm && into.kind === "vmm") {
        r.stop.description = `${into.text} ran without a VM exit: the hardware executed it for the guest`;
      }
      return r;
    };
  }

  /**
   * Single-steps until `done(previous instruction, pc, pc it stepped from)` holds after a step. With
   * `overCalls`, a call or ecall/ebreak runs at full speed to its return point instead of being
   * stepped into. With `intoExits(pc)`, a step of the instruction at pc that exits stops inside the
   * VMM. Breakpoints met on the way stop the step.
   */
  private stepping(
    maxSteps: number,
    done: (prev: ReturnType<typeof insnAt>, pc: bigint, from: bigint) => boolean,
    overCalls: boolean,
    intoExits: (pc: bigint) => boolean = () => false,
  ): (budget: number) => SliceResult {
    let returnTo: ReturnPoint | undefined;
    /** The call (or ecall) that returnTo returns from. */
    let returnPc = 0n;
    let stepsLeft = maxSteps;
    let first = true;
    return (budget) => {
      const { target } = this.host;
      for (let n = 0; n < budget; n++) {
        if (returnTo) {
          const r = this.runFree(budget - n, returnTo);
          if (!r.done || r.stop?.reason !== "step") return r;
          returnTo = undefined;
          if (--stepsLeft <= 0 || done(undefined, target.pc, returnPc)) return r;
          continue;
        }
        const pc = target.pc;
        if (!first && this.host.code.has(pc)) {
          const d = this.host.code.decide(pc, this.host.env(), target.history.position);
          this.log(d);
          if (d.stop) return { done: true, stop: { reason: "breakpoint", hitBreakpointIds: d.ids } };
        }
        first = false;
        const insn = insnAt(target, pc);
        if (overCalls && insn && (insn.call || insn.trap)) {
          returnTo = { pc: pc + BigInt(insn.length), sp: stackPointer(target) };
          returnPc = pc;
          continue;
        }
        const vmm = intoExits(pc) ? target.vmm : undefined;
        const seqBefore = vmm?.lastExitSeq ?? 0;
        const r = target.step();
        const exited = vmm && vmm.lastExitSeq > seqBefore ? vmm.exits({ afterSeq: seqBefore }).exits.find((e) => e.pc === pc) : undefined;
        if (exited && r.kind !== "halt") return { done: true, stop: { reason: "step", description: `Inside the VMM: ${exited.action}`, insideVmm: exited } };
        if (r.kind === "idle") return { done: true, stop: { reason: "step", description: "The hart waits in wfi for an interrupt" } };
        const handled = this.handle(r);
        if (handled?.done) return handled;
        if (--stepsLeft <= 0 || done(insn, target.pc, pc)) return { done: true, stop: { reason: "step" } };
      }
      return { done: false };
    };
  }

  /**
   * Runs at full speed (every hart); with `to`, stops (reason `step`) when the hart being stepped
   * reaches to.pc with sp ≥ to.sp. A stop selects the hart it concerns (its thread is reported);
   * when the run goes on instead, the stepped hart is selected again.
   */
  private runFree(budget: number, to: ReturnPoint | undefined): SliceResult {
    const { target, code } = this.host;
    const pcs = new Set(code.addresses());
    if (to) pcs.add(to.pc);
    target.setBreakpoints(pcs);
    const stepped = target.selectedHart;
    // A budget sized on fast code can take seconds once every step is a VM exit or a CSR access:
    // the run returns when the slice's time is up, so that pause is not kept waiting.
    const started = now();
    const r = target.run(budget, () => now() - started >= SLICE_MS);
    const result = this.afterFreeRun(r, to, stepped);
    if (!result.done) target.selectedHart = stepped;
    return result;
  }

  private afterFreeRun(r: TargetStop, to: ReturnPoint | undefined, stepped: number): SliceResult {
    const { target, code } = this.host;
    if (r.kind === "budget") return { done: false };
    if (r.kind === "breakpoint") {
      if (to && r.pc === to.pc && target.selectedHart === stepped && stackPointer(target) >= to.sp) return { done: true, stop: { reason: "step" } };
      if (!code.has(r.pc)) return { done: false };
      const d = code.decide(r.pc, this.host.env(), target.history.position);
      this.log(d);
      return d.stop ? { done: true, stop: { reason: "breakpoint", hitBreakpointIds: d.ids } } : { done: false };
    }
    return this.handle(r) ?? { done: false };
  }

  /** Stops that are not code breakpoints: watchpoints, traps, the end of the guest, idleness. */
  private handle(r: TargetStop): (SliceResult) | undefined {
    switch (r.kind) {
      case "watchpoint": {
        const d = this.host.data.decide(r, this.host.env(), this.host.target.history.position);
        this.log(d);
        if (!d.stop) return { done: false };
        return { done: true, stop: dataStop(r, d.ids) };
      }
      case "trap": {
        const exit = this.host.target.vmm?.stoppedExit;
        if (exit) {
          const d = this.host.exceptions.exits.takeHit();
          this.log(d);
          return { done: true, stop: { reason: "exception", hitBreakpointIds: d.ids, exit } };
        }
        const trap = { cause: r.cause, tval: r.tval, pc: r.pc };
        const d = this.host.exceptions.decide(r.cause, this.host.env(trap));
        this.log(d);
        if (!d.stop) return { done: false };
        return { done: true, stop: { reason: "exception", hitBreakpointIds: d.ids, trap } };
      }
      case "halt":
        return { done: true, end: r };
      case "idle":
        return { done: false, idle: true };
      case "trap-loop":
        return { done: true, stop: { reason: "exception", trap: lastTrap(this.host.target), trapLoop: true } };
      default:
        return undefined;
    }
  }

  private log(d: HitDecision): void {
    for (const line of d.output) this.host.output(line + "\n", "console");
  }
}

/** The stop a data breakpoint makes, saying which access hit it. */
export function dataStop(r: Extract<TargetStop, { kind: "watchpoint" }>, ids: number[]): Stop {
  const what = `${r.write ? "write" : "read"} of ${r.size} byte${r.size > 1 ? "s" : ""} at pa 0x${r.pa.toString(16)} by the instruction at 0x${r.pc.toString(16)}`;
  return { reason: "data breakpoint", description: `Data breakpoint: ${what}`, text: what, hitBreakpointIds: ids };
}

/** The trap the guest took last, from the cause registers of the mode that took it. */
function lastTrap(t: Target): NonNullable<Stop["trap"]> {
  const [cause, epc, tval] = t.priv === 3 ? [CSR.mcause, CSR.mepc, CSR.mtval] : [CSR.scause, CSR.sepc, CSR.stval];
  return { cause: t.readCsr(cause) ?? 0n, tval: t.readCsr(tval) ?? 0n, pc: t.readCsr(epc) ?? 0n };
}

function sameLine(a: SourceLine, b: SourceLine): boolean {
  return a.line === b.line && a.file === b.file;
}
