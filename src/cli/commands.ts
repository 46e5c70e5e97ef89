import { formatMiB, FPU_SWITCH_POLICIES, GUEST_BOOTS, HOSTINGS, NON_TRAPPING_SENSITIVE, type FpuSwitchPolicy, type GuestBoot, type Hosting } from "../target/target_options";
import { MAX_HARTS, QUANTUM } from "../target/target";
import { AVAILABLE_TECHNIQUES, largestMemory, NON_TRAPPING_TECHNIQUES, techniqueEntry, VMM_TECHNIQUES } from "../target/techniques";
import { RECORD_VERSION } from "./record_file";
import { MAX_ICOUNT_SHIFT } from "../target/target_options";
import { EXIT_INTERRUPTED, EXIT_LOAD_ERROR, EXIT_NO_HALT, EXIT_NOT_EQUIVALENT, EXIT_USAGE } from "./exit_status";

/**
 * Every command of `hyperstep`, its options and what they mean, once: the argument parser (args.ts)
 * accepts exactly these options and the help (help.ts) is written from them, so the two cannot
 * disagree. The techniques are those of src/target/techniques.ts that run today.
 */

export const COMMANDS = ["run", "replay", "asm", "compare"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A value an option accepts, and what it means. */
export interface Choice {
  readonly id: string;
  readonly description: string;
}

export interface OptionSpec {
  /** Its names, the long one last: the parser reports its value under that name. */
  readonly names: readonly string[];
  /** The value's placeholder, as in `--memory <size>`; a switch has none. */
  readonly value?: string;
  readonly help: string;
  /** The only values it accepts. */
  readonly choices?: readonly Choice[];
}

/** A paragraph of help text, or a list of terms with their meanings. */
export type HelpBlock = string | readonly (readonly [term: string, meaning: string])[];

export interface CommandSpec {
  readonly name: CommandName;
  /** What follows the command name in its usage line. */
  readonly usage: string;
  /** One line for `hyperstep --help`. */
  readonly summary: string;
  readonly about: readonly HelpBlock[];
  readonly options: readonly OptionSpec[];
  readonly exitStatus: HelpBlock;
  readonly after?: readonly HelpBlock[];
}

export const HELP_OPTION: OptionSpec = { names: ["-h", "--help"], help: "show this help" };

const TECHNIQUE_CHOICES: readonly Choice[] = AVAILABLE_TECHNIQUES.map((id) => ({ id, description: techniqueEntry(id).description }));

const BOOT_DESCRIPTIONS: Readonly<Record<GuestBoot, string>> = {
  machine: "(default) start in M-mode at the entry, as on the bare virt board (QEMU -bios none)",
  supervisor: "start in S-mode at the entry with the VMM as SBI firmware (console, timer, shutdown), as a kernel starts behind OpenSBI; needs a VMM technique",
};
const BOOT_CHOICES: readonly Choice[] = GUEST_BOOTS.map((id) => ({ id, description: BOOT_DESCRIPTIONS[id] }));

const HOSTING_DESCRIPTIONS: Readonly<Record<Hosting, string>> = {
  native: "(default) a type 1 VMM, alone on the hardware with its device models",
  hosted: "a type 2 VMM beside a host OS that owns the devices, as VMware Workstation: every exit the cost model charges as device emulation also costs a world switch to the host OS and one back",
};
const HOSTING_CHOICES: readonly Choice[] = HOSTINGS.map((id) => ({ id, description: HOSTING_DESCRIPTIONS[id] }));
const FPU_SWITCH_DESCRIPTIONS: Readonly<Record<FpuSwitchPolicy, string>> = {
  lazy: "(default) at a world switch the hart's FS goes Off; the guest's next FP instruction is an fpu-trap exit, where the VMM loads its FP state",
  eager: "the VMM saves and restores the FP registers and fcsr at every world switch, used or not",
};
const FPU_SWITCH_CHOICES: readonly Choice[] = FPU_SWITCH_POLICIES.map((id) => ({ id, description: FPU_SWITCH_DESCRIPTIONS[id] }));

const MEMORY: OptionSpec = {
  names: ["--memory"], value: "<size>",
  help: "RAM at 0x80000000: bytes, or with a K/M/G suffix (default 128M; whole 4 KiB pages, 4K to 4G; " +
    `a VMM's own memory shares those 4 GiB, so at most ${VMM_TECHNIQUES.map((id) => `${formatMiB(largestMemory(id))} under ${id}`).join(", ")})`,
};

/** A guest that never halts must still end: `compare` stops every technique after this many instructions. */
export const DEFAULT_COMPARE_LIMIT = 10_000_000;
/** `compare` stops a run that retires no instruction for this long. */
export const NO_PROGRESS_SECONDS = 5;

/** The virtio-console and the device models: options of 'run' and of 'compare'. */
const VIRTIO_CONSOLE_OPTION: OptionSpec = {
  names: ["--virtio-console"],
  help: "a virtio-console in virtio-mmio slot 1 (0x10002000, PLIC IRQ 2): its transmit queue writes to stdout and its receive queue reads stdin, as the UART's registers do, so the same text can go through a ring",
};
const DEVICE_MODEL_OPTION: OptionSpec = {
  names: ["--device-model"], value: "<model|device=model,…>",
  help: "under a VMM technique, how the VMM gives the guest its virtio devices (default emulated): emulated: every register access exits; split: the rings are shared with the VMM's backend, register reads do not exit and only QueueNotify does (virtio-notify); passthrough (virtio-blk only, needs --disk, not under paravirtual): the guest drives the host's device itself, its DMA through an IOMMU at 0x3010000, and the other devices stay emulated. Per device: virtio-blk=split,virtio-console=emulated",
};
const IO_OPTIONS: readonly OptionSpec[] = [{ ...VIRTIO_CONSOLE_OPTION, help: `${VIRTIO_CONSOLE_OPTION.help}; not with --record` }, DEVICE_MODEL_OPTION];

const RUN: CommandSpec = {
  name: "run",
  usage: "<program.elf|.S|.c> [options] | --config <launch.json> [--name <n>] [options]",
  summary: "run a guest headless",
  about: [
    "Runs a guest on the 'virt' board, as 'qemu-system-riscv64 -machine virt -bios none -kernel <program>' would: the hart (each hart, with --smp) starts in M-mode at the ELF entry with a0 = its mhartid. The guest's UART (NS16550A at 0x10000000) writes to stdout and reads from stdin. The guest ends the run through the SiFive test finisher at 0x100000, through HTIF when the ELF defines 'tohost', or (with --boot supervisor) through an SBI shutdown call.",
    "A .S/.s program is assembled by Hyperstep; a .c program is built first with riscv64-unknown-elf-gcc -g -O0 (one freestanding file that defines _start, linked at 0x80000000).",
  ],
  options: [
    MEMORY,
    { names: ["--max-instructions"], value: "<n>", help: "stop after n instructions if the guest has not halted" },
    { names: ["--timeout"], value: "<seconds>", help: "stop after this much wall-clock time if the guest has not halted" },
    { names: ["--trace-traps"], help: "print every trap (cause, tval, pc, mode change) to stderr, in order with the guest's output" },
    { names: ["--technique"], value: "<technique>", help: "how the guest is virtualized (default native):", choices: TECHNIQUE_CHOICES },
    { names: ["--boot"], value: "<boot>", help: "where the guest starts:", choices: BOOT_CHOICES },
    { names: ["--hosting"], value: "<hosting>", help: "with a VMM technique, where the VMM runs (it changes only the modelled costs):", choices: HOSTING_CHOICES },
    {
      names: ["--host-memory"], value: "<size>",
      help: "with a VMM technique: the host's RAM, the VMM's own pools and the guest's pages together (default: room for all of --memory); smaller, guest pages get host frames on first touch",
    },
    {
      names: ["--host-swap"], value: "<size>",
      help: "with --host-memory under trap-and-emulate or hardware-assisted: the VMM's swap area on the host's disk; when no host frame is free the VMM swaps a guest page out (first in, first out) and back in on access (host-swap-in exits)",
    },
    { names: ["--fpu-switch"], value: "<policy>", help: "with a VMM technique: how the VMM switches the guest's floating-point state at world switches:", choices: FPU_SWITCH_CHOICES },
    {
      names: ["--exits"],
      help: "with a VMM technique: print every VM exit to stderr, in order with the guest's output, then counts and modelled cycles by reason and the overhead against a native run",
    },
    {
      names: ["--non-trapping-sensitive"], value: "<list>",
      help: `deliberately non-standard, for the Popek–Goldberg lesson: a comma-separated list of ${NON_TRAPPING_SENSITIVE.join(", ")}; ` +
        "those instructions run in U-mode without trapping, as x86 pushf/popf did, so trap-and-emulate cannot see them while binary translation still rewrites them; " +
        `needs --technique ${NON_TRAPPING_TECHNIQUES.join(" or ")}`,
    },
    {
      names: ["--cpu"], value: "<model>",
      help: "the hart, in QEMU's -cpu syntax: rv64 (default; RV64IMAFDC, M/S/U), rv64,h=true (the H extension: HS, VS and VU modes, the H and VS CSRs, two-stage translation), to run a hypervisor of your own on the bare board, or rv64,f=false,d=false (no floating point); h=true needs --technique native",
    },
    {
      names: ["--gdb"], value: "<tcp::port>",
      help: "serve GDB's remote protocol on 127.0.0.1:port (as QEMU's -gdb tcp::port; port 0 picks a free one): gdb-multiarch attaches with 'target remote :port' and may stop, step, set breakpoints and watchpoints, and run 'monitor' with any Debug Console command",
    },
    { names: ["--wait"], help: "with --gdb: hold the guest at its first instruction until GDB attaches and continues (as QEMU's -S)" },
    {
      names: ["--record"], value: "<file>",
      help: `write what replays this run to file (JSON, format version ${RECORD_VERSION}): the program's path and the SHA-256 of its image, these options, every byte the guest read from stdin with the step and instruction count at which it reached the guest, and the end state (instructions, pc, a hash of the registers, exit code, output); 'hyperstep replay file' runs it again; not with --gdb or --disk`,
    },
    {
      names: ["--disk"], value: "<file[,readonly][,snapshot]>",
      help: "a raw disk image as the virtio-blk device in virtio-mmio slot 0 (0x10001000, PLIC IRQ 1), as QEMU's -drive file=FILE,format=raw with -device virtio-blk-device,bus=virtio-mmio-bus.0; " +
        "writes go through to the file before the guest sees them done (flush also fsyncs it); readonly: the guest may not write; snapshot: writes stay in memory and the file is untouched",
    },
    {
      names: ["--smp"], value: "<n>",
      help: `harts on the board, 1 to ${MAX_HARTS} (default 1), as QEMU's -smp n: every hart starts at the ELF entry with a0 = its mhartid; they run one at a time, ${QUANTUM} instructions each in turn, so runs stay deterministic; under trap-and-emulate, binary-translation and hardware-assisted the VM's vCPUs, which the VMM runs the same way on its host hart (not under paravirtual, nor with --boot supervisor); not with --record`,
    },
    {
      names: ["--icount-shift"], value: "<n>",
      help: `the timebase, as QEMU's -icount shift=n: every instruction counts as 2^n ns, and mtime ticks at 10 MHz, so mtime = floor(instructions × 2^n / 100); 0 to ${MAX_ICOUNT_SHIFT} (default 0: one tick every 100 instructions). A larger n makes a guest that waits for its timer spin for fewer instructions; not with --record`,
    },
    {
      names: ["--rng"],
      help: "a virtio-rng device in virtio-mmio slot 7 (0x10008000, PLIC IRQ 8), where QEMU's -device virtio-rng-device goes; its bytes come from a generator with a fixed seed (0x48797053), so every run gives the guest the same bytes; not with --record",
    },
    {
      names: ["--balloon"],
      help: "a virtio-balloon device in virtio-mmio slot 6 (0x10007000, PLIC IRQ 7), where QEMU's -device virtio-balloon-device,bus=virtio-mmio-bus.6 goes; its target stays 0 in a headless run (the Debug Console's 'balloon SIZE' sets it); not under paravirtual, nor with --device-model passthrough or --record",
    },
    ...IO_OPTIONS,
    {
      names: ["--config"], value: "<launch.json>",
      help: "run a Hyperstep launch configuration of this file (VS Code's launch.json, comments allowed) instead of a program: its program and every attribute that describes the guest, as F5 would; ${workspaceFolder} is the folder holding .vscode/, and a relative program or disk is taken from its cwd, else from that folder. " +
        "Only --name, --max-instructions (which overrides the configuration's), --timeout, --trace-traps, --exits, --gdb, --wait and --record go with it; stopOnEntry, historyMiB and gdbServer belong to the debugger and are not used",
    },
    { names: ["--name"], value: "<name>", help: "with --config: the configuration to run, by its \"name\" (needed when the file has more than one)" },
    HELP_OPTION,
  ],
  exitStatus: [
    ["the guest's exit code", "from the finisher, HTIF or an SBI shutdown (a finisher reset request counts as 0)"],
    [String(EXIT_LOAD_ERROR), "the program could not be read, parsed or loaded, or the --gdb port could not be opened"],
    [String(EXIT_USAGE), "bad command-line arguments"],
    [String(EXIT_NO_HALT), "the guest did not halt: --max-instructions or --timeout was reached, it sleeps in WFI with nothing left to wake it, or it is stuck in a trap loop (4,096 trap entries in a row without a retired instruction)"],
    [String(EXIT_INTERRUPTED), "interrupted with Ctrl-C, or killed from GDB"],
  ],
  after: [
    "A one-line summary (how the run ended, instructions, time, and MIPS for runs of a million instructions or more) goes to stderr.",
  ],
};

/** The exit trace options `replay` shares with `run`. */
const TRACE_TRAPS = RUN.options.find((o) => o.names.includes("--trace-traps"))!;
const EXITS = RUN.options.find((o) => o.names.includes("--exits"))!;

const REPLAY: CommandSpec = {
  name: "replay",
  usage: "<record.json> [options]",
  summary: "run a recorded run again, to the same end",
  about: [
    "Runs again a run that 'hyperstep run --record' recorded: the same program (its image must hash as recorded), the same options, and the recorded UART input, each byte reaching the guest at the step it reached it then. The guest's output goes to stdout as it did; the recorded run's own stdin is not read. The machine is deterministic (time is the instruction count), so the replay ends in the same state, which it then compares with the recording: a last line on stderr says whether the instruction count, pc, registers, exit code and output match. A run the recording stopped from outside (--max-instructions, --timeout, Ctrl-C) stops at the same step.",
  ],
  options: [
    { names: ["--program"], value: "<file>", help: "the program, where it is now (default: the path in the record); its image must still hash as recorded" },
    TRACE_TRAPS,
    EXITS,
    HELP_OPTION,
  ],
  exitStatus: [
    ["the recorded exit status", "the end state matched the recording"],
    [String(EXIT_LOAD_ERROR), "the record is missing, not a Hyperstep record, of another format version, or damaged; or the program cannot be read, or it changed since the run was recorded"],
    [String(EXIT_USAGE), "bad command-line arguments"],
    [String(EXIT_NOT_EQUIVALENT), "the replay ended in another state than the recorded run (the differences go to stderr)"],
  ],
};

const ASM: CommandSpec = {
  name: "asm",
  usage: "<source.S|source.s> -o <output.elf> [--march <arch>]",
  summary: "assemble a .S/.s file into an ELF executable",
  about: [
    "Assembles a guest with Hyperstep's assembler (GNU as syntax; .S files go through the C preprocessor) and links it as 'riscv64-unknown-elf-ld -Ttext=0x80000000' would: .text at 0x80000000, entry _start. The ELF carries the symbols, so objdump, gdb and QEMU accept it.",
  ],
  options: [
    { names: ["-o", "--output"], value: "<file>", help: "the ELF file to write" },
    { names: ["--march"], value: "<arch>", help: "the architecture (default rv64imafdc_zicsr_zifencei); '.option arch' inside the file changes it from there on" },
    HELP_OPTION,
  ],
  exitStatus: [
    ["0", "the ELF was written"],
    [String(EXIT_LOAD_ERROR), "the source has errors (each printed as file:line:column: error: message) or the file cannot be written"],
    [String(EXIT_USAGE), "bad command-line arguments"],
  ],
};

const COMPARE: CommandSpec = {
  name: "compare",
  usage: "<program.elf|program.S|program.c> [options]",
  summary: "run a guest under every technique and compare their costs",
  about: [
    `Runs the guest once under each technique Hyperstep can run (${AVAILABLE_TECHNIQUES.join(", ")}), each on a fresh machine with the same UART input, and prints one row per technique:`,
    [
      ["end", "how the run ended (exit code, instruction limit, asleep in WFI, trap loop, no progress)"],
      ["instructions", "guest instructions retired"],
      ["exits", "VM exits (native has no VMM, hence none); by reason in a second table"],
      ["modelled cycles", "one per guest instruction plus each exit's modelled cost (Heiser's COMP9242 \"Overheads (Estimated)\" table)"],
      ["overhead", "modelled cycles against the baseline's"],
      ["wall time", "this simulator's time for the run (and its ratio to the baseline's)"],
      ["equivalent", "whether the guest could tell: the same UART output, exit code and final registers as under the baseline (Popek and Goldberg's equivalence)"],
    ],
    "The baseline is native, or the first technique that can run the guest. A technique that cannot run it gets a row saying why: a guest that boots in S-mode (--boot supervisor) has no native run, since only a VMM provides its SBI firmware.",
    `Every run stops at --max-instructions, and a run that retires no instruction for ${NO_PROGRESS_SECONDS} s is stopped as making no progress. Progress goes to stderr on long runs.`,
  ],
  options: [
    { names: ["--json"], help: "print the same as one JSON object" },
    MEMORY,
    { names: ["--max-instructions"], value: "<n>", help: `stop each run after n instructions if the guest has not halted (default ${DEFAULT_COMPARE_LIMIT})` },
    { names: ["--boot"], value: "<boot>", help: "where the guest starts, under every technique:", choices: BOOT_CHOICES },
    { names: ["--fpu-switch"], value: "<policy>", help: "how every VMM technique switches the guest's floating-point state at world switches (the FPU switching column shows what it cost; a lazy run also prices eager switching, since the guest switches worlds the same under both):", choices: FPU_SWITCH_CHOICES },
    { names: ["--input"], value: "<file>", help: "the bytes every run receives on its UART (default: none)" },
    { names: ["--hosting"], help: "add two columns: the modelled cycles and overhead of each technique as a hosted (type 2) VMM, whose device-emulation exits each cost two more world switches, to the host OS and back" },
    { names: ["--twin"], value: "<file>", help: "the same workload for the techniques that cannot run the program (a paravirtual kernel's twin, an ordinary kernel), booted as --boot says; its runs fill the table beside the program's. Without it, the twin that the program's launch configuration names (\"twin\") in the .vscode/launch.json beside it" },
    {
      names: ["--non-trapping-sensitive"], value: "<list>",
      help: `deliberately non-standard, for the Popek–Goldberg lesson: as for 'run', under ${NON_TRAPPING_TECHNIQUES.join(" and ")} only; the baseline and the other techniques run on standard hardware, so the equivalent column shows which technique the non-trapping instructions break`,
    },
    { names: ["--disk"], value: "<file>", help: "a raw disk image as the virtio-blk device, as for 'run'; every run gets its own snapshot of it, so all start from the same bytes and the file is never written" },
    VIRTIO_CONSOLE_OPTION,
    {
      names: ["--device-model"], value: "<list>",
      help: "run each VMM technique once per device model in the list (emulated, split), one row each, for the same I/O workload's exits and modelled cycles under each model; native runs once",
    },
    HELP_OPTION,
  ],
  exitStatus: [
    ["0", "every technique that ran matched the baseline"],
    [String(EXIT_LOAD_ERROR), "the program could not be read or loaded, or no technique can run it"],
    [String(EXIT_USAGE), "bad command-line arguments"],
    [String(EXIT_NOT_EQUIVALENT), "a technique's run differed from the baseline's"],
  ],
};

export const COMMAND_SPECS: Readonly<Record<CommandName, CommandSpec>> = { run: RUN, replay: REPLAY, asm: ASM, compare: COMPARE };

/** `hyperstep` with no command: its own options. */
export const GENERAL_OPTIONS: readonly OptionSpec[] = [
  { names: ["-h", "--help"], help: "show this help" },
  { names: ["--version"], help: "print the version" },
];
