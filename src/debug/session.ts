import {
  Event,
  ExitedEvent,
  InitializedEvent,
  InvalidatedEvent,
  LoggingDebugSession,
  MemoryEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  StoppedEvent,
  TerminatedEvent,
  Response,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { TargetStop } from "../target/target";
import { causeName } from "../isa/causes";
import { CodeBreakpoints } from "./breakpoints";
import { DataBreakpoints } from "./data_breakpoints";
import { exceptionInfo, exitInfo, exitTitle } from "./exception_info";
import { TRAP_LOOP_STEPS } from "../target/target";
import { exitName } from "../target/vmm_vocabulary";
import { ExceptionBreakpoints, exceptionFilters } from "./exception_filters";
import { assignExpr, evaluate, evaluateExpr, ExprError, memoryOf, parseExpression, type Assigned } from "./expressions";
import type { GdbListener, ServeGdb } from "./gdb_server";
import { ConfigError, parseLaunchConfig, type LaunchConfig } from "./launch_config";
import { AssemblyError, loadTarget } from "./load_target";
import { disassembleRequest, readMemory, writeMemory } from "./memory_requests";
import { formatMemoryRef } from "./memory_refs";
import { Program } from "./program";
import { formatHex } from "./registers";
import { checkRequestArgs } from "./request_args";
import { HELP, Repl, complete } from "./repl";
import { historyCommand } from "./repl_history";
import { ReverseControl } from "./reverse";
import { RunControl, type Granularity, type RunHost, type StepKind, type StepTarget, type Stop } from "./run_control";
import { stepTargetLabel, stepTargets } from "./step_targets";
import { callsStartingAt, withInlinedFrames } from "./inline_frames";
import { unwind, type Frame } from "./stack";
import { frameId, selectedThread, selectFrame, selectThread, threads } from "./threads";
import { cScopes } from "./c_scopes";
import { cExpressions, cFirst, type ParsedC } from "./c_expr/in_frame";
import { UartConsole } from "./uart_console";
import { disassemble } from "../asm/disasm";
import type { VmExit } from "../hypervisor/exits";
import { Variables, formatValue } from "./variables";
import { CSR_FIELDS } from "../isa/csr_fields";
import { ENDED_EVENT, endedBody, PANEL_REQUESTS, panelBody } from "./custom_requests";
import { endOfRunCost } from "./repl_vmm";

/** The id of the VMM frame (guest frames are numbered from 0, per hart: threads.ts). */
const VMM_FRAME_ID = 1_000_000;

/** Error ids in responses: what kind of failure, for clients that act on them. */
const enum Err {
  Launch = 1001,
  NotRunning = 1002,
  UnknownReference = 1003,
  Evaluate = 1004,
  Busy = 1005,
  Memory = 1006,
  Arguments = 1007,
}

/** The custom request that feeds the guest's UART (text in `text`): the extension's terminal sends keystrokes. */
export const UART_INPUT_REQUEST = "hyperstep/uartInput";

/**
 * The Debug Adapter Protocol server. It maps DAP requests onto a `Target` and knows nothing of
 * VS Code, so it runs inline in the extension and standalone over stdio or TCP alike. The work is
 * done by the modules beside it; this class checks arguments and state, and turns results and
 * failures into responses and events.
 */
export class HyperstepSession extends LoggingDebugSession {
  private config: LaunchConfig | undefined;
  private program: Program | undefined;
  private readonly uart = new UartConsole();
  private readonly code = new CodeBreakpoints();
  private data: DataBreakpoints | undefined;
  private dataRequests: DebugProtocol.DataBreakpoint[] = [];
  private readonly exceptions = new ExceptionBreakpoints();
  private readonly run: RunControl;
  private readonly reverse: ReverseControl;
  /** The last timeline fork reported, so that each is reported once. */
  private reportedFork: unknown;
  private readonly variables: Variables;
  private readonly repl = new Repl();
  private client: DebugProtocol.InitializeRequestArguments = { adapterID: "hyperstep" };
  private lastStop: Stop | undefined;
  /** How many inlined calls beginning at the stopped pc the call stack hides (inline_frames.ts), for that hart and pc. */
  private inlineHidden: { hart: number; pc: bigint; count: number } | undefined;
  /** What the last stepInTargets request offered (their ids are index + 1); valid until the guest runs. */
  private stepInTargets: StepTarget[] = [];
  private progressId = 0;
  private ended = false;
  private readonly configurationDone: Promise<void>;
  private signalConfigurationDone!: () => void;

  /** The read-only GDB server of the launch attribute `gdbServer`, while there is one. */
  private gdb: GdbListener | undefined;

  /** `serveGdb` starts the GDB server the launch attribute `gdbServer` asks for. */
  constructor(private readonly serveGdb?: ServeGdb) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configurationDone = new Promise((resolve) => (this.signalConfigurationDone = resolve));
    const host = this.runHost();
    this.run = new RunControl(host);
    this.reverse = new ReverseControl(host);
    this.variables = new Variables(() => this.loaded().target, () => this.loaded().env());
  }

  private readonly shutdownListeners: (() => void)[] = [];

  /** Stops the guest at once (SIGTERM, the client's disconnect or its stream closing) and tells the transport. */
  override shutdown(): void {
    this.run.cancel();
    void this.gdb?.close();
    super.shutdown();
    for (const listener of this.shutdownListeners.splice(0)) listener();
  }

  /** Calls `listener` once, when the session shuts down. */
  onShutdown(listener: () => void): void {
    this.shutdownListeners.push(listener);
  }

  /** Every request enters here: its arguments are checked (request_args.ts) before a handler sees them. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const problem = checkRequestArgs(request.command, request.arguments);
    if (problem) return this.fail(new Response(request), Err.Arguments, problem);
    // A client may leave out empty arguments (checkRequestArgs allows it); the handlers read fields of them.
    let args = request.arguments ?? {};
    // DAP's pathFormat is "path" when left out, but the library refuses an initialize without it.
    if (request.command === "initialize" && args.pathFormat === undefined) args = { ...args, pathFormat: "path" };
    super.dispatchRequest(args === request.arguments ? request : { ...request, arguments: args });
  }

  /**
   * The library answers a handler's exception with its stack as the message (error 1104); a client
   * gets one line naming the request instead (the stack is a bug report, not something to act on).
   */
  protected override sendErrorResponse(response: DebugProtocol.Response, codeOrMessage: number | DebugProtocol.Message, format?: string, variables?: unknown, dest?: number): void {
    if (codeOrMessage === 1104) {
      const exception = (variables as { _exception?: unknown } | undefined)?._exception;
      codeOrMessage = { id: 1104, format: `internal error in '${response.command}': ${String(exception)}`, showUser: false };
      format = undefined;
      variables = undefined;
    }
    super.sendErrorResponse(response, codeOrMessage as DebugProtocol.Message, format, variables as never, dest);
  }

  // ---- lifecycle ----

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.client = args;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      exceptionBreakpointFilters: exceptionFilters(),
      supportsExceptionFilterOptions: true,
      supportsExceptionInfoRequest: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsValueFormattingOptions: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsInstructionBreakpoints: true,
      supportsSteppingGranularity: true,
      supportsBreakpointLocationsRequest: true,
      supportsCancelRequest: true,
      supportsLoadedSourcesRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: [".", "$", "/"],
      supportsDelayedStackTraceLoading: true,
      supportsStepInTargetsRequest: true,
      supportsStepBack: true,
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.signalConfigurationDone();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    try {
      this.config = parseLaunchConfig(args);
      this.install(await this.load(this.config));
      await this.startGdbServer();
    } catch (e) {
      return this.launchFailed(response, e);
    }
    // The session is fully set up before VS Code sends breakpoints, so a failed launch never leaves
    // a half-started session behind.
    this.sendEvent(new InitializedEvent());
    this.sendResponse(response);
    await this.configurationDone;
    this.begin();
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    if (!this.program || !this.config) return this.fail(response, Err.NotRunning, "there is no session to restart");
    let config = this.config;
    let program: Program;
    try {
      if (args?.arguments) config = parseLaunchConfig(args.arguments);
      program = await this.load(config);
    } catch (e) {
      // The old session stays as it was: a program that no longer assembles does not end it.
      return this.launchFailed(response, e);
    }
    this.run.cancel();
    await new Promise((resolve) => setImmediate(resolve));
    this.data?.clear();
    this.config = config;
    this.install(program);
    for (const bp of this.code.rebind(program.codeMap())) this.sendEvent(new Event("breakpoint", { reason: "changed", breakpoint: bp }));
    // The GDB server follows the new guest, on the same port.
    await this.gdb?.close();
    this.gdb = undefined;
    try {
      await this.startGdbServer();
    } catch (e) {
      this.sendEvent(new OutputEvent(`hyperstep: ${(e as Error).message}\n`, "stderr"));
    }
    this.sendResponse(response);
    this.begin();
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.run.cancel();
    this.sendResponse(response);
    this.end();
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.run.cancel();
    this.data?.clear();
    this.ended = true;
    this.sendResponse(response);
    // After the cancelled run has closed its progress, so the client sees the run end.
    void this.run.settled.then(() => this.shutdown(), () => this.shutdown());
  }

  private async load(config: LaunchConfig): Promise<Program> {
    return new Program(await loadTarget(config, { out: this.uart.sink, in: this.uart.source }));
  }

  /**
   * The launch attribute `gdbServer`: GDB may attach read-only while VS Code keeps control of the
   * guest (README, "Debugging with GDB").
   */
  private async startGdbServer(): Promise<void> {
    const port = this.config?.gdbServer;
    if (port === undefined) return;
    if (!this.serveGdb) throw new ConfigError("gdbServer", "is not served by this adapter");
    const program = this.loaded();
    const listening = await this.serveGdb(program.target, port);
    if (typeof listening === "string") throw new ConfigError("gdbServer", listening);
    this.gdb = listening;
    this.sendEvent(new OutputEvent(`hyperstep: GDB server (read-only) on 127.0.0.1:${listening.port}: gdb-multiarch -ex 'target remote :${listening.port}' ${program.file}\n`, "console"));
  }

  private install(program: Program): void {
    this.program = program;
    for (const w of program.warnings) this.sendEvent(new OutputEvent(`hyperstep: ${w}\n`, "console"));
    this.ended = false;
    this.lastStop = undefined;
    this.code.rebind(program.codeMap());
    this.data = new DataBreakpoints(program.target);
    if (this.dataRequests.length) this.data.set(this.dataRequests);
    this.variables.reset();
  }

  private begin(): void {
    if (this.config?.stopOnEntry) this.reportStop({ reason: "entry", description: "Stopped at the program's entry point" });
    else this.resume("continue");
  }

  private launchFailed(response: DebugProtocol.Response, e: unknown): void {
    if (e instanceof AssemblyError) {
      response.body = { diagnostics: e.diagnostics };
      this.sendEvent(new OutputEvent(`${e.message}:\n${e.details}\n`, "stderr", { hyperstep: "assemblyErrors", diagnostics: e.diagnostics }));
      // The dialog's button opens the Problems panel; with a command action VS Code offers no
      // "Open launch.json", which would blame a configuration that is fine.
      this.sendErrorResponse(response, { id: Err.Launch, format: e.message, showUser: true, url: "command:workbench.actions.view.problems", urlLabel: "Show Problems" });
      return;
    }
    if (!(e instanceof ConfigError)) {
      this.sendErrorResponse(response, { id: Err.Launch, format: `the guest could not be started: ${(e as Error).message}`, showUser: true });
      return;
    }
    this.sendErrorResponse(response, { id: Err.Launch, format: e.message, showUser: true, variables: { field: e.field } });
  }

  // ---- execution ----

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    if (!this.ready(response)) return;
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    this.resume("continue");
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, args.threadId, "next", args.granularity);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    if (args.targetId !== undefined) {
      const into = this.stepInTargets[args.targetId - 1];
      if (!into) return this.fail(response, Err.NotRunning, `no step-in target ${args.targetId}: ask stepInTargets at this stop`);
      return this.step(response, args.threadId, "stepIn", args.granularity, into);
    }
    this.step(response, args.threadId, "stepIn", args.granularity);
  }

  protected override stepInTargetsRequest(response: DebugProtocol.StepInTargetsResponse, args: DebugProtocol.StepInTargetsArguments): void {
    if (!this.ready(response)) return;
    this.stepInTargets = selectFrame(this.loaded().target, args.frameId) === 0 ? stepTargets(this.loaded()) : [];
    response.body = { targets: this.stepInTargets.map((t, i) => ({ id: i + 1, label: stepTargetLabel(t) })) };
    this.sendResponse(response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, args.threadId, "stepOut", args.granularity);
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.backwards(response, () => (args.granularity === "instruction" || this.loaded().lines.empty ? this.reverse.stepBackInstruction() : this.reverse.stepBackLine()));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.backwards(response, () => this.reverse.reverseContinue());
  }

  /** Moves the guest back in time (synchronously: the past is re-executed from a snapshot) and reports where it stopped. */
  private backwards(response: DebugProtocol.Response, go: () => Stop): void {
    if (!this.ready(response)) return;
    if (!this.loaded().target.history.enabled) return this.fail(response, Err.NotRunning, "time travel is off: historyMiB is 0 in the launch configuration");
    this.sendResponse(response);
    this.travelled(go());
  }

  /** The guest is at another point of its history: what the client shows is stale. */
  private travelled(stop: Stop): void {
    this.variables.reset();
    this.stepInTargets = [];
    this.reportStop(stop);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    if (!this.program || this.ended) return this.fail(response, Err.NotRunning, "no program is running");
    this.sendResponse(response);
    if (this.run.running) this.run.pause();
    else this.reportStop({ reason: "pause", description: "Paused" });
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    if (args.progressId !== undefined && args.progressId === this.currentProgress()) this.run.pause();
    this.sendResponse(response);
  }

  /** Steps the hart of thread `threadId`; the other harts stay where they are (target.step). */
  private step(response: DebugProtocol.Response, threadId: number, kind: StepKind, granularity: DebugProtocol.SteppingGranularity | undefined, into?: StepTarget): void {
    if (!this.ready(response)) return;
    if (!selectThread(this.loaded().target, threadId)) return this.fail(response, Err.UnknownReference, `unknown thread ${threadId}`);
    this.sendResponse(response);
    // The VMM frame is a view of work already done: the next step of its vCPU leaves it for the guest.
    const inside = this.insideVmmOf(this.loaded().target.selectedHart);
    if (inside) return this.reportStop({ reason: "step", description: `Back in the guest after ${exitName(inside.seq)}` });
    // Where inlined calls begin at the pc, Step Into enters one without running, as gdb's step does.
    const hidden = kind === "stepIn" && !into && granularity !== "instruction" ? this.hiddenInlined(this.loaded()) : 0;
    if (hidden > 0) {
      this.variables.reset();
      return this.reportStop({ reason: "step", hiddenInlined: hidden - 1 });
    }
    this.resume(kind, granularity ?? "statement", into);
  }

  private resume(kind: StepKind, granularity: Granularity = "statement", into?: StepTarget): void {
    this.variables.reset();
    this.stepInTargets = [];
    this.run.start(kind, granularity, into);
  }

  /** A guest that is loaded, not ended and not running; otherwise answers with the reason. */
  private ready(response: DebugProtocol.Response): boolean {
    if (!this.program || this.ended) {
      this.fail(response, Err.NotRunning, "no program is running");
      return false;
    }
    if (this.run.running) {
      this.fail(response, Err.Busy, "the guest is running; pause it first");
      return false;
    }
    return true;
  }

  private runHost(): RunHost {
    const program = () => this.loaded();
    const code = this.code;
    const exceptions = this.exceptions;
    const data = () => this.data!;
    const config = () => this.config;
    return {
      get target() { return program().target; },
      get lines() { return program().lines; },
      get symbols() { return program().symbols; },
      get callFrames() { return program().callFrames(); },
      cProgram: () => program().cProgram(() => {}),
      hiddenInlined: () => this.hiddenInlined(program()),
      callStack: () => this.callStack(program()),
      code,
      get data() { return data(); },
      exceptions,
      get maxInstructions() { return config()?.maxInstructions; },
      env: (trap) => program().env(trap),
      stopped: (stop) => this.reportStop(stop),
      ended: (stop) => this.reportEnd(stop),
      output: (text, category) => this.sendEvent(new OutputEvent(text, category)),
      flush: () => this.flushUart(),
      progress: (event, message, percentage) => this.progress(event, message, percentage),
    };
  }

  private reportStop(stop: Stop): void {
    this.flushUart();
    const program = this.loaded();
    this.lastStop = stop;
    this.hideInlinedCalls(program, stop);
    if (stop.exit) {
      stop.text = exitTitle(program, stop.exit);
      stop.description = `${exitName(stop.exit.seq)}: ${stop.text}`;
    } else if (stop.trap) {
      program.lastTrap = stop.trap;
      const where = program.symbols.describe(stop.trap.pc);
      const text = `${causeName(stop.trap.cause)} at 0x${stop.trap.pc.toString(16)}${where ? ` <${where}>` : ""}`;
      stop.description = stop.trapLoop ? `Trap loop: ${TRAP_LOOP_STEPS} traps in a row without a retired instruction, the last ${text}` : `Exception: ${text}`;
      stop.text = stop.trapLoop ? `Trap loop (${text})` : text;
    }
    const e = new StoppedEvent(stop.reason, selectedThread(program.target), stop.text) as DebugProtocol.StoppedEvent;
    e.body.description = stop.description;
    e.body.allThreadsStopped = true;
    if (stop.hitBreakpointIds?.length) e.body.hitBreakpointIds = stop.hitBreakpointIds;
    this.sendEvent(e);
  }

  /**
   * At the first instruction of inlined calls, gdb shows the call: it hides their frames, unless a
   * breakpoint on a line or an address of their body stopped there, or Step Into entered one.
   */
  private hideInlinedCalls(program: Program, stop: Stop): void {
    const { target } = program;
    const c = program.cProgram(() => {});
    const shown = stop.reason === "breakpoint" && this.code.showsInlinedCall(stop.hitBreakpointIds ?? [], program.lines.lineOf(target.pc));
    const count = shown ? 0 : stop.hiddenInlined ?? callsStartingAt(c, target.pc);
    this.inlineHidden = { hart: target.selectedHart, pc: target.pc, count };
  }

  /** The inlined calls hidden at the selected hart's pc: as the last stop left them, or all that begin there. */
  private hiddenInlined(program: Program): number {
    const { target } = program;
    const h = this.inlineHidden;
    return h && h.hart === target.selectedHart && h.pc === target.pc ? h.count : callsStartingAt(program.cProgram(() => {}), target.pc);
  }

  /** The selected hart's call stack, with a frame for each inlined call. */
  private callStack(program: Program): Frame[] {
    const c = program.cProgram((w) => this.sendEvent(new OutputEvent(`hyperstep: ${w}\n`, "console")));
    return withInlinedFrames(unwind(program.target, program.symbols, program.callFrames()), c, this.hiddenInlined(program));
  }

  private reportEnd(stop: TargetStop): void {
    this.flushUart();
    const target = this.program?.target;
    if (stop.kind === "halt") {
      const cost = target?.vmm ? ` ${endOfRunCost(target.vmm.stats())}` : "";
      const why = stop.how === "host-memory" && target?.vmm?.powerOffReason ? `: ${target.vmm.powerOffReason}.` : "";
      this.sendEvent(new OutputEvent(`hyperstep: guest exited with code ${stop.code} (${stop.how})${why}${cost}\n`, "console"));
      this.sendEvent(new ExitedEvent(stop.code));
    }
    const ended = target && endedBody(target);
    if (ended) this.sendEvent(new Event(ENDED_EVENT, ended));
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.data?.clear();
    this.sendEvent(new TerminatedEvent());
  }

  private flushUart(): void {
    const text = this.uart.take();
    if (text) this.sendEvent(new OutputEvent(text, "stdout"));
  }

  private currentProgress(): string {
    return `hyperstep-run-${this.progressId}`;
  }

  private progress(event: "start" | "update" | "end", message: string, percentage?: number): void {
    if (!this.client.supportsProgressReporting) return;
    if (event === "start") {
      this.progressId++;
      const e = new ProgressStartEvent(this.currentProgress(), "Running the guest", message) as DebugProtocol.ProgressStartEvent;
      e.body.cancellable = true;
      if (percentage !== undefined) e.body.percentage = percentage;
      this.sendEvent(e);
    } else if (event === "update") {
      this.sendEvent(new ProgressUpdateEvent(this.currentProgress(), message));
    } else {
      this.sendEvent(new ProgressEndEvent(this.currentProgress(), message));
    }
  }

  // ---- breakpoints ----

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const program = this.program;
    if (!program) return this.fail(response, Err.NotRunning, "no program is loaded");
    const file = program.pathOf(args.source);
    if (!file) return this.fail(response, Err.Arguments, "setBreakpoints needs a source with a path or a known sourceReference");
    const requested = (args.breakpoints ?? args.lines?.map((line) => ({ line })) ?? []).map((b) => ({ ...b, line: this.convertClientLineToDebugger(b.line) }));
    const bps = this.code.setSource(this.convertClientPathToDebugger(file), requested);
    response.body = { breakpoints: bps.map((b) => this.toClientBreakpoint(b)) };
    this.sendResponse(response);
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    const program = this.program;
    const file = program?.pathOf(args.source);
    if (!program || !file) return this.fail(response, Err.Arguments, "breakpointLocations needs a loaded program and a source path");
    const line = this.convertClientLineToDebugger(args.line);
    const endLine = args.endLine === undefined ? line : this.convertClientLineToDebugger(args.endLine);
    response.body = { breakpoints: program.lines.linesWithCode(this.convertClientPathToDebugger(file), line, endLine).map((l) => ({ line: this.convertDebuggerLineToClient(l) })) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    if (!this.program) return this.fail(response, Err.NotRunning, "no program is loaded");
    response.body = { breakpoints: this.code.setFunctions(args.breakpoints ?? []).map((b) => this.toClientBreakpoint(b)) };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    if (!this.program) return this.fail(response, Err.NotRunning, "no program is loaded");
    response.body = { breakpoints: this.code.setInstructions(args.breakpoints ?? []).map((b) => this.toClientBreakpoint(b)) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    response.body = { breakpoints: this.exceptions.set(args) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const program = this.program;
    if (!program) return this.fail(response, Err.NotRunning, "no program is loaded");
    const none = (description: string) => ({ dataId: null, description });
    const accessTypes: DebugProtocol.DataBreakpointAccessType[] = ["write", "read", "readWrite"];
    try {
      if (args.asAddress) {
        const bytes = args.bytes ?? 1;
        if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new ExprError(`bytes must be a positive integer, not ${args.bytes}`);
        const m = /^\s*(va|pa):(.*)$/i.exec(args.name);
        const space = (m?.[1].toLowerCase() ?? "va") as "va" | "pa";
        const addr = evaluate(m ? m[2] : args.name, program.env());
        const ref = { space, addr };
        response.body = { dataId: `${formatMemoryRef(ref)}/${bytes}`, description: `${bytes} byte${bytes > 1 ? "s" : ""} at ${formatMemoryRef(ref)}`, accessTypes, canPersist: false };
      } else if (args.variablesReference) {
        // A C variable (or member, element) names itself with its evaluateName.
        const c = this.variables.variables(args.variablesReference)?.find((v) => v.name === args.name)?.evaluateName;
        const mem = c === undefined ? undefined : this.cObject(c, args.frameId);
        if (mem) {
          response.body = { dataId: `${formatMemoryRef({ space: "va", addr: mem.addr })}/${mem.bytes}`, description: `${c}: ${mem.bytes} bytes at va:0x${mem.addr.toString(16)}`, accessTypes, canPersist: false };
        } else {
          response.body = this.variables.has(args.variablesReference)
            ? none(`'${args.name}' is a register or CSR: the machine can watch memory only; watch what it points to with an expression such as *(u64*)${args.name}`)
            : none(`unknown variables reference ${args.variablesReference}`);
        }
      } else {
        const mem = this.cObject(args.name, args.frameId) ?? memoryOf(args.name, program.env());
        response.body = mem
          ? { dataId: `${formatMemoryRef({ space: "va", addr: mem.addr })}/${mem.bytes}`, description: `${args.name}: ${mem.bytes} bytes at va:0x${mem.addr.toString(16)}`, accessTypes, canPersist: false }
          : none(`'${args.name}' is not a memory location; use a symbol or a load such as *(u32*)(sp+8)`);
      }
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      response.body = none(e.message);
    }
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    if (!this.data) return this.fail(response, Err.NotRunning, "no program is loaded");
    this.dataRequests = args.breakpoints ?? [];
    response.body = { breakpoints: this.data.set(this.dataRequests) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const exit = this.lastStop?.exit;
    if (this.program && exit) {
      response.body = exitInfo(this.program, exit);
      return this.sendResponse(response);
    }
    const trap = this.lastStop?.trap;
    if (!this.program || !trap) return this.fail(response, Err.NotRunning, "the guest did not stop on an exception");
    response.body = exceptionInfo(this.program, trap, this.lastStop?.trapLoop === true);
    this.sendResponse(response);
  }

  private toClientBreakpoint(b: DebugProtocol.Breakpoint): DebugProtocol.Breakpoint {
    if (b.line !== undefined) b.line = this.convertDebuggerLineToClient(b.line);
    if (b.source?.path) b.source = this.loaded().source(b.source.path);
    return b;
  }

  // ---- inspection ----

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: threads(this.program?.target) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    if (!this.ready(response)) return;
    const program = this.loaded();
    if (!selectThread(program.target, args.threadId)) return this.fail(response, Err.UnknownReference, `unknown thread ${args.threadId}`);
    const hart = program.target.selectedHart;
    const inside = this.insideVmmOf(hart);
    const vmmFrame = inside ? [this.vmmFrame(program, inside)] : [];
    const all = this.callStack(program);
    const start = args.startFrame ?? 0;
    const levels = args.levels ? args.levels : all.length + vmmFrame.length;
    const guestFrames = all.map(({ pc, kind, inlined, callLine }, i) => {
      // A caller's pc is a return address; its line is the call's, just before it.
      const where = callLine ?? program.lines.lineOf(kind === "return" ? pc - 1n : pc);
      // Its function too: a call that ends a function returns to the first address of the next one.
      const name = inlined?.name ?? program.symbols.describe(pc, kind === "return" ? pc - 1n : pc) ?? formatHex(pc);
      const frame: DebugProtocol.StackFrame = {
        id: frameId(hart, i),
        name: kind === "trapped" ? `${name} (trap taken here)` : name,
        line: where ? this.convertDebuggerLineToClient(where.line) : 0,
        column: where ? this.convertDebuggerColumnToClient(1) : 0,
        instructionPointerReference: formatHex(pc),
      };
      if (where) frame.source = program.source(where.file);
      else frame.presentationHint = "subtle";
      return frame;
    });
    const frames = [...vmmFrame, ...guestFrames].slice(start, start + levels);
    response.body = { stackFrames: frames, totalFrames: all.length + vmmFrame.length };
    this.sendResponse(response);
  }

  /** The exit the last stop is inside of, when vCPU `hart` made it: the VMM frame is on that thread only. */
  private insideVmmOf(hart: number): VmExit | undefined {
    const inside = this.lastStop?.insideVmm;
    return inside?.vcpu === hart ? inside : undefined;
  }

  /** The frame "inside the VMM" above the guest's: its source is the exit's narrative (a generated, read-only document). */
  private vmmFrame(program: Program, exit: VmExit): DebugProtocol.StackFrame {
    const text = program.target.vmm?.narrate(exit.seq) ?? `${exitName(exit.seq)}: no longer in the exit log\n`;
    const ref = program.generatedSource(`vm-exit-${exit.seq}.vmm`, text);
    const insn = exit.instruction ? disassemble(exit.instruction.bits, exit.pc).text.replace(/\t/g, " ") : exit.reason;
    return {
      id: VMM_FRAME_ID,
      name: `vmm: emulate ${insn}`,
      source: { name: `${exitName(exit.seq)} (${exit.reason})`, sourceReference: ref, presentationHint: "deemphasize", origin: "generated by the VMM (read-only)" },
      line: this.convertDebuggerLineToClient(1),
      column: this.convertDebuggerColumnToClient(1),
      presentationHint: "label",
    };
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    if (!this.ready(response)) return;
    const program = this.loaded();
    const index = selectFrame(program.target, args.frameId);
    const frames = index === undefined ? [] : this.callStack(program).slice(index);
    const c = program.cProgram((w) => this.sendEvent(new OutputEvent(`hyperstep: ${w}\n`, "console")));
    const first = frames[0] && c ? cScopes(program.target, c, frames[0], program.symbols, (list) => this.variables.childrenRef(list), frames.slice(1)) : [];
    response.body = { scopes: this.variables.scopes(first) };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const vars = this.program && !this.run.running ? this.variables.variables(args.variablesReference, args.format, args.start, args.count) : undefined;
    if (!vars) return this.fail(response, Err.UnknownReference, `unknown variables reference ${args.variablesReference}`);
    response.body = { variables: vars };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    if (!this.ready(response)) return;
    this.guard(response, Err.Evaluate, () => {
      const { variable, assigned } = this.variables.set(args.variablesReference, args.name, args.value, args.format);
      response.body = { value: variable.value, type: variable.type, variablesReference: variable.variablesReference, memoryReference: variable.memoryReference };
      this.sendResponse(response);
      this.changed(assigned);
    });
  }

  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    if (!this.ready(response)) return;
    if (args.frameId !== undefined) selectFrame(this.loaded().target, args.frameId);
    this.guard(response, Err.Evaluate, () => {
      const env = this.loaded().env();
      const place = parseExpression(args.expression).value;
      const assigned = assignExpr(place, evaluate(args.value, env), env);
      response.body = { value: formatValue(evaluateExpr(place, env), args.format) };
      this.sendResponse(response);
      this.changed(assigned);
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const repl = args.context === "repl";
    if (repl && ["help", "?", ""].includes(args.expression.trim())) {
      response.body = { result: HELP, variablesReference: 0 };
      return this.sendResponse(response);
    }
    if (!this.ready(response)) return;
    const program = this.loaded();
    if (args.frameId !== undefined) selectFrame(program.target, args.frameId);
    this.guard(response, Err.Evaluate, () => {
      if (repl) {
        const travel = historyCommand(args.expression, program.target, this.reverse, program.env());
        if (travel) {
          response.body = { result: travel.result, variablesReference: 0 };
          this.sendResponse(response);
          if (travel.travelled) this.travelled({ reason: "goto", description: travel.result });
          return;
        }
        const c = this.cExpressions(args.frameId);
        const r = this.repl.run(args.expression, { target: program.target, env: program.env(), symbols: program.symbols, disasm: program.disasm, c });
        response.body = { result: r.result, variablesReference: r.variablesReference ?? (r.csr ? this.variables.fieldsRef(r.csr) : 0), memoryReference: r.memoryReference };
        this.sendResponse(response);
        if (r.changed) this.changed(r.changed);
        return;
      }
      response.body = cFirst(this.cExpressions(args.frameId), args.expression, (c): DebugProtocol.EvaluateResponse["body"] => {
        const v = c.evaluate();
        return { result: v.value, type: v.type, variablesReference: v.variablesReference, namedVariables: v.namedVariables, indexedVariables: v.indexedVariables, memoryReference: v.memoryReference };
      }, () => {
        const { target, value } = parseExpression(args.expression);
        if (target) throw new ExprError("assignments are allowed in the debug console only");
        const v = evaluateExpr(value, program.env());
        const body: DebugProtocol.EvaluateResponse["body"] = { result: formatValue(v, args.format), variablesReference: value.k === "csr" && CSR_FIELDS.has(value.name) ? this.variables.fieldsRef(value.name) : 0 };
        if (program.target.readMemory("va", v, 1)) body.memoryReference = formatMemoryRef({ space: "va", addr: v });
        return body;
      });
      this.sendResponse(response);
    });
  }

  /** The memory a C expression's object is (`p->state`, `proc[1]`), in a C frame; undefined otherwise. */
  private cObject(text: string, frameId: number | undefined): { addr: bigint; bytes: number } | undefined {
    return cFirst(this.cExpressions(frameId), text, (c) => c.object(), () => undefined);
  }

  /** C expressions in the frame `frameId` (the top one when none), when it is a C frame. */
  private cExpressions(frameId: number | undefined): ((text: string) => ParsedC) | undefined {
    const program = this.loaded();
    // A frame id names its hart too (threads.ts): the index within that hart's stack.
    const index = frameId === undefined ? 0 : selectFrame(program.target, frameId);
    if (index === undefined) return undefined;
    const frames = this.callStack(program).slice(index);
    const c = frames[0] && program.cProgram((w) => this.sendEvent(new OutputEvent(`hyperstep: ${w}\n`, "console")));
    return c ? cExpressions(program.target, c, frames[0], program.symbols, (list) => this.variables.childrenRef(list), frames.slice(1)) : undefined;
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    const program = this.program;
    if (!program) return this.fail(response, Err.NotRunning, "no program is loaded");
    const column = args.column - (this.client.columnsStartAt1 === false ? 0 : 1);
    const items = complete(args.text, column, { symbols: program.symbols, convenience: ["priv", "instret", "cause", "tval", "epc"] });
    response.body = {
      targets: items.slice(0, 200).map((c) => ({ label: c.label, text: c.label, start: c.start + (this.client.columnsStartAt1 === false ? 0 : 1) - 1, length: c.length, type: c.type as DebugProtocol.CompletionItemType })),
    };
    this.sendResponse(response);
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    if (!this.ready(response)) return;
    this.guard(response, Err.Memory, () => {
      response.body = readMemory(args, this.loaded());
      this.sendResponse(response);
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    if (!this.ready(response)) return;
    this.guard(response, Err.Memory, () => {
      const { ref, written } = writeMemory(args, this.loaded());
      response.body = { bytesWritten: written };
      this.sendResponse(response);
      if (written > 0) this.changed({ kind: "memory", addr: ref.addr, bytes: written }, ref.space);
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    if (!this.ready(response)) return;
    this.guard(response, Err.Memory, () => {
      response.body = { instructions: disassembleRequest(args, this.loaded()) };
      this.sendResponse(response);
    });
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    response.body = { sources: this.program?.loadedSources() ?? [] };
    this.sendResponse(response);
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const ref = args.source?.sourceReference ?? args.sourceReference;
    if (ref === undefined && args.source?.path === undefined) return this.fail(response, Err.Arguments, "source needs 'sourceReference', or 'source' with a path or a sourceReference");
    const program = this.program;
    const text = program?.sourceText(ref, args.source?.path);
    if (text === undefined) return this.fail(response, Err.UnknownReference, `no source content for ${args.source?.path ?? `reference ${ref}`}`);
    response.body = { content: text, mimeType: program?.isGenerated(ref) ? "text/plain" : "text/x-riscv-asm" };
    this.sendResponse(response);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (PANEL_REQUESTS.includes(command)) return this.panelRequest(command, response, args);
    if (command !== UART_INPUT_REQUEST) return this.fail(response, Err.Arguments, `unknown request '${command}'`);
    const text = (args as { text?: unknown } | undefined)?.text;
    if (typeof text !== "string") return this.fail(response, Err.Arguments, `${UART_INPUT_REQUEST} needs 'text', a string`);
    response.body = { bytes: this.uart.feed(text) };
    this.sendResponse(response);
  }

  /** The panels' data (custom_requests.ts), answered only while the guest is stopped. */
  private panelRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (!this.ready(response)) return;
    this.guard(response, Err.Arguments, () => {
      response.body = panelBody(command, this.loaded().target, args, () => this.loaded().env());
      this.sendResponse(response);
    });
  }

  // ---- helpers ----

  private loaded(): Program {
    if (!this.program) throw new ExprError("no program is loaded");
    return this.program;
  }

  /** Runs `fn`; an ExprError becomes an error response with its message. */
  private guard(response: DebugProtocol.Response, id: Err, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      this.fail(response, id, e.message);
    }
  }

  private fail(response: DebugProtocol.Response, id: Err, message: string): void {
    this.sendErrorResponse(response, { id, format: message, showUser: false });
  }

  /** Tells the client that guest state changed under it (setVariable, setExpression, writes). */
  private changed(what: Assigned, space: "va" | "pa" | "gva" | "gpa" | "hpa" = "va"): void {
    const fork = this.program?.target.history.lastFork;
    if (fork && fork !== this.reportedFork) {
      this.reportedFork = fork;
      this.code.forgetHitsAfter(fork.at);
      this.data?.forgetHitsAfter(fork.at);
      this.sendEvent(new OutputEvent(`hyperstep: written in the past (step ${fork.at.toLocaleString("en-US")}): the timeline forks here and its recorded future (${fork.discarded.toLocaleString("en-US")} step${fork.discarded === 1 ? "" : "s"}) is discarded\n`, "console"));
    }
    if (this.client.supportsInvalidatedEvent) {
      this.sendEvent(new InvalidatedEvent(what.kind === "pc" ? ["all"] : ["variables"], this.program && selectedThread(this.program.target)));
    }
    if (what.kind === "memory" && this.client.supportsMemoryEvent) {
      this.sendEvent(new MemoryEvent(formatMemoryRef({ space, addr: what.addr }), 0, what.bytes));
    }
  }
}
