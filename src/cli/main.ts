import { readFileSync, writeFileSync } from "node:fs";
import { version } from "../../package.json";
import { UsageError, parseArgs, type CompareCommand, type RunCommand } from "./args";
import { assembleToElf } from "./asm";
import { compareJson, compareStatus, compareTechniques, formatCompare } from "./compare";
import { twinFromLaunchJson, withTwin } from "./compare_twin";
import { EXIT_LOAD_ERROR } from "./exit_status";
import { helpText } from "./help";
import { ProgramError, loadProgram, type GuestProgram } from "./program";
import type { RunRecord } from "./record_file";
import { runFromConfig, type HostRunCommand } from "./run_config";
import { runHostPrograms, type HostRunGuest } from "./run_host";
import { runOnStdio, stdioRunIo } from "./run_stdio";
import { StdinSource, StdoutSink } from "./stdio";
import { openDisk } from "../target/disk_image";

function failed(message: string): number {
  process.stderr.write(`hyperstep: ${message}\n`);
  return EXIT_LOAD_ERROR;
}

/** A file's text, or undefined when it cannot be read. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** `hyperstep …`: returns the process exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`hyperstep: ${e.message}\nTry 'hyperstep ${e.command ? `help ${e.command}` : "--help"}'.\n`);
    return e.exitCode;
  }
  switch (command.kind) {
    case "help":
      process.stdout.write(helpText(command.topic));
      return 0;
    case "version":
      process.stdout.write(`hyperstep ${version}\n`);
      return 0;
    case "run":
      return run(command);
    case "run-config": {
      const resolved = runFromConfig(command);
      if ("error" in resolved) return failed(resolved.error);
      return resolved.kind === "run-host" ? runHost(resolved) : run(resolved);
    }
    case "asm":
      return assembleToElf(command, (line) => process.stderr.write(line + "\n"));
    case "compare":
      return compare(command);
    case "replay":
      return (await import("./replay")).replay(command);
  }
}

/** The program, or undefined once its error is on stderr. */
async function loadOrReport(file: string, march?: string): Promise<GuestProgram | undefined> {
  const program = await loadProgram(file, march);
  if (!(program instanceof ProgramError)) return program;
  process.stderr.write(`hyperstep: ${program.message}\n`);
  return undefined;
}

async function compare(command: CompareCommand): Promise<number> {
  const program = await loadOrReport(command.program);
  if (!program) return EXIT_LOAD_ERROR;
  let input: Uint8Array | undefined;
  if (command.input !== undefined) {
    try {
      input = readFileSync(command.input);
    } catch (e) {
      process.stderr.write(`hyperstep: cannot read the --input file ${command.input}: ${(e as Error).message}\n`);
      return EXIT_LOAD_ERROR;
    }
  }
  const disk = command.diskSpec && openDisk({ ...command.diskSpec, snapshot: true }, process.cwd());
  if (typeof disk === "string") return failed(`--disk: ${disk}`);
  const io = {
    log: (line: string) => process.stderr.write(line + "\n"),
    now: () => performance.now(),
    breathe: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
  const twin = command.twin !== undefined ? { program: command.twin, boot: command.boot, from: "--twin" } : twinFromLaunchJson(command.program, readText);
  if (twin && "error" in twin) return failed(twin.error);
  const own = await compareTechniques(program.image, { ...command, input, disk }, io);
  if ("error" in own) return failed(own.error);
  let report = own;
  if (twin) {
    const twinProgram = await loadOrReport(twin.program);
    if (!twinProgram) return EXIT_LOAD_ERROR;
    io.log(`hyperstep compare: the twin ${twin.program} (named by ${twin.from}) runs under the techniques that cannot run ${command.program}`);
    const twinReport = await compareTechniques(twinProgram.image, { ...command, boot: twin.boot, input, disk }, io);
    if ("error" in twinReport) return failed(twinReport.error);
    report = withTwin(command.program, own, twin.program, twinReport);
  }
  process.stdout.write(command.json ? JSON.stringify(compareJson(command.program, report), null, 2) + "\n" : formatCompare(command.program, report));
  return compareStatus(report);
}

async function run(command: RunCommand): Promise<number> {
  const program = await loadOrReport(command.program, command.march);
  if (!program) return EXIT_LOAD_ERROR;
  const disk = command.diskSpec && openDisk(command.diskSpec, process.cwd());
  if (typeof disk === "string") return failed(`--disk: ${disk}`);
  const input = new StdinSource();
  try {
    if (command.record === undefined) return (await runOnStdio(program, { ...command, disk }, input)).exitCode;
    // Only a run that records loads replay.ts and the hashing it needs (record_hash.ts).
    const { makeRecord, OutputDigest } = await import("./replay");
    const output = new OutputDigest();
    const result = await runOnStdio(program, { ...command, disk }, input, output);
    if (!result.final) return result.exitCode;
    return writeRecord(command.record, makeRecord(command, program, result, result.final, output)) ?? result.exitCode;
  } finally {
    input.close();
  }
}

/** Several VMs of a `vms` configuration on one host (run_host.ts). */
async function runHost(command: HostRunCommand): Promise<number> {
  const guests: HostRunGuest[] = [];
  for (const { name, run } of command.vms) {
    const program = await loadOrReport(run.program, run.march);
    if (!program) return EXIT_LOAD_ERROR;
    const disk = run.diskSpec && openDisk(run.diskSpec, process.cwd());
    if (typeof disk === "string") return failed(`VM ${name}: disk: ${disk}`);
    guests.push({ name, program, opts: { ...run, disk } });
  }
  const input = new StdinSource();
  const out = new StdoutSink();
  try {
    const result = await runHostPrograms(guests, { hostMemoryBytes: command.hostMemoryBytes, slice: command.vmSlice, maxInstructions: command.maxInstructions, timeoutSeconds: command.timeoutSeconds, exits: command.exits }, stdioRunIo(out, input));
    await out.drain();
    for (const line of result.summary) process.stderr.write(line + "\n");
    return result.exitCode;
  } finally {
    input.close();
  }
}

/** Writes the record; undefined once written, else the exit status after saying why on stderr. */
function writeRecord(file: string, record: RunRecord): number | undefined {
  try {
    writeFileSync(file, JSON.stringify(record, null, 1) + "\n");
    return undefined;
  } catch (e) {
    process.stderr.write(`hyperstep: cannot write the record ${file}: ${(e as Error).message}\n`);
    return EXIT_LOAD_ERROR;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`hyperstep: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(70);
  },
);
