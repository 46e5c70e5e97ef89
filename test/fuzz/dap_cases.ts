/**
 * DAP fuzz cases: a guest launched and stopped at its entry, then a sequence of requests, each a
 * command the adapter knows (standard and Hyperstep's own) or one it does not, with arguments that
 * start from a plausible shape and are mutated: fields dropped or replaced by wrong types, huge,
 * negative and fractional numbers, deep or long values, or arguments that are not an object at all.
 * Requests that run the guest (continue, step) are mixed in, so later ones meet it running or stopped.
 */
import * as path from "node:path";
import type { Technique } from "../../src/target/techniques";
import { EQUIVALENT_TECHNIQUES } from "../../src/target/techniques";
import type { DapInput, DapRequest } from "./dap_target";
import { below, pick, type Rng } from "./prng";

/** Guests of test/dap/guests: one that ends, one that never does, one that pages, one that reads the UART. */
const GUESTS = ["calls.S", "spin.S", "paging.S", "echo.S"];
const MAX_REQUESTS = 24;

const T = 1; // the one thread
type Plausible = (rng: Rng) => unknown;
const addr = (rng: Rng) => pick(rng, ["0x80000000", "pc", "sp", "_start", "0x0", "0xffffffffffffffff", "mepc+4", "*sp", "guest:0x80000000", "", "0x10000000"]);
const ref = (rng: Rng) => pick(rng, [0, 1, 2, 3, 1000, 1001, 2 ** 31, below(rng, 64)]);
const CALLS = path.resolve(__dirname, "../dap/guests/calls.S");
const src = () => ({ path: CALLS, name: "calls.S" });

/** For each command, arguments a client would plausibly send (the mutations start from these). */
const COMMANDS: Record<string, Plausible> = {
  initialize: () => ({ adapterID: "hyperstep", linesStartAt1: true, columnsStartAt1: true }),
  configurationDone: () => ({}),
  launch: (rng) => ({ program: CALLS, stopOnEntry: rng() < 0.5 }),
  attach: () => ({}),
  restart: () => ({ arguments: {} }),
  terminate: () => ({}),
  setBreakpoints: (rng) => ({ source: src(), breakpoints: [{ line: below(rng, 60) }, { line: 7, condition: "t0 == 2", hitCondition: ">2" }] }),
  setFunctionBreakpoints: (rng) => ({ breakpoints: [{ name: pick(rng, ["outer", "inner", "nope", "0x80000000"]) }] }),
  setInstructionBreakpoints: (rng) => ({ breakpoints: [{ instructionReference: addr(rng), offset: below(rng, 64) }] }),
  setExceptionBreakpoints: (rng) => ({ filters: [pick(rng, ["illegal-instruction", "ecall", "all", "unknown"])] }),
  dataBreakpointInfo: (rng) => ({ name: pick(rng, ["t0", "counter", "0x80001000", "sp"]), variablesReference: ref(rng), bytes: 8, asAddress: rng() < 0.5 }),
  setDataBreakpoints: (rng) => ({ breakpoints: [{ dataId: pick(rng, ["0x80001000/8", "t0", "x"]), accessType: pick(rng, ["write", "read", "readWrite"]) }] }),
  breakpointLocations: (rng) => ({ source: src(), line: below(rng, 60), endLine: below(rng, 60) }),
  continue: () => ({ threadId: T }),
  next: (rng) => ({ threadId: T, granularity: pick(rng, ["instruction", "line", "statement"]) }),
  stepIn: (rng) => ({ threadId: T, targetId: ref(rng) }),
  stepOut: () => ({ threadId: T }),
  stepBack: () => ({ threadId: T }),
  reverseContinue: () => ({ threadId: T }),
  goto: (rng) => ({ threadId: T, targetId: ref(rng) }),
  gotoTargets: (rng) => ({ source: src(), line: below(rng, 60) }),
  stepInTargets: (rng) => ({ frameId: ref(rng) }),
  pause: () => ({ threadId: T }),
  cancel: (rng) => ({ requestId: ref(rng) }),
  threads: () => ({}),
  stackTrace: (rng) => ({ threadId: T, startFrame: below(rng, 4), levels: below(rng, 20) }),
  scopes: (rng) => ({ frameId: ref(rng) }),
  variables: (rng) => ({ variablesReference: ref(rng), start: below(rng, 8), count: below(rng, 100) }),
  setVariable: (rng) => ({ variablesReference: ref(rng), name: pick(rng, ["t0", "pc", "mstatus", "x"]), value: pick(rng, ["1", "0xffffffffffffffff", "-1", "t0+1", "garbage"]) }),
  setExpression: (rng) => ({ expression: pick(rng, ["t0", "*(long*)sp", "pc"]), value: "0x80000000" }),
  evaluate: (rng) => ({ expression: pick(rng, ["t0", "pc + 4", "*sp", "x/4x $sp", "info registers", "walk 0x80000000", "help", "counter", "(", "1/0"]), context: pick(rng, ["repl", "watch", "hover", "clipboard"]) }),
  completions: (rng) => ({ text: "inf", column: below(rng, 8) }),
  exceptionInfo: () => ({ threadId: T }),
  readMemory: (rng) => ({ memoryReference: addr(rng), offset: below(rng, 4096), count: below(rng, 4096) }),
  writeMemory: (rng) => ({ memoryReference: addr(rng), offset: below(rng, 64), data: pick(rng, ["AAAA", "", "!!notbase64", "AAECAwQFBgc="]) }),
  disassemble: (rng) => ({ memoryReference: addr(rng), instructionOffset: below(rng, 64) - 32, instructionCount: below(rng, 200), resolveSymbols: true }),
  loadedSources: () => ({}),
  source: (rng) => ({ source: src(), sourceReference: ref(rng) }),
  modules: () => ({}),
  "hyperstep/pageTables": (rng) => ({ maxEntries: below(rng, 1000) }),
  "hyperstep/devices": () => ({}),
  "hyperstep/exits": (rng) => ({ start: below(rng, 10), count: below(rng, 100), bins: below(rng, 100) }),
  "hyperstep/addressSpaces": () => ({}),
  "hyperstep/walk": (rng) => ({ address: addr(rng), access: pick(rng, ["r", "w", "x"]) }),
  "hyperstep/history": () => ({}),
  "hyperstep/translationCache": (rng) => (rng() < 0.5 ? { maxBlocks: below(rng, 2000) } : { gva: addr(rng) }),
  "hyperstep/uartInput": (rng) => ({ text: pick(rng, ["a", "hello\n", ""]) }),
};
const KNOWN = Object.keys(COMMANDS);
/** Requests that run the guest: repeated so that later requests often meet it running. */
const RUNS = ["continue", "next", "stepIn", "stepOut", "reverseContinue", "pause"];

/** Values a validator should refuse where a number, string, boolean, array or object is expected. */
const HOSTILE: Plausible[] = [
  () => 1e15, () => -1e15, () => 2 ** 53, () => -1, () => 1.5, () => 0, () => Number.MAX_SAFE_INTEGER,
  () => "", () => "x".repeat(10_000), () => "0x" + "f".repeat(40), () => "\u0000", () => true, () => null,
  () => [], () => [5], () => ({}), () => ({ toString: "x" }), () => "__proto__",
  (rng) => nest(rng, 1 + below(rng, 200)), () => new Array(5000).fill(0),
];

function nest(rng: Rng, depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = rng() < 0.5 ? [v] : { a: v };
  return v;
}

function hostile(rng: Rng): unknown {
  return pick(rng, HOSTILE)(rng);
}

/** Mutates a plausible value: replaces it, or (for objects and arrays) some of what it holds. */
function mutate(rng: Rng, v: unknown, depth = 0): unknown {
  if (rng() < 0.15 || depth > 3) return rng() < 0.5 ? hostile(rng) : v;
  if (Array.isArray(v)) {
    const out = v.map((x) => (rng() < 0.4 ? mutate(rng, x, depth + 1) : x));
    if (rng() < 0.2) out.push(hostile(rng));
    if (rng() < 0.1) return new Array(1000 + below(rng, 100_000)).fill(out[0] ?? 0);
    return out;
  }
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = rng();
      if (r < 0.15) continue;
      out[k] = r < 0.5 ? mutate(rng, x, depth + 1) : x;
    }
    if (rng() < 0.2) out[pick(rng, ["extra", "count", "offset", "threadId", "__proto__", "constructor"])] = hostile(rng);
    return out;
  }
  return rng() < 0.5 ? hostile(rng) : v;
}

function request(rng: Rng): DapRequest {
  const r = rng();
  if (r < 0.05) return { command: pick(rng, ["", "nope", "evaluateX", "hyperstep/", "hyperstep/nope", "constructor", "__proto__", "toString", "dispatchRequest"]), arguments: rng() < 0.5 ? {} : hostile(rng) };
  const command = r < 0.25 ? pick(rng, RUNS) : pick(rng, KNOWN);
  const plausible = COMMANDS[command]!(rng);
  const shape = rng();
  const args = shape < 0.35 ? plausible : shape < 0.9 ? mutate(rng, plausible) : rng() < 0.3 ? undefined : hostile(rng);
  return { command, arguments: args };
}

export function dapCase(rng: Rng): DapInput {
  const technique: Technique = pick(rng, EQUIVALENT_TECHNIQUES);
  const n = 1 + below(rng, MAX_REQUESTS);
  return { guest: pick(rng, GUESTS), technique, requests: Array.from({ length: n }, () => request(rng)) };
}
