import { readFileSync } from "node:fs";
import type { InputEvent } from "../target/history/recorded_console";

/**
 * The file `hyperstep run --record` writes and `hyperstep replay` reads: everything that makes the
 * run happen again (the machine is deterministic: time is the instruction count), and its end, to
 * compare with. One JSON object:
 *
 *   format     "hyperstep-record"
 *   version    1 (RECORD_VERSION; a reader refuses any other)
 *   hyperstep  the version that recorded it (for people; not checked)
 *   program    { path: absolute path, sha256: of its loaded image (imageSha256) }
 *   options    { technique, memoryBytes, cpu (QEMU -cpu syntax), boot, nonTrappingSensitive[],
 *                maxInstructions | null, timeoutSeconds | null }: the run's launch options
 *   input      [{ step, instret, bytes }]: the UART input the guest read, in order. `bytes` (hex)
 *              reached the guest in the call into the machine that began at history position
 *              `step` (instructions retired plus traps taken since load), `instret` instructions
 *              in; the only input from outside the machine.
 *   end        { kind: how the run ended (run.ts RunEnd), exitCode: the process exit status,
 *                steps, instret (decimal string), pc (hex), priv, registersSha256 (x1…x31),
 *                outputBytes, outputSha256 (the UART output) }
 */

export const RECORD_FORMAT = "hyperstep-record";
export const RECORD_VERSION = 1;

export interface RecordedOptions {
  technique: string;
  memoryBytes: number;
  cpu: string;
  boot: string;
  nonTrappingSensitive: string[];
  maxInstructions: number | null;
  timeoutSeconds: number | null;
}

export interface RecordedEnd {
  kind: string;
  exitCode: number;
  steps: number;
  instret: string;
  pc: string;
  priv: number;
  registersSha256: string;
  outputBytes: number;
  outputSha256: string;
}

export interface RunRecord {
  format: typeof RECORD_FORMAT;
  version: typeof RECORD_VERSION;
  hyperstep: string;
  program: { path: string; sha256: string };
  options: RecordedOptions;
  input: { step: number; instret: number; bytes: string }[];
  end: RecordedEnd;
}

/** Why a record cannot be replayed; the message names the file. */
export class RecordError extends Error {
  override readonly name = "RecordError";
}

/** The input events as the record keeps them: the bytes of each call together, in hex. */
export function recordedInput(events: readonly InputEvent[]): RunRecord["input"] {
  const out: RunRecord["input"] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    const hex = e.byte.toString(16).padStart(2, "0");
    if (last && last.step === e.at) last.bytes += hex;
    else out.push({ step: e.at, instret: e.instret, bytes: hex });
  }
  return out;
}

/** The record's input as the machine's console takes it back. */
export function inputEvents(record: RunRecord): InputEvent[] {
  return record.input.flatMap((i) => i.bytes.match(/../g)!.map((b) => ({ at: i.step, instret: i.instret, byte: parseInt(b, 16) })));
}

/** The differences between a recorded end and a replayed one, in words; none when they match. */
export function endDifferences(recorded: RecordedEnd, replayed: RecordedEnd): string[] {
  const fields: [keyof RecordedEnd, string][] = [
    ["kind", "how it ended"], ["exitCode", "exit status"], ["steps", "steps"], ["instret", "instructions"], ["pc", "pc"], ["priv", "privilege mode"],
    ["registersSha256", "registers (SHA-256 of x1…x31)"], ["outputBytes", "output bytes"], ["outputSha256", "output (SHA-256)"],
  ];
  return fields.filter(([k]) => recorded[k] !== replayed[k]).map(([k, what]) => `${what}: recorded ${recorded[k]}, replayed ${replayed[k]}`);
}

/** Reads and checks a record; a RecordError says what is wrong with it. */
export function readRecord(file: string): RunRecord | RecordError {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return new RecordError(`cannot read the record ${file}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return new RecordError(`${file} is not a Hyperstep record: it is not JSON (${(e as Error).message}); it may be cut short or damaged`);
  }
  const r = json as Partial<RunRecord> | null;
  if (typeof r !== "object" || r === null || r.format !== RECORD_FORMAT) return new RecordError(`${file} is not a Hyperstep record (no "format": "${RECORD_FORMAT}")`);
  if (r.version !== RECORD_VERSION) {
    return new RecordError(`${file} is a record of format version ${JSON.stringify(r.version)}; this hyperstep reads version ${RECORD_VERSION}${typeof r.hyperstep === "string" ? ` (it was written by hyperstep ${r.hyperstep})` : ""}`);
  }
  const wrong = shapeError(r);
  return wrong === undefined ? (r as RunRecord) : new RecordError(`${file} is damaged: ${wrong}`);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === "string";
const isHex = (v: unknown, digits?: number) => isString(v) && (digits === undefined ? /^(?:[0-9a-f]{2})+$/ : new RegExp(`^[0-9a-f]{${digits}}$`)).test(v);

/** What is wrong with a record's fields, or undefined. */
function shapeError(r: Partial<RunRecord>): string | undefined {
  const p = r.program;
  if (!p || !isString(p.path) || !isHex(p.sha256, 64)) return "program must be { path, sha256 }";
  const o = r.options;
  if (!o || !isString(o.technique) || !isCount(o.memoryBytes) || !isString(o.cpu) || !isString(o.boot)) return "options must have technique, memoryBytes, cpu and boot";
  if (!Array.isArray(o.nonTrappingSensitive) || !o.nonTrappingSensitive.every(isString)) return "options.nonTrappingSensitive must be a list of names";
  if (!(o.maxInstructions === null || isCount(o.maxInstructions)) || !(o.timeoutSeconds === null || typeof o.timeoutSeconds === "number")) return "options.maxInstructions and timeoutSeconds must be numbers or null";
  if (!Array.isArray(r.input)) return "input must be a list";
  let step = 0;
  for (const [i, e] of r.input.entries()) {
    if (!e || !isCount(e.step) || !isCount(e.instret) || !isHex(e.bytes) || e.step < step) return `input[${i}] must be { step, instret, bytes (hex) }, in order of step`;
    step = e.step;
  }
  const e = r.end;
  if (!e || !isString(e.kind) || !Number.isInteger(e.exitCode) || !isCount(e.steps) || !isString(e.instret) || !/^\d+$/.test(e.instret) || !isString(e.pc) || !/^0x[0-9a-f]+$/.test(e.pc)) {
    return "end must have kind, exitCode, steps, instret and pc";
  }
  if (!isCount(e.priv) || !isHex(e.registersSha256, 64) || !isCount(e.outputBytes) || !isHex(e.outputSha256, 64)) return "end must have priv, registersSha256, outputBytes and outputSha256";
  if (step > e.steps) return "input arrives after the end";
  return undefined;
}
