import { MAX_HARTS } from "../target/target";
import { checkCpuTechnique, CPU_RV64, CpuError, parseCpu, type CpuModel } from "../target/cpu";
import { NON_TRAPPING_SENSITIVE, parseMemorySize, type FpuSwitchPolicy, type GuestBoot, type Hosting, type NonTrappingSensitive, type PageSharingOptions } from "../target/target_options";
import { checkTechnique, smpProblem, VMM_TECHNIQUES, type Technique } from "../target/techniques";
import { DEFAULT_RNG_SEED, EMULATED_DEVICES, parseDeviceModelOption, parseDeviceModels, type DeviceModel, type DeviceModels } from "../target/target_options";
import { parseDiskOption, type DiskSpec } from "../target/disk_image";
import { balloonProblem, deviceModelsProblem } from "../target/device_model";
import { COMMANDS, COMMAND_SPECS, DEFAULT_COMPARE_LIMIT, type CommandName, type CommandSpec } from "./commands";
import { EXIT_USAGE } from "./exit_status";
import { parseGdbAddress, type GdbAddress } from "../gdb/address";
import { icountShiftProblem, MAX_ICOUNT_SHIFT } from "../target/target_options";

export { COMMANDS, DEFAULT_COMPARE_LIMIT, type CommandName };

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
  technique: Technique;
  /** Where the guest starts under a VMM technique (vm.ts): M-mode, or S-mode behind the VMM's SBI. */
  boot: GuestBoot;
  /** Print every VM exit and the exit summary (VMM techniques only). */
  exits: boolean;
  /** The hart of the bare board, in QEMU's `-cpu` syntax (cpu.ts). */
  cpu: CpuModel;
  /** Serve GDB's remote protocol there (--gdb), holding the guest until a client continues (--wait). */
  gdb?: { address: GdbAddress; wait: boolean };
  /** The Popek–Goldberg option: sensitive instructions that run deprivileged without trapping (vm.ts). */
  nonTrappingSensitive: NonTrappingSensitive[];
  /** Write what replays the run to this file (record_file.ts). */
  record?: string;
  /** The virtio-blk disk image (--disk), opened at launch. */
  diskSpec?: DiskSpec;
  /** The seed of the virtio-rng device (--rng); none when absent. */
  rngSeed?: number;
  /** A type 1 or type 2 VMM (cost_model.ts): hosted changes only the modelled costs. */
  hosting: Hosting;
  /** The host's RAM under a VMM (--host-memory); undefined: room for all of guest RAM. */
  hostMemoryBytes?: number;
  /** Content-based page sharing (a launch configuration's `pageSharing`; no flag yet); off when absent. */
  pageSharing?: PageSharingOptions;
  /** The VMM's swap area with --host-memory (--host-swap); no swapping when absent. */
  hostSwapBytes?: number;
  /** How the VMM switches the guest's FP state at world switches (--fpu-switch). */
  fpuSwitch: FpuSwitchPolicy;
  /** A virtio-console on stdout and stdin (--virtio-console). */
  virtioConsole: boolean;
  /** A virtio-balloon in virtio-mmio slot 6 (--balloon). */
  balloon: boolean;
  /** How the VMM gives the guest its virtio devices (--device-model). */
  deviceModels: DeviceModels;
  /** Harts on the board (--smp); default 1. */
  smp?: number;
  /** The timebase as QEMU's -icount shift=N (--icount-shift); default 0. */
  icountShift?: number;
  /** The architecture a .S program is assembled for (a launch configuration's `march`); the assembler's default when absent. */
  march?: string;
}

/** The options that say how to run, not what: the same with a program or a launch configuration. */
export type RunControl = Pick<RunCommand, "maxInstructions" | "timeoutSeconds" | "traceTraps" | "exits" | "gdb" | "record">;

/** `hyperstep run --config launch.json [--name NAME]`: a launch configuration, run headless (launch_json.ts). */
export interface ConfigRunCommand extends RunControl {
  kind: "run-config";
  config: string;
  name?: string;
}

/** `hyperstep replay <record>`: a recorded run again, compared with its recording. */
export interface ReplayCommand {
  kind: "replay";
  record: string;
  /** Where the program is now, when not at the recorded path. */
  program?: string;
  traceTraps: boolean;
  exits: boolean;
}

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
  /** Where the guest starts, under every technique. */
  boot: GuestBoot;
  /** A file whose bytes every run receives on its UART. */
  input?: string;
  /** The program's twin (compare_twin.ts): the same workload for the techniques that cannot run the program. */
  twin?: string;
  /** The non-standard teaching machine, for the techniques that run sensitive instructions deprivileged. */
  nonTrappingSensitive: NonTrappingSensitive[];
  /** Also show each technique's modelled cost as a hosted (type 2) VMM. */
  hosting: boolean;
  /** How every VMM technique switches the guest's FP state at world switches (--fpu-switch). */
  fpuSwitch: FpuSwitchPolicy;
  /** The virtio-blk disk every run gets a snapshot of (--disk). */
  diskSpec?: DiskSpec;
  /** A virtio-console in every run (--virtio-console). */
  virtioConsole: boolean;
  /** Each VMM technique runs once per model (--device-model emulated,split). */
  deviceModels?: DeviceModel[];
}

export type HelpCommand = { kind: "help"; topic?: CommandName };
export type Command = RunCommand | ConfigRunCommand | ReplayCommand | AsmCommand | CompareCommand | HelpCommand | { kind: "version" };

export const DEFAULT_MEMORY = "128M";

/** Parses the arguments after `hyperstep`. Throws UsageError naming the offending argument. */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") return { kind: "help" };
  if (first === "--version") return { kind: "version" };
  if (first === "help") {
    if (rest.length === 0) return { kind: "help" };
    if (isCommand(rest[0]) && rest.length === 1) return { kind: "help", topic: rest[0] };
    throw new UsageError(`no help for '${rest.join(" ")}'; the commands are: ${COMMANDS.join(", ")}`);
  }
  if (isCommand(first)) {
    const given = parseOptions(COMMAND_SPECS[first], rest);
    if (given === "help") return { kind: "help", topic: first };
    return BUILDERS[first](given);
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}'`);
  throw new UsageError(`unknown command '${first}'; the commands are: ${COMMANDS.join(", ")}`);
}

function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

/** A command's arguments as given: its one operand, and each option by its long name. */
class Given {
  constructor(readonly spec: CommandSpec, readonly operand: string | undefined, private readonly values: ReadonlyMap<string, string | true>) {}

  /** An option's value, undefined when absent. */
  value(name: string): string | undefined {
    const v = this.values.get(this.known(name));
    return v === true ? undefined : v;
  }

  /** Whether a switch was given. */
  has(name: string): boolean {
    return this.values.has(this.known(name));
  }

  usage(message: string): UsageError {
    return new UsageError(message, this.spec.name);
  }

  /** The builders read only options of the table, so none can be parsed yet missing from the help. */
  private known(name: string): string {
    if (!this.spec.options.some((o) => o.names.at(-1) === name)) throw new Error(`'${this.spec.name}' has no option ${name} in commands.ts`);
    return name;
  }
}

/**
 * Walks a command's arguments (`--flag=value`, `--flag value`, `-f value` and plain words) against
 * its options in the table. "help" when -h/--help is among them.
 */
function parseOptions(spec: CommandSpec, args: readonly string[]): Given | "help" {
  const values = new Map<string, string | true>();
  let operand: string | undefined;
  const noun = spec.name === "asm" ? "source" : spec.name === "replay" ? "record" : "program";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = spec.options.find((o) => o.names.includes(flag));
    if (option === undefined) {
      if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option '${flag}' for '${spec.name}'`, spec.name);
      if (operand !== undefined) throw new UsageError(`'${spec.name}' takes one ${noun}, but got '${operand}' and '${arg}'`, spec.name);
      operand = arg;
      continue;
    }
    const name = option.names.at(-1)!;
    if (name === "--help") return "help";
    if (option.value === undefined) {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`, spec.name);
      values.set(name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`, spec.name);
    if (option.choices && !option.choices.some((c) => c.id === value)) {
      throw new UsageError(`${flag} must be one of ${option.choices.map((c) => c.id).join(", ")}, not '${value}'`, spec.name);
    }
    values.set(name, value);
  }
  return new Given(spec, operand, values);
}

const BUILDERS: { [C in CommandName]: (given: Given) => Command } = {
  run(given) {
    const control = runControl(given);
    const config = given.value("--config");
    if (config !== undefined) return configRun(given, config, control);
    if (given.has("--name")) throw given.usage("--name picks a configuration of a launch.json: it needs --config");
    if (given.operand === undefined) throw given.usage("'run' needs a program (an ELF file, a .S or a .c file) or --config launch.json");
    const technique = (given.value("--technique") ?? "native") as Technique;
    const boot = (given.value("--boot") ?? "machine") as GuestBoot;
    const vmm = VMM_TECHNIQUES.join(" or ");
    if (boot === "supervisor" && technique === "native") throw given.usage(`--boot supervisor needs firmware (an SBI), which only a VMM --technique (${vmm}) provides`);
    const hosting = (given.value("--hosting") ?? "native") as Hosting;
    if (hosting === "hosted" && technique === "native") throw given.usage(`--hosting hosted needs a VMM --technique (${vmm}): a native run has no VMM to host`);
    if (given.has("--host-memory") && technique === "native") throw given.usage(`--host-memory is the memory a VMM shares between itself and its guest: it needs a VMM --technique (${vmm})`);
    if (given.has("--host-swap") && !given.has("--host-memory")) throw given.usage("--host-swap is where the VMM pages guest memory out when host memory runs out: it needs --host-memory");
    if (given.has("--fpu-switch") && technique === "native") throw given.usage(`--fpu-switch is how a VMM switches the guest's floating-point state: it needs a VMM --technique (${vmm})`);
    const cpu = optional(given, "--cpu", cpuModel) ?? CPU_RV64;
    const cpuMismatch = checkCpuTechnique(cpu, technique);
    if (cpuMismatch) throw given.usage(`--cpu: ${cpuMismatch.reason}`);
    const nonTrappingSensitive = optional(given, "--non-trapping-sensitive", nonTrappingList) ?? [];
    const mismatch = checkTechnique(technique, { nonTrappingSensitive });
    if (mismatch) throw given.usage(`--non-trapping-sensitive ${mismatch.message}`);
    const runModels = optional(given, "--device-model", deviceModels) ?? EMULATED_DEVICES;
    const modelProblem = deviceModelsProblem(runModels, technique, given.has("--disk"));
    if (modelProblem) throw given.usage(`--device-model ${modelProblem}`);
    const balloonRefused = given.has("--balloon") && balloonProblem(technique, runModels);
    if (balloonRefused) throw given.usage(`--balloon ${balloonRefused}`);
    const smp = optional(given, "--smp", hartCount);
    const smpRefused = smp !== undefined && smpProblem(technique, smp, boot);
    if (smpRefused) throw given.usage(`--smp ${smp}: ${smpRefused}`);
    const command: RunCommand = {
      kind: "run",
      program: given.operand,
      memoryBytes: memorySize(given),
      technique,
      boot,
      cpu,
      nonTrappingSensitive,
      diskSpec: optional(given, "--disk", diskSpec),
      rngSeed: given.has("--rng") ? DEFAULT_RNG_SEED : undefined,
      hosting,
      hostMemoryBytes: optional(given, "--host-memory", hostMemorySize),
      hostSwapBytes: optional(given, "--host-swap", hostMemorySize),
      fpuSwitch: (given.value("--fpu-switch") ?? "lazy") as FpuSwitchPolicy,
      virtioConsole: given.has("--virtio-console"),
      balloon: given.has("--balloon"),
      deviceModels: runModels,
      smp,
      ...control,
      icountShift: optional(given, "--icount-shift", icountShift),
    };
    const problem = controlProblem(command, (field) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (problem) throw given.usage(problem);
    return command;
  },
  replay(given) {
    if (given.operand === undefined) throw given.usage("'replay' needs a record: a file that 'hyperstep run --record' wrote");
    return { kind: "replay", record: given.operand, program: given.value("--program"), traceTraps: given.has("--trace-traps"), exits: given.has("--exits") };
  },
  asm(given) {
    if (given.operand === undefined) throw given.usage("'asm' needs a source file (.S or .s)");
    const output = given.value("--output");
    if (output === undefined) throw given.usage("'asm' needs an output file: -o out.elf");
    return { kind: "asm", source: given.operand, output, march: given.value("--march") };
  },
  compare(given) {
    if (given.operand === undefined) throw given.usage("'compare' needs a program: an ELF file or a .S file");
    return {
      kind: "compare",
      program: given.operand,
      memoryBytes: memorySize(given),
      maxInstructions: optional(given, "--max-instructions", positiveInteger) ?? DEFAULT_COMPARE_LIMIT,
      json: given.has("--json"),
      boot: (given.value("--boot") ?? "machine") as GuestBoot,
      input: given.value("--input"),
      twin: given.value("--twin"),
      nonTrappingSensitive: optional(given, "--non-trapping-sensitive", nonTrappingList) ?? [],
      hosting: given.has("--hosting"),
      fpuSwitch: (given.value("--fpu-switch") ?? "lazy") as FpuSwitchPolicy,
      diskSpec: optional(given, "--disk", diskSpec),
      virtioConsole: given.has("--virtio-console"),
      deviceModels: optional(given, "--device-model", modelList),
    };
  },
};

function runControl(given: Given): RunControl {
  const gdb = optional(given, "--gdb", gdbAddress);
  if (given.has("--wait") && !gdb) throw given.usage("--wait holds the guest for a GDB client: it needs --gdb tcp::PORT");
  if (gdb && given.has("--timeout")) throw given.usage("--timeout cannot be combined with --gdb: the time the guest spends stopped in GDB would count against it");
  const record = given.value("--record");
  if (record !== undefined && gdb) throw given.usage("--record cannot be combined with --gdb: GDB may change registers and memory, which a replay would not do");
  return {
    maxInstructions: optional(given, "--max-instructions", positiveInteger),
    timeoutSeconds: optional(given, "--timeout", seconds),
    traceTraps: given.has("--trace-traps"),
    exits: given.has("--exits"),
    gdb: gdb && { address: gdb, wait: given.has("--wait") },
    record,
  };
}

/** The options that describe the guest: a launch configuration says all of that itself. */
const GUEST_OPTIONS = ["--memory", "--host-memory", "--host-swap", "--icount-shift", "--technique", "--boot", "--hosting", "--fpu-switch", "--non-trapping-sensitive", "--cpu", "--disk", "--smp", "--rng", "--balloon", "--virtio-console", "--device-model"];

function configRun(given: Given, config: string, control: RunControl): ConfigRunCommand {
  if (given.operand !== undefined) throw given.usage(`--config runs the program its configuration names: give no program ('${given.operand}')`);
  const guest = GUEST_OPTIONS.find((o) => given.has(o));
  if (guest) throw given.usage(`${guest} cannot be combined with --config: the launch configuration describes the guest (edit it there); with --config, give only ${RUN_CONTROL_OPTIONS}`);
  return { kind: "run-config", config, name: given.value("--name"), ...control };
}

const RUN_CONTROL_OPTIONS = "--name, --max-instructions, --timeout, --trace-traps, --exits, --gdb, --wait and --record";

/**
 * What the run's own options (--exits, --record) cannot do with this guest, or undefined; `name`
 * says how the user gave a setting of the guest (a flag, or a launch configuration's attribute).
 */
export function controlProblem(run: RunCommand, name: (field: "technique" | "virtioConsole" | "rng" | "balloon" | "smp" | "icountShift" | "disk" | "march") => string): string | undefined {
  if (run.exits && run.technique === "native") return `--exits needs a VMM ${name("technique")} (${VMM_TECHNIQUES.join(" or ")}): a native run has no VMM and no exits`;
  if (run.record === undefined) return undefined;
  const devices = "a record does not name the devices, which a replay would need";
  if (run.virtioConsole) return `--record cannot be combined with ${name("virtioConsole")} yet: ${devices}`;
  if (run.rngSeed !== undefined) return `--record cannot be combined with ${name("rng")} yet: ${devices}`;
  if (run.balloon) return `--record cannot be combined with ${name("balloon")} yet: ${devices}`;
  if ((run.smp ?? 1) > 1) return `--record cannot be combined with ${name("smp")} yet: a record does not name the harts, which a replay would need`;
  if ((run.icountShift ?? 0) !== 0) return `--record cannot be combined with ${name("icountShift")} yet: a record does not name the timebase, which a replay would need`;
  if (run.diskSpec) return `--record cannot be combined with ${name("disk")} yet: a record does not hold the disk's contents, which a replay would need`;
  if (run.march !== undefined) return `--record cannot be combined with ${name("march")} yet: a replay assembles the program with the default architecture`;
  return undefined;
}

function cpuModel(given: Given, flag: string, text: string): CpuModel {
  const parsed = parseCpu(text);
  if (parsed instanceof CpuError) throw given.usage(`${flag} ${text}: ${parsed.reason}`);
  return parsed;
}

function deviceModels(given: Given, flag: string, text: string): DeviceModels {
  const parsed = parseDeviceModelOption(text);
  if (typeof parsed === "string") throw given.usage(`${flag} ${text}: ${parsed}`);
  return parsed;
}

/** compare's `--device-model`: models to run each VMM technique under, in order, without repeats. */
function modelList(given: Given, flag: string, text: string): DeviceModel[] {
  const models = text.split(",").map((m) => {
    const parsed = parseDeviceModels(m);
    if (typeof parsed === "string") throw given.usage(`${flag} ${text}: ${parsed}`);
    return parsed.vm;
  });
  return [...new Set(models)];
}

function diskSpec(given: Given, flag: string, text: string): DiskSpec {
  const parsed = parseDiskOption(text);
  if (typeof parsed === "string") throw given.usage(`${flag} ${parsed}`);
  return parsed;
}

function gdbAddress(given: Given, flag: string, text: string): GdbAddress {
  const parsed = parseGdbAddress(text);
  if (typeof parsed === "string") throw given.usage(`${flag}: ${parsed}`);
  return parsed;
}

function nonTrappingList(given: Given, flag: string, text: string): NonTrappingSensitive[] {
  const items = text.split(",");
  const wrong = items.find((i) => !(NON_TRAPPING_SENSITIVE as readonly string[]).includes(i));
  if (wrong !== undefined) throw given.usage(`${flag} takes a comma-separated list of ${NON_TRAPPING_SENSITIVE.join(", ")}, not '${wrong}'`);
  return [...new Set(items as NonTrappingSensitive[])];
}

function optional<T>(given: Given, name: string, parse: (given: Given, flag: string, text: string) => T): T | undefined {
  const text = given.value(name);
  return text === undefined ? undefined : parse(given, name, text);
}

function memorySize(given: Given): number {
  const text = given.value("--memory") ?? DEFAULT_MEMORY;
  const bytes = parseMemorySize(text);
  if (bytes === undefined) throw given.usage(`--memory must be a size such as 128M, 64K or 1G (whole 4 KiB pages, 4K to 4G), not '${text}'`);
  return bytes;
}

/** --host-memory and --host-swap: a size on the host. */
function hostMemorySize(given: Given, flag: string, text: string): number {
  const bytes = parseMemorySize(text);
  if (bytes === undefined) throw given.usage(`${flag} must be a size such as ${flag === "--host-swap" ? "4M" : "12M"} (whole 4 KiB pages, 4K to 4G), not '${text}'`);
  return bytes;
}

function positiveInteger(given: Given, flag: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw given.usage(`${flag} needs a whole number of instructions (1 or more), not '${text}'`);
  return n;
}

function hartCount(given: Given, flag: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_HARTS)) throw given.usage(`${flag} needs a whole number of harts from 1 to ${MAX_HARTS}, not '${text}'`);
  return n;
}

function icountShift(given: Given, flag: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (icountShiftProblem(n)) throw given.usage(`${flag} needs a whole number from 0 to ${MAX_ICOUNT_SHIFT}, as QEMU's -icount shift=N, not '${text}'`);
  return n;
}

function seconds(given: Given, flag: string, text: string): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw given.usage(`${flag} needs a number of seconds greater than 0, such as 5 or 0.5, not '${text}'`);
  return n;
}
