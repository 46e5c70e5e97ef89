/** The texts of `hyperstep --help` and `hyperstep help run`. */

export const EXIT_USAGE = 2;
/** The program could not be read, parsed or loaded. */
export const EXIT_LOAD_ERROR = 1;
/** The guest did not halt: instruction limit, timeout, or asleep in WFI with nothing left to wake it. Same as timeout(1). */
export const EXIT_NO_HALT = 124;
/** `compare`: a technique's run differed from the native one (output, exit code or final registers). */
export const EXIT_NOT_EQUIVALENT = 3;
/** Stopped by Ctrl-C: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

export const GENERAL_HELP = `Usage: hyperstep <command> [options]

Runs RISC-V guests on Hyperstep's simulated machine (QEMU's 'virt' board: RV64IMAC, M/S/U, Sv39;
the H extension with 'run --cpu rv64,h=true').

Commands:
  run <program>     run a guest headless; see 'hyperstep help run'
  asm <source>      assemble a .S/.s file into an ELF executable; see 'hyperstep help asm'
  compare <program> run a guest under every technique and compare their costs; see
                    'hyperstep help compare'
  help [command]    show help

Options:
  --help, -h        show this help
  --version         print the version
`;

export const RUN_HELP = `Usage: hyperstep run <program.elf|program.S> [options]

Runs a guest on the 'virt' board, as 'qemu-system-riscv64 -machine virt -bios none -kernel <program>'
would: the hart starts in M-mode at the ELF entry with a0 = 0. The guest's UART (NS16550A at
0x10000000) writes to stdout and reads from stdin. The guest ends the run through the SiFive test
finisher at 0x100000, or through HTIF when the ELF defines 'tohost'.

Options:
  --memory <size>            RAM at 0x80000000: bytes, or with a K/M/G suffix (default 128M;
                             whole 4 KiB pages, 4K to 4G)
  --max-instructions <n>     stop after n instructions if the guest has not halted
  --timeout <seconds>        stop after this much wall-clock time if the guest has not halted
  --trace-traps              print every trap (cause, tval, pc, mode change) to stderr
  --technique <t>            native (default): the guest owns the board; trap-and-emulate: the
                             guest runs deprivileged under Hyperstep's VMM with shadow page tables
  --exits                    with trap-and-emulate: print every VM exit to stderr, then counts and
                             modelled cycles by reason and the overhead against a native run
  --cpu <model>              the hart, in QEMU's -cpu syntax: rv64 (default; RV64IMAC, M/S/U) or
                             rv64,h=true (the H extension: HS, VS and VU modes, the H and VS
                             CSRs, two-stage translation), to run a hypervisor of your own on the
                             bare board; h=true needs --technique native
  --help, -h                 show this help

Exit status:
  the guest's exit code      from the finisher or HTIF (a finisher reset request counts as 0)
  1                          the program could not be read, parsed or loaded
  2                          bad command-line arguments
  124                        the guest did not halt: --max-instructions or --timeout was reached,
                             it sleeps in WFI with nothing left to wake it, or it is stuck in a
                             trap loop (4,096 trap entries in a row without a retired instruction)
  130                        interrupted with Ctrl-C

A one-line summary (how the run ended, instructions, time, and MIPS for runs of a million
instructions or more) goes to stderr.
`;

export const COMPARE_HELP = `Usage: hyperstep compare <program.elf|program.S> [options]

Runs the guest once under each virtualization technique Hyperstep can run (native, trap-and-emulate,
and hardware-assisted once it exists), each on a fresh machine with no UART input, and prints one
row per technique:
  end              how the run ended (exit code, instruction limit, asleep in WFI)
  instructions     guest instructions retired
  exits            VM exits (native has no VMM, hence none); by reason in a second table
  modelled cycles  one per guest instruction plus each exit's modelled cost (Heiser's
                   COMP9242 "Overheads (Estimated)" table)
  overhead         modelled cycles against native's
  wall time        this simulator's time for the run (and its ratio to native's)
  equivalent       whether the guest could tell: the same UART output, exit code and final
                   registers as natively (Popek and Goldberg's equivalence)
Progress goes to stderr on long runs.

Options:
  --json                     print the same as one JSON object
  --memory <size>            guest RAM at 0x80000000 (default 128M; as for 'run')
  --max-instructions <n>     stop each run after n instructions if the guest has not halted
                             (default 10000000)
  --input <file>             the bytes every run receives on its UART (default: none)
  --help, -h                 show this help

Exit status: 0 when every technique matched native; 3 when one did not; 1 when the program could
not be read or loaded; 2 for bad arguments.
`;

export const ASM_HELP = `Usage: hyperstep asm <source.S|source.s> -o <output.elf> [--march <arch>]

Assembles a guest with Hyperstep's assembler (GNU as syntax; .S files go through the C preprocessor)
and links it as 'riscv64-unknown-elf-ld -Ttext=0x80000000' would: .text at 0x80000000, entry _start.
The ELF carries the symbols, so objdump, gdb and QEMU accept it.

Options:
  -o, --output <file>        the ELF file to write
  --march <arch>             the architecture (default rv64imac_zicsr_zifencei); '.option arch'
                             inside the file changes it from there on
  --help, -h                 show this help

Exit status: 0 when the ELF was written; 1 when the source has errors (each printed as
file:line:column: error: message) or the file cannot be written; 2 for bad arguments.
`;
