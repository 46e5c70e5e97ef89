import { existsSync } from "node:fs";
import * as path from "node:path";
import { version } from "../../package.json";
import { CpuError, formatCpu, parseCpu } from "../target/cpu";
import { GUEST_BOOTS, NON_TRAPPING_SENSITIVE, type GuestBoot, type NonTrappingSensitive } from "../target/target_options";
import { AVAILABLE_TECHNIQUES, type Technique } from "../target/techniques";
import type { ReplayCommand, RunCommand } from "./args";
import { EXIT_LOAD_ERROR, EXIT_NOT_EQUIVALENT } from "./exit_status";
import { loadProgram, ProgramError, type GuestProgram } from "./program";
import { endDifferences, inputEvents, readRecord, RECORD_FORMAT, RECORD_VERSION, recordedInput, RecordError, type RunRecord } from "./record_file";
import { imageSha256, OutputDigest, recordedEnd } from "./record_hash";
import type { FinalState, RunResult, RunSettings } from "./run";
import { runOnStdio, type StdioInput } from "./run_stdio";

// main.ts imports this file only for `run --record` and `replay`, and takes the digest from here.
export { OutputDigest };

/** The record of a finished `hyperstep run --record` (record_file.ts). */
export function makeRecord(command: RunCommand, program: GuestProgram, result: RunResult, final: FinalState, output: OutputDigest): RunRecord {
  return {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    hyperstep: version,
    program: { path: path.resolve(command.program), sha256: imageSha256(program.image) },
    options: {
      technique: command.technique, memoryBytes: command.memoryBytes, cpu: formatCpu(command.cpu), boot: command.boot,
      nonTrappingSensitive: command.nonTrappingSensitive, maxInstructions: command.maxInstructions ?? null, timeoutSeconds: command.timeoutSeconds ?? null,
    },
    input: recordedInput(final.input),
    end: recordedEnd(result, final, output),
  };
}

/** A replay reads no stdin: its input is the record's. */
const NO_INPUT: StdioInput = { read: () => -1, open: false, waitForInput: async () => {} };

/** `hyperstep replay <record>`: runs the recorded run again and says whether it ended the same. */
export async function replay(command: ReplayCommand): Promise<number> {
  const loaded = await load(command);
  if (loaded instanceof RecordError) {
    process.stderr.write(`hyperstep: ${loaded.message}\n`);
    return EXIT_LOAD_ERROR;
  }
  const { record, program, settings } = loaded;
  const output = new OutputDigest();
  const result = await runOnStdio(program, settings, NO_INPUT, output);
  if (!result.final) return result.exitCode;
  const recorded = record.end;
  const replayed = recordedEnd(result, result.final, output);
  // A run stopped from outside (limit, timeout, Ctrl-C) is stopped again at the same step.
  const stoppedAsRecorded = replayed.kind === "replay-end" && !GUEST_ENDS.has(recorded.kind);
  const differences = endDifferences(recorded, stoppedAsRecorded ? { ...replayed, kind: recorded.kind, exitCode: recorded.exitCode } : replayed);
  if (differences.length > 0) {
    process.stderr.write(`hyperstep: replay DIFFERS from the recording:\n${differences.map((d) => `  ${d}\n`).join("")}`);
    return EXIT_NOT_EQUIVALENT;
  }
  process.stderr.write(`hyperstep: replay matches the recording: ${recorded.instret} instructions, pc ${recorded.pc}, registers ${recorded.registersSha256.slice(0, 12)}…, exit status ${recorded.exitCode}, ${recorded.outputBytes} bytes of output\n`);
  return recorded.exitCode;
}

/** The ends the guest makes itself: a replay that reproduces the run meets them on its own. */
const GUEST_ENDS: ReadonlySet<string> = new Set(["halt", "idle", "trap-loop", "unexpected-stop"]);

/** The record, its program (unchanged since the recording) and the run's settings; or what is wrong. */
async function load(command: ReplayCommand): Promise<{ record: RunRecord; program: GuestProgram; settings: RunSettings } | RecordError> {
  const record = readRecord(command.record);
  if (record instanceof RecordError) return record;
  const o = record.options;
  const cpu = parseCpu(o.cpu);
  if (cpu instanceof CpuError) return new RecordError(`${command.record}: options.cpu: ${cpu.reason}`);
  if (!(AVAILABLE_TECHNIQUES as readonly string[]).includes(o.technique)) return new RecordError(`${command.record}: technique "${o.technique}" is not one this hyperstep runs (${AVAILABLE_TECHNIQUES.join(", ")})`);
  if (!(GUEST_BOOTS as readonly string[]).includes(o.boot)) return new RecordError(`${command.record}: boot "${o.boot}" is not one of ${GUEST_BOOTS.join(", ")}`);
  const wrong = o.nonTrappingSensitive.find((n) => !(NON_TRAPPING_SENSITIVE as readonly string[]).includes(n));
  if (wrong !== undefined) return new RecordError(`${command.record}: nonTrappingSensitive "${wrong}" is not one of ${NON_TRAPPING_SENSITIVE.join(", ")}`);
  const file = command.program ?? record.program.path;
  if (!command.program && !existsSync(file)) return new RecordError(`the recorded program ${file} is not there any more: give its new place with --program`);
  const program = await loadProgram(file);
  if (program instanceof ProgramError) return new RecordError(program.message);
  const sha = imageSha256(program.image);
  if (sha !== record.program.sha256) {
    return new RecordError(`the program ${file} has changed since the run was recorded (its image's SHA-256 is ${sha.slice(0, 12)}…, the record's ${record.program.sha256.slice(0, 12)}…): replaying it would not reproduce the run`);
  }
  const settings: RunSettings = {
    memoryBytes: o.memoryBytes, technique: o.technique as Technique, boot: o.boot as GuestBoot, cpu, nonTrappingSensitive: o.nonTrappingSensitive as NonTrappingSensitive[],
    traceTraps: command.traceTraps, exits: command.exits,
    replay: { input: inputEvents(record), endStep: record.end.steps },
  };
  return { record, program, settings };
}
