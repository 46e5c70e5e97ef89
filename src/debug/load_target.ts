import * as path from "node:path";
import type { AsmDiagnostic } from "../asm/diagnostics";
import type { DwarfSections } from "../asm/dwarf_line";
import { readGuestImage } from "../asm/guest_image";
import { createTarget } from "../target/create_target";
import { openDisk } from "../target/disk_image";
import { readProgramFile, readSourceFile } from "../target/program_file";
import type { Target } from "../target/target";
import type { ByteSink, ByteSource } from "../machine/device";
import type { BlockBackend } from "../machine/devices/virtio/block_backend";
import { buildC } from "../target/c_build";
import { createHost } from "../target/create_host";
import { ConfigError, type LaunchConfig, type NamedVm } from "./launch_config";

/**
 * The program does not assemble. Not a mistake in the launch configuration: the message names the
 * file and points at the Problems panel, which gets every error, located; `details` lists them.
 */
export class AssemblyError extends Error {
  override readonly name = "AssemblyError";
  readonly details: string;

  constructor(
    readonly file: string,
    readonly diagnostics: AsmDiagnostic[],
    verb = "assemble",
  ) {
    super(`${path.basename(file)} does not ${verb}: ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"} (see Problems)`);
    this.details = diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: error: ${d.message}`).join("\n");
  }
}

export interface LoadedTarget {
  target: Target;
  /** The absolute path of the program loaded: the ELF gcc built, for a `.c` program. */
  file: string;
  /** Source texts the assembler read, by path: the `source` request serves them when the file is gone. */
  sources: Map<string, string>;
  /** Problems that do not stop the launch (e.g. an unreadable DWARF line table), for the console. */
  warnings: string[];
  /** An ELF's DWARF sections (C variables are read from them on first use). */
  dwarf?: DwarfSections;
}

/**
 * Reads the launch configuration's program and builds the target it names. Every failure becomes a
 * ConfigError on `program` (an AssemblyError for assembly errors), so the user sees which file is
 * wrong and why, and nothing is left half-started.
 */
export async function loadTarget(config: LaunchConfig, uart: { out: ByteSink; in: ByteSource }): Promise<LoadedTarget> {
  if (config.vms) return loadHost(config, config.vms, uart);
  const { image, file, sources, disk, warnings, dwarf } = await readProgram(config);
  const created = createTarget(image, {
    ...guestOptions(config, disk), uartOut: uart.out, uartIn: uart.in, historyBytes: config.historyMiB * 1024 * 1024,
    hostMemoryBytes: config.hostMemoryBytes, hostSwapBytes: config.hostSwapBytes,
  });
  if (!created.ok) throw new ConfigError("program", `'${file}': ${created.error}`);
  return { target: created.target, file, sources, warnings, dwarf };
}

/**
 * Several VMs on one host (`vms`): each VM's program read as one guest's, its UART's lines on the
 * terminal prefixed by its name, input to the first VM. The program, sources and DWARF the debugger
 * resolves breakpoints and frames with are the first VM's.
 */
async function loadHost(config: LaunchConfig, vms: readonly NamedVm[], uart: { out: ByteSink; in: ByteSource }): Promise<LoadedTarget> {
  const read: ProgramRead[] = [];
  for (const vm of vms) read.push(await readProgram(vm.config));
  const guests = vms.map((vm, i) => ({ name: vm.name, program: read[i].image, opts: guestOptions(vm.config, read[i].disk) }));
  const created = createHost(guests, { memoryBytes: config.hostMemoryBytes, slice: config.vmSlice, uartOut: uart.out, uartIn: uart.in, historyBytes: config.historyMiB * 1024 * 1024 });
  if (!created.ok) throw new ConfigError("vms", created.error);
  const [first] = read;
  return { target: created.target, file: first.file, sources: first.sources, warnings: read.flatMap((r) => r.warnings), dwarf: first.dwarf };
}

/** What a configuration says of its guest's machine, the same for one guest alone and for each VM of several. */
function guestOptions(c: LaunchConfig, disk: BlockBackend | undefined) {
  return {
    technique: c.technique, memoryBytes: c.memoryBytes, nonTrappingSensitive: c.nonTrappingSensitive, boot: c.boot, cpu: c.cpu, disk, rngSeed: c.rngSeed,
    hosting: c.hosting, pageSharing: c.pageSharing, fpuSwitch: c.fpuSwitch, virtioConsole: c.virtioConsole, balloon: c.balloon, deviceModels: c.deviceModels,
    smp: c.smp, icountShift: c.icountShift,
  };
}

type ProgramRead = Awaited<ReturnType<typeof readProgram>>;

/** The configuration's program, read (and assembled or compiled), and its disk, opened. */
async function readProgram(config: LaunchConfig) {
  const source = path.resolve(config.cwd ?? process.cwd(), config.program);
  // A C program is built by the reference gcc first (c_build.ts); its DWARF then names the .c file.
  let file = source;
  if (source.endsWith(".c")) {
    const built = await buildC(source);
    if (!built.ok) {
      if (built.diagnostics.length) throw new AssemblyError(source, built.diagnostics, "compile");
      throw new ConfigError("program", `'${source}' ${built.error}`);
    }
    file = built.elf;
  }
  // Only a regular file, of a bounded size: a launch of /dev/zero or of a FIFO fails at once.
  const bytes = readProgramFile(file);
  if (typeof bytes === "string") throw new ConfigError("program", `cannot be read: ${bytes} ('${file}')`);
  const sources = new Map<string, string>();
  const readSource = (p: string): string | undefined => {
    const text = readSourceFile(p);
    if (text !== undefined) sources.set(p, text);
    return text;
  };
  const image = readGuestImage(file, bytes, readSource, { march: config.march });
  if (!image.ok) {
    if (image.diagnostics?.length) throw new AssemblyError(file, image.diagnostics);
    throw new ConfigError("program", `'${file}': ${image.error}`);
  }
  if (!sources.has(file) && /\.[sS]$/.test(file)) sources.set(file, new TextDecoder().decode(bytes));
  const disk = config.disk && openDisk(config.disk, config.cwd ?? process.cwd());
  if (typeof disk === "string") throw new ConfigError("disk", disk);
  const warnings = image.program.lineTableError ? [`${file}: no source lines: ${image.program.lineTableError}`] : [];
  return { image: image.program, file, sources, disk, warnings, dwarf: image.program.dwarf };
}
