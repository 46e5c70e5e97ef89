/**
 * What the extension's trackers read from the debug adapter's messages, as VS Code relays them.
 * Pure (no `vscode` import) so it is unit-tested; the trackers in launch_problems.ts, uart_terminal.ts
 * and status_bar.ts act on the results.
 *
 * A message comes from another component (the adapter, or a future out-of-process one), so every
 * field is checked before use.
 */
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { AsmDiagnostic } from "../asm/diagnostics";
import { problemRange, type AsmProblem } from "./diagnostics";

type Message = DebugProtocol.ProtocolMessage;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function event(m: Message, name: string): DebugProtocol.Event | undefined {
  return m.type === "event" && (m as DebugProtocol.Event).event === name ? (m as DebugProtocol.Event) : undefined;
}

function response(m: Message, command: string): DebugProtocol.Response | undefined {
  return m.type === "response" && (m as DebugProtocol.Response).command === command ? (m as DebugProtocol.Response) : undefined;
}

function isDiagnostic(v: unknown): v is AsmDiagnostic {
  if (!isRecord(v)) return false;
  const positive = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 1;
  return typeof v.file === "string" && positive(v.line) && positive(v.column) && typeof v.message === "string" &&
    (v.endColumn === undefined || positive(v.endColumn));
}

function diagnosticsIn(v: unknown): AsmDiagnostic[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every(isDiagnostic) ? v : undefined;
}

/**
 * The assembly errors a failed launch reports: in the `output` event tagged
 * `{hyperstep: "assemblyErrors"}`, or in the failed `launch`/`restart` response's body.
 */
export function assemblyErrorsIn(m: Message): AsmDiagnostic[] | undefined {
  const output = event(m, "output");
  if (output) {
    const data: unknown = output.body?.data;
    return isRecord(data) && data.hyperstep === "assemblyErrors" ? diagnosticsIn(data.diagnostics) : undefined;
  }
  const failed = response(m, "launch") ?? response(m, "restart");
  return failed && !failed.success && isRecord(failed.body) ? diagnosticsIn(failed.body.diagnostics) : undefined;
}

/** True for the response that says the guest loaded: the launch (or a restart) succeeded. */
export function launchSucceeded(m: Message): boolean {
  return (response(m, "launch") ?? response(m, "restart"))?.success === true;
}

/** The guest's UART output in an `output` event (category `stdout`), or undefined. */
export function uartOutputIn(m: Message): string | undefined {
  const output = event(m, "output");
  const body: unknown = output?.body;
  return isRecord(body) && body.category === "stdout" && typeof body.output === "string" ? body.output : undefined;
}

/** True for a `stopped` event. */
export function isStopped(m: Message): boolean {
  return event(m, "stopped") !== undefined;
}

const RESUMING = new Set(["continue", "next", "stepIn", "stepOut", "stepBack", "reverseContinue", "restart", "goto"]);

/** True for a request (from VS Code to the adapter) that sets the guest running. */
export function isResumeRequest(m: Message): boolean {
  return m.type === "request" && RESUMING.has((m as DebugProtocol.Request).command);
}

/**
 * The errors as editor problems with exact 0-based ranges, using the same mapping as the live
 * assembly problems; `lineText(file, line)` gives a 1-based line's text ("" when unknown).
 */
export function launchProblems(errors: readonly AsmDiagnostic[], lineText: (file: string, line: number) => string): AsmProblem[] {
  return errors.map((e) => ({ file: e.file, range: problemRange(e, lineText(e.file, e.line)), message: e.message }));
}

/**
 * Guest text for a terminal. A guest writes "\n" for a new line, as a program on a serial line does,
 * and the terminal needs "\r\n"; a "\r\n" the guest wrote itself stays as it is.
 */
export function forTerminal(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}
