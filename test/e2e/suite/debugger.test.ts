// The debugger in a real VS Code: what a user does with F5, breakpoints, the Variables, Disassembly
// and memory views, the Problems panel and the UART terminal, checked through VS Code's own API.
import * as assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import * as vscode from "vscode";
import { screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 15_000;
const UART_TERMINAL = "Hyperstep UART";
const THREAD_ID = 1;

interface AdapterMessage {
  session: vscode.DebugSession;
  message: DebugProtocol.ProtocolMessage;
}

/** What the debug adapter sends VS Code, seen through a tracker exactly as VS Code receives it. */
const fromAdapter = new vscode.EventEmitter<AdapterMessage>();

function stoppedBody(m: DebugProtocol.ProtocolMessage): DebugProtocol.StoppedEvent["body"] | undefined {
  return m.type === "event" && (m as DebugProtocol.Event).event === "stopped" ? (m as DebugProtocol.StoppedEvent).body : undefined;
}

/** The next `stopped` event with `reason`; subscribe before causing it. */
function nextStop(reason: string): Promise<AdapterMessage> {
  return nextEvent(fromAdapter.event, ({ message }) => stoppedBody(message)?.reason === reason, EVENT_MS, `a 'stopped' event with reason '${reason}'`);
}

/** Everything the guest writes to its UART (the adapter's `stdout` output) from now until `until` is seen. */
function uartOutput(until: string): Promise<string> {
  let text = "";
  return nextEvent(fromAdapter.event, ({ message }) => {
    const m = message as DebugProtocol.OutputEvent;
    if (m.type === "event" && m.event === "output" && m.body.category === "stdout") text += m.body.output;
    return text.includes(until);
  }, EVENT_MS, `the guest to write ${JSON.stringify(until)}`).then(() => text);
}

async function workspaceFolder(): Promise<vscode.WorkspaceFolder> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("no workspace folder is open: run the suite through test/e2e/run.mjs");
  return folder;
}

/** The 0-based line of the first line of `document` that contains `text`. */
function lineOf(document: vscode.TextDocument, text: string): number {
  for (let i = 0; i < document.lineCount; i++) if (document.lineAt(i).text.includes(text)) return i;
  throw new Error(`${document.uri.fsPath} has no line containing '${text}'`);
}

async function request<T>(session: vscode.DebugSession, command: string, args: unknown): Promise<T> {
  return (await within(EVENT_MS, session.customRequest(command, args), `the '${command}' request`)) as T;
}

async function topFrame(session: vscode.DebugSession): Promise<DebugProtocol.StackFrame> {
  const { stackFrames } = await request<DebugProtocol.StackTraceResponse["body"]>(session, "stackTrace", { threadId: THREAD_ID, startFrame: 0, levels: 1 });
  assert.ok(stackFrames[0], "the stack trace is empty");
  return stackFrames[0];
}

/** A register's value as the Variables view gets it: scopes of the frame, then the Registers scope's variables. */
async function register(session: vscode.DebugSession, frameId: number, name: string): Promise<DebugProtocol.Variable> {
  const { scopes } = await request<DebugProtocol.ScopesResponse["body"]>(session, "scopes", { frameId });
  const registers = scopes.find((s) => s.presentationHint === "registers");
  assert.ok(registers, `no registers scope among ${scopes.map((s) => s.name).join(", ")}`);
  const { variables } = await request<DebugProtocol.VariablesResponse["body"]>(session, "variables", { variablesReference: registers.variablesReference });
  const v = variables.find((x) => x.name === name);
  assert.ok(v, `no register '${name}' in the Registers scope`);
  return v;
}

/** The next stack frame VS Code focuses (as the Call Stack view does when a thread stops). */
function focusedFrame(what: string): Promise<vscode.DebugStackFrame> {
  return nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item instanceof vscode.DebugStackFrame, EVENT_MS, what) as Promise<vscode.DebugStackFrame>;
}

async function stop(session: vscode.DebugSession): Promise<void> {
  const terminated = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to terminate");
  await vscode.debug.stopDebugging(session);
  await terminated;
}

/** startDebugging, which under test rejects (VS Code may not open its error dialog) instead of resolving false. */
async function tryStart(folder: vscode.WorkspaceFolder, config: vscode.DebugConfiguration): Promise<boolean> {
  return within(EVENT_MS, vscode.debug.startDebugging(folder, config), "startDebugging").then((ok) => ok, () => false);
}

describe("the debugger in VS Code", () => {
  let folder: vscode.WorkspaceFolder;
  let hello: vscode.TextDocument;
  let tracker: vscode.Disposable;

  before(async () => {
    folder = await workspaceFolder();
    hello = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "hello", "hello.S"));
    tracker = vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
      createDebugAdapterTracker: (session) => ({ onDidSendMessage: (message) => fromAdapter.fire({ session, message }) }),
    });
  });

  after(async () => {
    tracker.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await stop(vscode.debug.activeDebugSession);
  });

  it("F5 on an open .S file with no launch.json stops on its first instruction", async () => {
    await vscode.window.showTextDocument(hello);
    const stopped = nextStop("entry");
    // The Run and Debug view's F5: no launch.json in this workspace, so VS Code picks the debugger by
    // the editor's language and asks the configuration provider to fill in an empty configuration.
    await within(EVENT_MS, vscode.commands.executeCommand("workbench.action.debug.start"), "F5");
    const { session } = await stopped;
    assert.equal(session.type, "hyperstep");
    assert.equal(session.configuration.program, hello.uri.fsPath);
    const frame = await topFrame(session);
    assert.equal(frame.name, "_start");
    assert.equal(frame.line, lineOf(hello, "la      sp, stack_top") + 1);
    await stop(session);
  });

  describe("a session stopped at a source breakpoint in hello.S", () => {
    let session: vscode.DebugSession;
    let bpLine: number;

    before(() => {
      bpLine = lineOf(hello, "li      t1, FINISHER_PASS");
    });

    it("runs to the breakpoint (reason 'breakpoint', the top frame on its line)", async () => {
      await vscode.window.showTextDocument(hello);
      vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(hello.uri, new vscode.Position(bpLine, 0)))]);
      const entry = nextStop("entry");
      const entryFocused = focusedFrame("VS Code to focus the entry frame");
      assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: breakpoint", program: hello.uri.fsPath, stopOnEntry: true }), true);
      ({ session } = await entry);
      // The Continue button acts on the thread VS Code has focused: wait until it has.
      await entryFocused;

      const atBreakpoint = nextStop("breakpoint");
      const focused = focusedFrame("VS Code to focus the frame at the breakpoint");
      const printed = uartOutput("Goodbye.");
      await vscode.commands.executeCommand("workbench.action.debug.continue");
      const body = stoppedBody((await atBreakpoint).message)!;
      assert.equal(body.threadId, THREAD_ID);
      assert.ok(body.hitBreakpointIds?.length, "the stopped event names no breakpoint");
      const frame = await topFrame(session);
      assert.equal(frame.line, bpLine + 1);
      // Under code-server, VS Code hands the path back as the remote URI it shows the file by.
      const where = frame.source?.path ?? "";
      assert.ok(where === hello.uri.fsPath || vscode.Uri.parse(where).path === hello.uri.path, `the top frame is in ${where}`);
      assert.equal((await focused).session.id, session.id);
      assert.match(await printed, /Hello from a RISC-V guest!\nBack from the trap handler\. Goodbye\.\n/);
      assert.ok(vscode.window.terminals.some((t) => t.name === UART_TERMINAL), `no '${UART_TERMINAL}' terminal among ${vscode.window.terminals.map((t) => t.name).join(", ")}`);
    });

    it("shows the registers in the Variables view", async () => {
      const item = vscode.debug.activeStackItem;
      assert.ok(item instanceof vscode.DebugStackFrame, "no stack frame is focused");
      assert.equal(item.session.id, session.id);
      const t0 = await register(session, item.frameId, "t0");
      assert.equal(t0.value, "0x0000000000100000", "t0 should hold the finisher's address (li t0, FINISHER)");
      const privilege = await register(session, item.frameId, "privilege");
      assert.equal(privilege.value, "M (3)");
      const sp = await register(session, item.frameId, "sp");
      assert.ok(sp.memoryReference, "sp, a pointer into RAM, has no memory reference");

      // For the picture: the Variables view with its first scope, Registers, expanded.
      await vscode.commands.executeCommand("workbench.view.debug");
      await vscode.commands.executeCommand("workbench.debug.action.focusVariablesView");
      await vscode.commands.executeCommand("list.focusFirst");
      await vscode.commands.executeCommand("list.expand");
      await screenshot("debugger-breakpoint-variables");
    });

    it("steps one instruction from the Disassembly view, pc advancing by its length", async () => {
      await within(EVENT_MS, vscode.commands.executeCommand("debug.action.openDisassemblyView"), "the Disassembly view to open");
      const before = await topFrame(session);
      const pc = before.instructionPointerReference!;
      const { instructions } = await request<NonNullable<DebugProtocol.DisassembleResponse["body"]>>(session, "disassemble", { memoryReference: pc, instructionCount: 2 });
      assert.equal(BigInt(instructions[0]!.address), BigInt(pc));
      assert.match(instructions[0]!.instruction, /^lui\s+t1/, "li t1, 0x5555 starts with a lui");
      const length = instructions[0]!.instructionBytes!.replace(/\s/g, "").length / 2;

      const stepped = nextStop("step");
      await request(session, "stepIn", { threadId: THREAD_ID, granularity: "instruction" });
      await stepped;
      const after = await topFrame(session);
      assert.equal(BigInt(after.instructionPointerReference!) - BigInt(pc), BigInt(length));
      assert.equal(BigInt(after.instructionPointerReference!), BigInt(instructions[1]!.address));
      assert.equal((await register(session, after.id, "t1")).value, "0x0000000000005000", "lui t1, 0x5 ran");
      await screenshot("debugger-disassembly");
    });

    it("reads guest memory through VS Code's memory view file system", async () => {
      // The memory view is the hex editor (ms-vscode.hexeditor) over VS Code's vscode-debug-memory:
      // file system, which sends readMemory. The hex editor is not installed offline, so this reads that
      // file system directly, as the hex editor would, and compares it with a readMemory of our own.
      const greeting = await request<DebugProtocol.EvaluateResponse["body"]>(session, "evaluate", { expression: "greeting", context: "watch" });
      assert.ok(greeting.memoryReference, "the symbol 'greeting' has no memory reference");
      const text = "Hello from a RISC-V guest!";
      const read = await request<NonNullable<DebugProtocol.ReadMemoryResponse["body"]>>(session, "readMemory", { memoryReference: greeting.memoryReference, count: text.length });
      assert.equal(Buffer.from(read.data ?? "", "base64").toString("latin1"), text);

      const memory = vscode.Uri.from({
        scheme: "vscode-debug-memory", authority: session.id,
        path: `/${encodeURIComponent(greeting.memoryReference)}/greeting.bin`, query: `?range=0:${text.length}`,
      });
      const bytes = await within(EVENT_MS, vscode.workspace.fs.readFile(memory), "VS Code's memory file system");
      assert.equal(Buffer.from(bytes).toString("latin1"), text);

      await within(EVENT_MS, vscode.commands.executeCommand("vscode.open", memory), "the memory document to open");
      await screenshot("debugger-memory");
    });

    after(async () => {
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      if (session) await stop(session);
    });
  });

  describe("launch errors and the UART terminal", () => {
    const BROKEN = "_start:\n  li a0, 1\n  addi a0, a0\n  lw a1, 0(a9)\n  csrr t0, mstatus\n";
    const errorsOf = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === "hyperstep");
    // Scratch files, removed so that later suites see only the lessons in the workspace; their
    // problems go with them (the closed editor's document may linger, but the file is gone).
    after(async () => {
      const scratch = vscode.Uri.joinPath(folder.uri, "zz-debugger");
      const files = ["broken.S", "open-broken.S"].map((f) => vscode.Uri.joinPath(scratch, f));
      const cleared = files.some((f) => errorsOf(f).length > 0)
        ? nextEvent(vscode.languages.onDidChangeDiagnostics, () => files.every((f) => errorsOf(f).length === 0), EVENT_MS, "the deleted files' problems to clear")
        : Promise.resolve();
      await vscode.workspace.fs.delete(scratch, { recursive: true, useTrash: false });
      await cleared;
    });

    it("a launch that fails to assemble puts each error in the Problems panel, and a good launch clears them", async () => {
      // Not opened in an editor, so only the failed launch can report its errors.
      const uri = vscode.Uri.joinPath(folder.uri, "zz-debugger", "broken.S");
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(BROKEN));
      const reported = nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(uri).length > 0, EVENT_MS, "diagnostics for broken.S");
      const response = nextEvent(fromAdapter.event, ({ message }) => message.type === "response" && (message as DebugProtocol.Response).command === "launch",
        EVENT_MS, "the adapter's response to 'launch'");
      assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: broken", program: uri.fsPath, stopOnEntry: true }), false);
      const launch = (await response).message as DebugProtocol.LaunchResponse;
      assert.equal(launch.success, false);
      assert.equal(launch.message, "broken.S does not assemble: 2 errors (see Problems)");
      await reported;
      assert.equal(vscode.debug.activeDebugSession, undefined, "a failed launch left a session behind");
      assert.ok(!vscode.window.terminals.some((t) => t.name === UART_TERMINAL), "a failed launch opened a UART terminal");

      const errors = errorsOf(uri).map((d) => ({ range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], message: d.message }));
      assert.equal(errors.length, 2, JSON.stringify(errors));
      assert.deepEqual(errors[0]!.range, [2, 2, 2, 6]);
      assert.match(errors[0]!.message, /'addi' takes two registers and an immediate/);
      assert.deepEqual(errors[1]!.range, [3, 11, 3, 13]);
      assert.match(errors[1]!.message, /base register/);
      await screenshot("debugger-launch-problems");

      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(BROKEN.replace("addi a0, a0\n", "addi a0, a0, 1\n").replace("(a9)", "(a0)")));
      const cleared = nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(uri).length === 0, EVENT_MS, "the launch errors to clear");
      const entry = nextStop("entry");
      assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: fixed", program: uri.fsPath, stopOnEntry: true }), true);
      const { session } = await entry;
      await cleared;
      await stop(session);
    });

    it("does not repeat the errors of a broken file already open in an editor", async () => {
      const uri = vscode.Uri.joinPath(folder.uri, "zz-debugger", "open-broken.S");
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(BROKEN));
      const live = nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(uri).length === 2, EVENT_MS, "live diagnostics for open-broken.S");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      await live;
      const response = nextEvent(fromAdapter.event, ({ message }) => message.type === "response" && (message as DebugProtocol.Response).command === "launch",
        EVENT_MS, "the adapter's response to 'launch'");
      assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: open broken", program: uri.fsPath, stopOnEntry: true }), false);
      assert.equal(((await response).message as DebugProtocol.LaunchResponse).success, false);
      assert.equal(errorsOf(uri).length, 2, JSON.stringify(errorsOf(uri).map((d) => d.message)));
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    });

    it("opens a UART terminal whose keystrokes reach the guest, and closes it with the session", async () => {
      const guest = vscode.Uri.joinPath(folder.uri, "uart-echo", "uart_echo.S");
      const opened = nextEvent(vscode.window.onDidOpenTerminal, (t) => t.name === UART_TERMINAL, EVENT_MS, `the '${UART_TERMINAL}' terminal to open`);
      const banner = uartOutput("Ctrl-D ends.\n");
      const started = nextEvent(vscode.debug.onDidStartDebugSession, (s) => s.type === "hyperstep", EVENT_MS, "the session to start");
      assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: uart", program: guest.fsPath, stopOnEntry: false }), true);
      const session = await started;
      const terminal = await opened;
      await banner;

      // Typed keys: "hi" and Enter, which a terminal sends as "\r"; the guest echoes Enter as "\r\n".
      const echoed = uartOutput("hi\r\n");
      terminal.sendText("hi", true);
      assert.match(await echoed, /hi\r\n/);
      await screenshot("debugger-uart-terminal");

      const closed = nextEvent(vscode.window.onDidCloseTerminal, (t) => t === terminal, EVENT_MS, "the UART terminal to close");
      const terminated = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the guest to end on Ctrl-D");
      terminal.sendText("\x04", false);
      await terminated;
      await closed;
      assert.ok(!vscode.window.terminals.some((t) => t.name === UART_TERMINAL));
    });

    it("opens no UART terminal when hyperstep.uartTerminal is off", async () => {
      const settings = vscode.workspace.getConfiguration("hyperstep");
      await settings.update("uartTerminal", false, vscode.ConfigurationTarget.Global);
      // The session ends (and would close its terminal) before the check: watch every terminal that opens.
      const openedTerminals: string[] = [];
      const watching = vscode.window.onDidOpenTerminal((t) => openedTerminals.push(t.name));
      try {
        const printed = uartOutput("Goodbye.");
        const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.type === "hyperstep", EVENT_MS, "hello.S to run to its end");
        assert.equal(await tryStart(folder, { type: "hyperstep", request: "launch", name: "e2e: no terminal", program: hello.uri.fsPath, stopOnEntry: false }), true);
        await printed;
        await ended;
        assert.deepEqual(openedTerminals.filter((name) => name === UART_TERMINAL), [], "a UART terminal opened although the setting is off");
      } finally {
        watching.dispose();
        await settings.update("uartTerminal", undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });
});
