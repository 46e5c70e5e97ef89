import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { version } from "../../package.json";
import { UsageError, parseArgs, type CompareCommand, type RunCommand } from "./args";
import { assembleToElf } from "./asm";
import { compareJson, compareStatus, compareTechniques, formatCompare } from "./compare";
import { EXIT_LOAD_ERROR } from "./exit_status";
import { helpText } from "./help";
import { ProgramError, loadProgram, type GuestProgram } from "./program";
import { makeRecord, replay } from "./replay";
import type { RunRecord } from "./record_file";
import { runOnStdio } from "./run_stdio";
import { StdinSource } from "./stdio";

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
    case "replay":
      return replay(command);
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
  const input = new StdinSource();
  try {
    const { result, output } = await runOnStdio(program, command, input);
    if (command.record === undefined || !result.final) return result.exitCode;
    return writeRecord(command.record, makeRecord(command, program, result, result.final, output)) ?? result.exitCode;
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
