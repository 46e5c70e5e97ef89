import { readFile } from "node:fs/promises";
import { version } from "../../package.json";
import { UsageError, parseArgs, type CompareCommand, type RunCommand } from "./args";
import { assembleToElf } from "./asm";
import { compareJson, compareStatus, compareTechniques, formatCompare } from "./compare";
import { EXIT_LOAD_ERROR } from "./exit_status";
import { helpText } from "./help";
import { ProgramError, loadProgram, type GuestProgram } from "./program";
import { runProgram } from "./run";
import { openDisk } from "../target/disk_image";
import { sameDestination, StdinSource, StdoutSink } from "./stdio";

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
    case "asm":
      return assembleToElf(command, (line) => process.stderr.write(line + "\n"));
    case "compare":
      return compare(command);
  }
}

/** The program, or undefined once its error is on stderr. */
async function loadOrReport(file: string): Promise<GuestProgram | undefined> {
  const program = await loadProgram(file);
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
      input = await readFile(command.input);
    } catch (e) {
      process.stderr.write(`hyperstep: cannot read the --input file ${command.input}: ${(e as Error).message}\n`);
      return EXIT_LOAD_ERROR;
    }
  }
  const report = await compareTechniques(program.image, { ...command, input }, {
    log: (line) => process.stderr.write(line + "\n"),
    now: () => performance.now(),
    breathe: () => new Promise((resolve) => setImmediate(resolve)),
  });
  if ("error" in report) {
    process.stderr.write(`hyperstep: ${report.error}\n`);
    return EXIT_LOAD_ERROR;
  }
  process.stdout.write(command.json ? JSON.stringify(compareJson(command.program, report), null, 2) + "\n" : formatCompare(command.program, report));
  return compareStatus(report);
}

async function run(command: RunCommand): Promise<number> {
  const program = await loadOrReport(command.program);
  if (!program) return EXIT_LOAD_ERROR;
  const disk = command.diskSpec && openDisk(command.diskSpec, process.cwd());
  if (typeof disk === "string") {
    process.stderr.write(`hyperstep: --disk: ${disk}\n`);
    return EXIT_LOAD_ERROR;
  }
  const out = new StdoutSink();
  const input = new StdinSource();
  let interrupted = false;
  // The first Ctrl-C ends the run at the next slice with a summary; a second one kills at once.
  process.once("SIGINT", () => (interrupted = true));
  // Where stdout and stderr interleave, a log line starts on a line of its own, not after the
  // guest's unfinished one.
  const shared = sameDestination();
  try {
    const result = await runProgram(program, { ...command, disk }, {
      out,
      input,
      log: (line) => process.stderr.write((shared && out.breakLine() ? "\n" : "") + line + "\n"),
      flush: () => out.flush(),
      inputOpen: () => input.open,
      waitForInput: (ms) => input.waitForInput(ms),
      breathe: () => new Promise((resolve) => setImmediate(resolve)),
      interrupted: () => interrupted,
      now: () => performance.now(),
    });
    await out.drain();
    process.stderr.write(result.summary + "\n");
    return result.exitCode;
  } finally {
    input.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`hyperstep: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(70);
  },
);
