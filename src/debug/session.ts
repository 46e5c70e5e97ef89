import {
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  Scope,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  ExitedEvent,
  Thread,
  Source,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { StopReason } from "../machine/board";
import type { Target } from "../hypervisor/target";
import { ConfigError, parseLaunchConfig, type LaunchConfig } from "./launch_config";
import { loadTarget } from "./load_target";
import { REGISTER_NAMES, formatHex } from "./registers";

const THREAD_ID = 1;
/** Instructions per slice of a `continue`: small enough that `pause` is answered promptly. */
const SLICE_INSTRUCTIONS = 200_000;
const REGISTERS_REF = 1;

/**
 * The Debug Adapter Protocol server. It maps DAP requests onto a `Target` and knows nothing of
 * VS Code, so it runs inline in the extension and standalone over stdio or TCP alike.
 */
export class HyperstepSession extends LoggingDebugSession {
  private target: Target | undefined;
  private config: LaunchConfig | undefined;
  private running = false;
  private pauseRequested = false;
  private configurationDone: Promise<void>;
  private signalConfigurationDone!: () => void;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configurationDone = new Promise((resolve) => (this.signalConfigurationDone = resolve));
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsTerminateRequest: true,
      supportsSteppingGranularity: true,
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
      this.target = await loadTarget(this.config, (text) => this.sendEvent(new OutputEvent(text, "stdout")));
    } catch (e) {
      const field = e instanceof ConfigError ? e.field : undefined;
      this.sendErrorResponse(response, { id: 1001, format: (e as Error).message, showUser: true, variables: field ? { field } : undefined });
      return;
    }
    // The session is fully set up before VS Code sends breakpoints, so a failed launch never leaves
    // a half-started session behind.
    this.sendEvent(new InitializedEvent());
    this.sendResponse(response);
    await this.configurationDone;
    if (this.config.stopOnEntry) {
      this.sendEvent(new StoppedEvent("entry", THREAD_ID));
    } else {
      this.resume();
    }
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, "hart 0")] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse): void {
    const target = this.target;
    if (!target) return this.sendErrorResponse(response, 1002, "no program is running");
    const pc = target.pc;
    const sym = this.symbolAt(pc);
    const name = sym ? (pc === sym.address ? sym.name : `${sym.name}+0x${(pc - sym.address).toString(16)}`) : formatHex(pc);
    const frame = new StackFrame(0, name, undefined as unknown as Source);
    frame.instructionPointerReference = formatHex(pc);
    response.body = { stackFrames: [frame], totalFrames: 1 };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse): void {
    response.body = { scopes: [new Scope("Registers", REGISTERS_REF, false)] };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const target = this.target;
    if (!target || args.variablesReference !== REGISTERS_REF) {
      return this.sendErrorResponse(response, 1003, `unknown variables reference ${args.variablesReference}`);
    }
    const variables: DebugProtocol.Variable[] = [{ name: "pc", value: formatHex(target.pc), variablesReference: 0 }];
    for (let i = 1; i < 32; i++) {
      variables.push({ name: REGISTER_NAMES[i], value: formatHex(target.getReg(i)), variablesReference: 0 });
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.sendResponse(response);
    this.resume();
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.stepOnce(response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.stepOnce(response);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.pauseRequested = this.running;
    this.sendResponse(response);
    if (!this.running) this.sendEvent(new StoppedEvent("pause", THREAD_ID));
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.stopRunning();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.stopRunning();
    this.sendResponse(response);
  }

  private stopRunning(): void {
    this.running = false;
    this.target = undefined;
  }

  private stepOnce(response: DebugProtocol.Response): void {
    const target = this.target;
    if (!target) return this.sendErrorResponse(response, 1002, "no program is running");
    this.sendResponse(response);
    const stop = target.step();
    if (!this.reportEnd(stop)) this.sendEvent(new StoppedEvent("step", THREAD_ID));
  }

  /** Runs the guest in slices, yielding to the event loop between them so `pause` is heard. */
  private resume(): void {
    if (!this.target || this.running) return;
    this.running = true;
    this.pauseRequested = false;
    const slice = () => {
      const target = this.target;
      if (!this.running || !target) return;
      if (this.pauseRequested) {
        this.running = false;
        this.sendEvent(new StoppedEvent("pause", THREAD_ID));
        return;
      }
      const limit = this.config?.maxInstructions;
      const budget = limit === undefined ? SLICE_INSTRUCTIONS : Math.min(SLICE_INSTRUCTIONS, limit - Number(target.instret));
      if (budget <= 0) {
        this.running = false;
        this.sendEvent(new OutputEvent(`hyperstep: stopped after maxInstructions = ${limit}\n`, "console"));
        this.sendEvent(new StoppedEvent("pause", THREAD_ID, `instruction limit (${limit}) reached`));
        return;
      }
      const stop = target.run(budget);
      if (stop.kind === "budget") {
        setImmediate(slice);
        return;
      }
      this.running = false;
      if (!this.reportEnd(stop)) {
        const reason = stop.kind === "breakpoint" ? "breakpoint" : stop.kind === "watchpoint" ? "data breakpoint" : "exception";
        this.sendEvent(new StoppedEvent(reason, THREAD_ID));
      }
    };
    setImmediate(slice);
  }

  /** Ends the session when the guest halted; returns whether it did. */
  private reportEnd(stop: StopReason): boolean {
    if (stop.kind !== "halt" && stop.kind !== "idle") return false;
    const text = stop.kind === "halt"
      ? `hyperstep: guest exited with code ${stop.code} (${stop.how})\n`
      : "hyperstep: the hart is waiting (wfi) with no interrupt that could ever wake it\n";
    this.sendEvent(new OutputEvent(text, "console"));
    this.sendEvent(new ExitedEvent(stop.kind === "halt" ? stop.code : 0));
    this.sendEvent(new TerminatedEvent());
    this.stopRunning();
    return true;
  }

  private symbolAt(pc: bigint) {
    let best: Target["symbols"][number] | undefined;
    for (const s of this.target?.symbols ?? []) {
      // Assembly labels carry no symbol type, so any symbol at or below pc names the frame;
      // at equal addresses a function symbol wins.
      if (s.address <= pc && (!best || s.address > best.address || (s.address === best.address && s.isFunction))) best = s;
    }
    return best;
  }
}
