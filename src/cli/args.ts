import { EXIT_USAGE } from "./help";
import { checkCpuTechnique, CPU_RV64, CpuError, parseCpu, type CpuModel } from "../target/cpu";
import { GUEST_BOOTS, parseMemorySize, type GuestBoot } from "../target/target_options";

/** The commands that have options and a help page. */
export const COMMANDS = ["run", "asm", "compare"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A command-line mistake; main prints it with a pointer to the help and exits with status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = EXIT_USAGE;
  constructor(message: string, readonly command?: CommandName) {
    super(message);
  }
}

export interface RunCommand {
  kind: "run";
  program: string;
  memoryBytes: number;
  maxInstructions?: number;
  timeoutSeconds?: number;
  traceTraps: boolean;
  technique: RunTechnique;
  /** Where the guest starts under a VMM technique (vm.ts): M-mode, or S-mode behind the VMM's SBI. */
  boot: GuestBoot;
  /** Print every VM exit and the exit summary (VMM techniques only). */
  exits: boolean;
  /** The hart of the bare board, in QEMU's `-cpu` syntax (cpu.ts). */
  cpu: CpuModel;
}

/** The techniques `hyperstep run` can use today. */
export const RUN_TECHNIQUES = ["native", "trap-and-emulate", "hardware-assisted"] as const;
export type RunTechnique = (typeof RUN_TECHNIQUES)[number];

/** `hyperstep asm <source> -o <elf>`: assemble to a real ELF executable. */
export interface AsmCommand {
  kind: "asm";
  source: string;
  output: string;
  march?: string;
}

/** `hyperstep compare <program>`: the guest under every available technique, side by side. */
export interface CompareCommand {
  kind: "compare";
  program: string;
  memoryBytes: number;
  maxInstructions: number;
  json: boolean;
  /** A file whose bytes every run receives on its UART. */
  input?: string;
}

/** A guest that never halts must still end: every technique stops after this many instructions. */
export const DEFAULT_COMPARE_LIMIT = 10_000_000;

export type Command = RunCommand | AsmCommand | CompareCommand | { kind: "help"; topic?: CommandName } | { kind: "version" };

export const DEFAULT_MEMORY = "128M";

/** Parses the arguments after `hyperstep`. Throws UsageError naming the offending argument. */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") return { kind: "help" };
  if (first === "--version") return { kind: "version" };
  if (first === "help") {
    if (rest.length === 0) return { kind: "help" };
    if ((COMMANDS as readonly string[]).includes(rest[0]) && rest.length === 1) return { kind: "help", topic: rest[0] as CommandName };
    throw new UsageError(`no help for '${rest.join(" ")}'; the commands are: ${COMMANDS.join(", ")}`);
  }
  if (first === "run") return parseRun(rest);
  if (first === "asm") return parseAsm(rest);
  if (first === "compare") return parseCompare(rest);
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}'`);
  throw new UsageError(`unknown command '${first}'; the commands are: ${COMMANDS.join(", ")}`);
}

interface Option {
  arg: string;
  flag: string;
  /** Written as `--flag=value`. */
  inline: boolean;
  /** The flag's value: after its `=`, or the next argument (which it then consumes). */
  value(): string;
}

/** Walks a command's arguments: `--flag=value`, `--flag value`, `-f value` and plain words. */
function* options(args: readonly string[], command: CommandName): Generator<Option> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    yield {
      arg,
      flag,
      inline: eq >= 0,
      value: () => {
        if (eq >= 0) return arg.slice(eq + 1);
        const v = args[++i];
        if (v === undefined) throw new UsageError(`${flag} needs a value`, command);
        return v;
      },
    };
  }
}

function parseAsm(args: readonly string[]): AsmCommand | { kind: "help"; topic: "asm" } {
  let source: string | undefined;
  let output: string | undefined;
  let march: string | undefined;
  for (const { arg, flag, value } of options(args, "asm")) {
    switch (flag) {
      case "--help":
      case "-h":
        return { kind: "help", topic: "asm" };
      case "-o":
      case "--output":
        output = value();
        break;
      case "--march":
        march = value();
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option '${arg}' for 'asm'`, "asm");
        if (source !== undefined) throw new UsageError(`'asm' takes one source, but got '${source}' and '${arg}'`, "asm");
        source = arg;
    }
  }
  if (source === undefined) throw new UsageError("'asm' needs a source file (.S or .s)", "asm");
  if (output === undefined) throw new UsageError("'asm' needs an output file: -o out.elf", "asm");
  return { kind: "asm", source, output, march };
}

function parseRun(args: readonly string[]): RunCommand | { kind: "help"; topic: "run" } {
  let program: string | undefined;
  let memory = DEFAULT_MEMORY;
  let maxInstructions: number | undefined;
  let timeoutSeconds: number | undefined;
  let traceTraps = false;
  let technique: RunTechnique = "native";
  let boot: GuestBoot = "machine";
  let exits = false;
  let cpu = CPU_RV64;
  for (const { arg, flag, inline, value } of options(args, "run")) {
    switch (flag) {
      case "--help":
      case "-h":
        return { kind: "help", topic: "run" };
      case "--memory":
        memory = value();
        break;
      case "--max-instructions":
        maxInstructions = positiveInteger(flag, value(), "run");
        break;
      case "--timeout":
        timeoutSeconds = seconds(flag, value());
        break;
      case "--trace-traps":
        if (inline) throw new UsageError(`${flag} takes no value`, "run");
        traceTraps = true;
        break;
      case "--technique": {
        const t = value();
        if (!(RUN_TECHNIQUES as readonly string[]).includes(t)) {
          throw new UsageError(`--technique must be one of ${RUN_TECHNIQUES.join(", ")}, not '${t}'`, "run");
        }
        technique = t as RunTechnique;
        break;
      }
      case "--boot": {
        const b = value();
        if (!(GUEST_BOOTS as readonly string[]).includes(b)) throw new UsageError(`--boot must be one of ${GUEST_BOOTS.join(", ")}, not '${b}'`, "run");
        boot = b as GuestBoot;
        break;
      }
      case "--exits":
        if (inline) throw new UsageError(`${flag} takes no value`, "run");
        exits = true;
        break;
      case "--cpu": {
        const text = value();
        const parsed = parseCpu(text);
        if (parsed instanceof CpuError) throw new UsageError(`--cpu ${text}: ${parsed.reason}`, "run");
        cpu = parsed;
        break;
      }
      default:
        if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option '${flag}' for 'run'`, "run");
        if (program !== undefined) throw new UsageError(`'run' takes one program, but got '${program}' and '${arg}'`, "run");
        program = arg;
    }
  }
  if (program === undefined) throw new UsageError("'run' needs a program: an ELF file or a .S file", "run");
  const memoryBytes = memorySize(memory, "run");
  if (exits && technique === "native") throw new UsageError("--exits needs a VMM --technique (trap-and-emulate or hardware-assisted): a native run has no VMM and no exits", "run");
  if (boot === "supervisor" && technique === "native") throw new UsageError("--boot supervisor needs firmware (an SBI), which only a VMM --technique provides", "run");
  const cpuMismatch = checkCpuTechnique(cpu, technique);
  if (cpuMismatch) throw new UsageError(`--cpu: ${cpuMismatch.reason}`, "run");
  return { kind: "run", program, memoryBytes, maxInstructions, timeoutSeconds, traceTraps, technique, boot, exits, cpu };
}

function parseCompare(args: readonly string[]): CompareCommand | { kind: "help"; topic: "compare" } {
  let program: string | undefined;
  let memory = DEFAULT_MEMORY;
  let maxInstructions = DEFAULT_COMPARE_LIMIT;
  let json = false;
  let input: string | undefined;
  for (const { arg, flag, inline, value } of options(args, "compare")) {
    switch (flag) {
      case "--help":
      case "-h":
        return { kind: "help", topic: "compare" };
      case "--memory":
        memory = value();
        break;
      case "--max-instructions":
        maxInstructions = positiveInteger(flag, value(), "compare");
        break;
      case "--json":
        if (inline) throw new UsageError(`${flag} takes no value`, "compare");
        json = true;
        break;
      case "--input":
        input = value();
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option '${flag}' for 'compare'`, "compare");
        if (program !== undefined) throw new UsageError(`'compare' takes one program, but got '${program}' and '${arg}'`, "compare");
        program = arg;
    }
  }
  if (program === undefined) throw new UsageError("'compare' needs a program: an ELF file or a .S file", "compare");
  return { kind: "compare", program, memoryBytes: memorySize(memory, "compare"), maxInstructions, json, input };
}

function memorySize(text: string, command: CommandName): number {
  const bytes = parseMemorySize(text);
  if (bytes === undefined) throw new UsageError(`--memory must be a size such as 128M, 64K or 1G (whole 4 KiB pages, 4K to 4G), not '${text}'`, command);
  return bytes;
}

function positiveInteger(flag: string, text: string, command: CommandName): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number of instructions (1 or more), not '${text}'`, command);
  return n;
}

function seconds(flag: string, text: string): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number of seconds greater than 0, such as 5 or 0.5, not '${text}'`, "run");
  return n;
}
