/**
 * The shapes of the DAP requests' arguments, checked where a request enters the adapter
 * (HyperstepSession.dispatchRequest), before any handler sees them.
 *
 * The protocol's TypeScript types hold only for clients that follow them; a request from any other
 * client may carry anything. One table here says what every request the adapter answers may carry,
 * so a wrong argument is answered with a message that names it, never with an exception from deep
 * inside a handler. Fields not listed are ignored, as the protocol allows. `launch` is checked field
 * by field by launch_config.ts; custom requests by custom_requests.ts, once they are known to carry
 * an object.
 *
 * Numbers are bounded here too, so that no request makes the adapter do work out of proportion to
 * its answer: see the caps in README.md ("Debug adapter limits").
 */
type Shape =
  | { t: "string" | "boolean" | "object" }
  | { t: "int"; min: number; max: number }
  | { t: "array"; of: Shape; max: number }
  | { t: "record"; fields: Fields };
type Fields = Record<string, { shape: Shape; required?: boolean }>;

const str: Shape = { t: "string" };
const bool: Shape = { t: "boolean" };
const obj: Shape = { t: "object" };
const int = (min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Shape => ({ t: "int", min, max });
const record = (fields: Fields): Shape => ({ t: "record", fields });
const array = (of: Shape, max = 100_000): Shape => ({ t: "array", of, max });
const req = (shape: Shape) => ({ shape, required: true });
const opt = (shape: Shape) => ({ shape });

/** The most instructions a `disassemble` request may return, or skip from its reference. */
export const MAX_DISASSEMBLE = 100_000;
/** The most data breakpoints one request may set: each is a watch the hart checks, and setting them costs their number squared. */
export const MAX_DATA_BREAKPOINTS = 1024;

const id = int(0);
const source = record({ name: opt(str), path: opt(str), sourceReference: opt(int()) });
const format = record({ hex: opt(bool) });
const conditions = { condition: opt(str), hitCondition: opt(str) };
const step = { threadId: req(id), granularity: opt(str), singleThread: opt(bool) };

const REQUESTS: Record<string, Fields> = {
  initialize: {
    adapterID: req(str), clientID: opt(str), clientName: opt(str), locale: opt(str), pathFormat: opt(str),
    linesStartAt1: opt(bool), columnsStartAt1: opt(bool), supportsProgressReporting: opt(bool),
    supportsInvalidatedEvent: opt(bool), supportsMemoryEvent: opt(bool), supportsVariableType: opt(bool),
  },
  configurationDone: {},
  launch: {},
  attach: {},
  restart: { arguments: opt(obj) },
  disconnect: { restart: opt(bool), terminateDebuggee: opt(bool), suspendDebuggee: opt(bool) },
  terminate: { restart: opt(bool) },
  setBreakpoints: {
    source: req(source),
    breakpoints: opt(array(record({ line: req(int(0)), column: opt(int(0)), logMessage: opt(str), ...conditions }))),
    lines: opt(array(int(0))),
    sourceModified: opt(bool),
  },
  setFunctionBreakpoints: { breakpoints: req(array(record({ name: req(str), ...conditions }))) },
  setInstructionBreakpoints: { breakpoints: req(array(record({ instructionReference: req(str), offset: opt(int()), ...conditions }))) },
  setExceptionBreakpoints: {
    filters: req(array(str)),
    filterOptions: opt(array(record({ filterId: req(str), condition: opt(str) }))),
    exceptionOptions: opt(array(obj)),
  },
  dataBreakpointInfo: { name: req(str), variablesReference: opt(id), frameId: opt(id), bytes: opt(int(1, 1 << 20)), asAddress: opt(bool), mode: opt(str) },
  setDataBreakpoints: { breakpoints: req(array(record({ dataId: req(str), accessType: opt(str), ...conditions }), MAX_DATA_BREAKPOINTS)) },
  breakpointLocations: { source: req(source), line: req(int(0)), column: opt(int(0)), endLine: opt(int(0)), endColumn: opt(int(0)) },
  continue: { threadId: req(id), singleThread: opt(bool) },
  reverseContinue: { threadId: req(id), singleThread: opt(bool) },
  stepBack: step,
  goto: { threadId: req(id), targetId: req(id) },
  gotoTargets: { source: req(source), line: req(int(0)), column: opt(int(0)) },
  next: step,
  stepIn: { ...step, targetId: opt(id) },
  stepOut: step,
  stepInTargets: { frameId: req(id) },
  pause: { threadId: req(id) },
  cancel: { requestId: opt(id), progressId: opt(str) },
  threads: {},
  stackTrace: { threadId: req(id), startFrame: opt(id), levels: opt(id), format: opt(obj) },
  scopes: { frameId: req(id) },
  variables: { variablesReference: req(id), filter: opt(str), start: opt(id), count: opt(id), format: opt(format) },
  setVariable: { variablesReference: req(id), name: req(str), value: req(str), format: opt(format) },
  setExpression: { expression: req(str), value: req(str), frameId: opt(id), format: opt(format) },
  evaluate: { expression: req(str), frameId: opt(id), context: opt(str), format: opt(format) },
  completions: { text: req(str), column: req(int(0, 1 << 20)), frameId: opt(id), line: opt(int(0)) },
  exceptionInfo: { threadId: req(id) },
  readMemory: { memoryReference: req(str), offset: opt(int()), count: req(id) },
  writeMemory: { memoryReference: req(str), offset: opt(int()), allowPartial: opt(bool), data: req(str) },
  disassemble: {
    memoryReference: req(str), offset: opt(int()), instructionOffset: opt(int(-MAX_DISASSEMBLE, MAX_DISASSEMBLE)),
    instructionCount: req(int(0, MAX_DISASSEMBLE)), resolveSymbols: opt(bool),
  },
  loadedSources: {},
  source: { source: opt(source), sourceReference: opt(int()) },
};

/** What is wrong with a request's arguments, naming the argument; undefined when they fit. */
export function checkRequestArgs(command: string, args: unknown): string | undefined {
  const fields = REQUESTS[command];
  // The custom requests (hyperstep/…) read their fields themselves, from an object.
  if (!fields) return args === undefined || isRecord(args) ? undefined : `${command}: 'arguments' must be an object, not ${describe(args)}`;
  if (command === "launch") return undefined;
  // A client may leave out empty arguments; then every required field is missing.
  return checkShape(record(fields), args === undefined ? {} : args, "arguments", command);
}

function checkShape(shape: Shape, v: unknown, name: string, command: string): string | undefined {
  const wrong = (what: string) => `${command}: '${name}' must be ${what}, not ${describe(v)}`;
  switch (shape.t) {
    case "string":
    case "boolean":
      return typeof v === shape.t ? undefined : wrong(`a ${shape.t}`);
    case "object":
      return isRecord(v) ? undefined : wrong("an object");
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) return wrong("an integer");
      return v >= shape.min && v <= shape.max ? undefined : `${command}: '${name}' must be between ${shape.min} and ${shape.max}, not ${v}`;
    case "array":
      if (!Array.isArray(v)) return wrong("an array");
      if (v.length > shape.max) return `${command}: '${name}' may have at most ${shape.max} elements, not ${v.length}`;
      for (let i = 0; i < v.length; i++) {
        const e = checkShape(shape.of, v[i], `${name}[${i}]`, command);
        if (e) return e;
      }
      return undefined;
    case "record": {
      if (!isRecord(v)) return wrong("an object");
      for (const [field, f] of Object.entries(shape.fields)) {
        const value = v[field];
        const path = name === "arguments" ? field : `${name}.${field}`;
        if (value === undefined || value === null) {
          if (f.required) return `${command}: '${path}' is required`;
          continue;
        }
        const e = checkShape(f.shape, value, path, command);
        if (e) return e;
      }
      return undefined;
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}
