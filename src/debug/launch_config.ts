import type { PageSharingOptions } from "../hypervisor/mm/page_sharing";
import { DEFAULT_MARCH, parseMarch } from "../asm/arch";
import { checkCpuTechnique, CpuError, DEFAULT_CPU, parseCpu, type CpuModel } from "../target/cpu";
import { checkTechnique, smpProblem, type Technique } from "../target/techniques";
import type { DiskSpec } from "../target/disk_image";
import { DEFAULT_ICOUNT_SHIFT, DEFAULT_RNG_SEED, icountShiftProblem, MAX_ICOUNT_SHIFT, parseDeviceModels, type DeviceModels } from "../target/target_options";
import { FPU_SWITCH_POLICIES, GUEST_BOOTS, HOSTINGS, NON_TRAPPING_SENSITIVE, parseMemorySize, type FpuSwitchPolicy, type GuestBoot, type Hosting, type NonTrappingSensitive } from "../target/target_options";
import { balloonProblem, deviceModelsProblem } from "../target/device_model";
import { MAX_HARTS } from "../target/target";

/**
 * The launch configuration, checked field by field.
 *
 * VS Code validates launch.json against the schema in package.json only as a hint in the editor;
 * other DAP clients send anything. So the adapter checks every field itself and names the field that
 * is wrong, which is what a user needs to fix it.
 */
export interface LaunchConfig {
  program: string;
  stopOnEntry: boolean;
  memoryBytes: number;
  technique: Technique;
  /** Where the guest starts under a VMM: M-mode as on the bare board, or S-mode behind the VMM's SBI. */
  boot: GuestBoot;
  maxInstructions: number | undefined;
  cwd: string | undefined;
  args: string[];
  /** A deliberately non-standard teaching option (Popek–Goldberg, x86 popf): see package.json. */
  nonTrappingSensitive: NonTrappingSensitive[];
  /** The architecture `.S`/`.s` programs are assembled for; undefined means the assembler's default. */
  march: string | undefined;
  /** The hart, in QEMU's `-cpu` syntax (cpu.ts): `rv64`, or `rv64,h=true` for the H extension. */
  cpu: CpuModel;
  /** A read-only GDB server on 127.0.0.1 at this port (0: any free one); undefined: none. */
  gdbServer: number | undefined;
  /** How much the guest's history (time travel) may keep, in MiB; 0 turns recording off. */
  historyMiB: number;
  /** The virtio-blk disk image, opened at launch (relative to cwd); none when undefined. */
  disk: DiskSpec | undefined;
  /** The seed of the virtio-rng device in virtio-mmio slot 7; no such device when undefined. */
  rngSeed: number | undefined;
  /** A type 1 or type 2 VMM (cost_model.ts): it changes only the modelled costs. */
  hosting: Hosting;
  /** The host's RAM under a VMM technique (`hostMemory`); undefined: room for all of guest RAM. */
  hostMemoryBytes: number | undefined;
  /** Content-based page sharing under a VMM technique (`pageSharing`); undefined: off. */
  pageSharing: PageSharingOptions | undefined;
  /** The VMM's swap area, with hostMemory (`hostSwap`); undefined: no swapping. */
  hostSwapBytes: number | undefined;
  /** How the VMM switches the guest's FP state at world switches (hypervisor/fpu_switch.ts). */
  fpuSwitch: FpuSwitchPolicy;
  /** A virtio-console in virtio-mmio slot 1, on the UART terminal's output and input. */
  virtioConsole: boolean;
  /** A virtio-balloon in virtio-mmio slot 6 (REPL `balloon` sets its target). */
  balloon: boolean;
  /** Under a VMM technique: how the VMM gives the guest each virtio device. */
  deviceModels: DeviceModels;
  /** Harts on the board (QEMU's -smp); 1 unless given. Several need technique native. */
  smp: number;
  /** The timebase as QEMU's -icount shift=N (2^N ns per instruction, mtime at 10 MHz); 0 unless given. */
  icountShift: number;
  /**
   * Several VMs on one host (`vms`; hypervisor/host.ts): each one's name and configuration, which is
   * the top level's with that VM's fields over it. The top level's own fields are then the first
   * VM's, and hostMemoryBytes is the host's. Absent: one guest.
   */
  vms?: NamedVm[];
  /** With vms: guest steps per VM time slice (`vmSlice`); undefined: the host's default. */
  vmSlice?: number;
}

export interface NamedVm {
  name: string;
  config: LaunchConfig;
}

/** The history budget when the launch configuration names none. */
export const DEFAULT_HISTORY_MIB = 512;

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    /** What is wrong with the field, without its name. */
    readonly reason: string,
  ) {
    super(`launch configuration: '${field}' ${reason}`);
  }
}

export const DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024;

function optional<T>(args: Record<string, unknown>, field: string, type: string, fallback: T): T {
  const v = args[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== type) throw new ConfigError(field, `must be a ${type}, not ${JSON.stringify(v)}`);
  return v as T;
}

/** Checks raw launch arguments. Throws ConfigError naming the first bad field. */
export function parseLaunchConfig(raw: unknown = {}): LaunchConfig {
  if (typeof raw !== "object" || raw === null) throw new ConfigError("(arguments)", "must be an object");
  const args = raw as Record<string, unknown>;
  if (args.vms !== undefined && args.vms !== null) return parseVms(args);
  if (args.vmSlice !== undefined && args.vmSlice !== null) throw new ConfigError("vmSlice", "is the time slice of each of several VMs: it needs \"vms\"");

  const program = args.program;
  if (program === undefined || program === null || program === "") {
    throw new ConfigError("program", "is required: the path of a guest .S/.s file, a .c file or an ELF executable");
  }
  if (typeof program !== "string") throw new ConfigError("program", `must be a string path, not ${JSON.stringify(program)}`);

  const technique = optional<string>(args, "technique", "string", "native");
  const unknown = checkTechnique(technique);
  if (unknown) throw new ConfigError(unknown.option, unknown.message);

  const rawMemory = args.memory ?? DEFAULT_MEMORY_BYTES;
  if (typeof rawMemory !== "string" && typeof rawMemory !== "number") {
    throw new ConfigError("memory", `must be a size such as "128M" or a byte count, not ${JSON.stringify(rawMemory)}`);
  }
  const memoryBytes = parseMemorySize(rawMemory);
  if (memoryBytes === undefined) {
    throw new ConfigError("memory", `must be a whole number of 4 KiB pages between 4K and 4G, such as "128M"; got ${JSON.stringify(rawMemory)}`);
  }

  const maxInstructions = args.maxInstructions;
  if (maxInstructions !== undefined && maxInstructions !== null && (typeof maxInstructions !== "number" || !Number.isSafeInteger(maxInstructions) || maxInstructions <= 0)) {
    throw new ConfigError("maxInstructions", `must be a positive integer, not ${JSON.stringify(maxInstructions)}`);
  }

  const historyMiB = optional<number>(args, "historyMiB", "number", DEFAULT_HISTORY_MIB);
  if (!Number.isSafeInteger(historyMiB) || historyMiB < 0 || historyMiB > 65536) {
    throw new ConfigError("historyMiB", `must be a whole number of MiB from 0 (no time travel) to 65536, not ${JSON.stringify(historyMiB)}`);
  }

  const argv = args.args ?? [];
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== "string")) {
    throw new ConfigError("args", "must be an array of strings");
  }

  const nonTrapping = args.nonTrappingSensitive ?? [];
  const allowed = NON_TRAPPING_SENSITIVE as readonly unknown[];
  if (!Array.isArray(nonTrapping) || nonTrapping.some((x) => !allowed.includes(x))) {
    throw new ConfigError("nonTrappingSensitive", `must be an array of ${NON_TRAPPING_SENSITIVE.map((x) => `"${x}"`).join(" or ")}, not ${JSON.stringify(nonTrapping)}`);
  }
  const boot = optional<string>(args, "boot", "string", "machine");
  if (!(GUEST_BOOTS as readonly string[]).includes(boot)) {
    throw new ConfigError("boot", `must be one of ${GUEST_BOOTS.map((b) => `"${b}"`).join(", ")}; got "${boot}"`);
  }
  const mismatch = checkTechnique(technique, { boot, nonTrappingSensitive: nonTrapping as string[] });
  if (mismatch) throw new ConfigError(mismatch.option, mismatch.message);
  const hosting = optional<string>(args, "hosting", "string", "native");
  if (!(HOSTINGS as readonly string[]).includes(hosting)) {
    throw new ConfigError("hosting", `must be one of ${HOSTINGS.map((h) => `"${h}"`).join(", ")}; got "${hosting}"`);
  }
  if (hosting === "hosted" && technique === "native") {
    throw new ConfigError("hosting", `"hosted" needs a VMM technique: technique "native" has no VMM to host`);
  }

  const hostMemoryBytes = parseHostMemory(args.hostMemory, technique);
  const pageSharing = parsePageSharing(args.pageSharing, technique);
  const hostSwapBytes = parseHostSwap(args.hostSwap, technique, hostMemoryBytes);

  const fpuSwitch = optional<string>(args, "fpuSwitch", "string", "lazy");
  if (!(FPU_SWITCH_POLICIES as readonly string[]).includes(fpuSwitch)) {
    throw new ConfigError("fpuSwitch", `must be one of ${FPU_SWITCH_POLICIES.map((p) => `"${p}"`).join(", ")}; got "${fpuSwitch}"`);
  }
  if (args.fpuSwitch !== undefined && args.fpuSwitch !== null && technique === "native") {
    throw new ConfigError("fpuSwitch", "is how a VMM switches the guest's floating-point state: it needs a VMM technique, not \"native\"");
  }

  const rawCpu = optional<string>(args, "cpu", "string", DEFAULT_CPU);
  const cpu = parseCpu(rawCpu);
  if (cpu instanceof CpuError) throw new ConfigError("cpu", `is "${rawCpu}": ${cpu.reason}`);
  const cpuMismatch = checkCpuTechnique(cpu, technique as Technique);
  if (cpuMismatch) throw new ConfigError("cpu", `is "${rawCpu}": ${cpuMismatch.reason}`);

  const march = optional<string | undefined>(args, "march", "string", undefined);
  if (march !== undefined) {
    const parsed = parseMarch(march);
    if (typeof parsed === "string") throw new ConfigError("march", `${parsed}; the default is "${DEFAULT_MARCH}"`);
  }

  const gdbServer = args.gdbServer;
  if (gdbServer !== undefined && gdbServer !== null && (typeof gdbServer !== "number" || !Number.isInteger(gdbServer) || gdbServer < 0 || gdbServer > 65535)) {
    throw new ConfigError("gdbServer", `must be a TCP port number from 0 (any free port) to 65535, not ${JSON.stringify(gdbServer)}`);
  }

  const disk = parseDisk(args.disk);
  const deviceModels = parseDeviceModel(args.deviceModel);
  const modelProblem = deviceModelsProblem(deviceModels, technique as Technique, disk !== undefined);
  if (modelProblem) throw new ConfigError("deviceModel", modelProblem);
  const balloon = optional(args, "balloon", "boolean", false);
  const balloonRefused = balloon && balloonProblem(technique as Technique, deviceModels);
  if (balloonRefused) throw new ConfigError("balloon", balloonRefused);

  const smp = optional<number>(args, "smp", "number", 1);
  if (!Number.isSafeInteger(smp) || smp < 1 || smp > MAX_HARTS) {
    throw new ConfigError("smp", `must be a whole number of harts from 1 to ${MAX_HARTS}, not ${JSON.stringify(smp)}`);
  }
  const smpRefused = smpProblem(technique as Technique, smp, boot as GuestBoot);
  if (smpRefused) throw new ConfigError("smp", `is ${smp}: ${smpRefused}`);

  const icountShift = optional<number>(args, "icountShift", "number", DEFAULT_ICOUNT_SHIFT);
  if (icountShiftProblem(icountShift)) {
    throw new ConfigError("icountShift", `must be a whole number from 0 to ${MAX_ICOUNT_SHIFT}, as QEMU's -icount shift=N, not ${JSON.stringify(icountShift)}`);
  }

  return {
    smp,
    icountShift,
    disk,
    rngSeed: parseRng(args.rng),
    virtioConsole: optional(args, "virtioConsole", "boolean", false),
    balloon,
    deviceModels,
    program,
    stopOnEntry: optional(args, "stopOnEntry", "boolean", false),
    memoryBytes,
    technique: technique as Technique,
    maxInstructions: (maxInstructions as number | undefined) ?? undefined,
    cwd: optional<string | undefined>(args, "cwd", "string", undefined),
    args: argv as string[],
    nonTrappingSensitive: [...new Set(nonTrapping as NonTrappingSensitive[])],
    boot: boot as GuestBoot,
    march,
    cpu,
    gdbServer: (gdbServer as number | undefined) ?? undefined,
    historyMiB,
    hosting: hosting as Hosting,
    hostMemoryBytes,
    pageSharing,
    hostSwapBytes,
    fpuSwitch: fpuSwitch as FpuSwitchPolicy,
  };
}

/** A VM's fields that are the host's, set once at the top of a configuration with `vms`. */
const HOST_FIELDS = ["vms", "vmSlice", "hostMemory", "hostSwap", "gdbServer", "historyMiB", "stopOnEntry", "maxInstructions"];

/**
 * A configuration with `vms`: each VM is the top level's fields with its own over them, checked as
 * a configuration of its own (under a VMM technique); the host's fields stay at the top.
 */
function parseVms(args: Record<string, unknown>): LaunchConfig {
  const list = args.vms;
  if (!Array.isArray(list) || list.length < 2) {
    throw new ConfigError("vms", `must be an array of two or more VMs, each { "name": …, "program": …, … } with the fields of a configuration that are its own; got ${JSON.stringify(list)}`);
  }
  const { vms: _, vmSlice, hostMemory, hostSwap, name: __, ...defaults } = args;
  if (hostSwap !== undefined && hostSwap !== null) throw new ConfigError("hostSwap", "takes the host to one VM: with several VMs, the VMM has no swap area yet");
  const vms = list.map((entry: unknown, i): NamedVm => {
    const at = `vms[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new ConfigError(at, `must be an object: the VM's name and the fields that are its own, not ${JSON.stringify(entry)}`);
    const own = entry as Record<string, unknown>;
    if (typeof own.name !== "string" || own.name.trim() === "") throw new ConfigError(`${at}.name`, "is required: the VM's name, which prefixes its UART's lines");
    const hostField = Object.keys(own).find((k) => HOST_FIELDS.includes(k));
    if (hostField) throw new ConfigError(`${at}.${hostField}`, "is the host's, not one VM's: set it at the top of the configuration");
    let config: LaunchConfig;
    try {
      config = parseLaunchConfig({ ...defaults, ...own });
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${at}.${e.field}`, e.reason);
      throw e;
    }
    if (config.technique === "native") throw new ConfigError(`${at}.technique`, "is \"native\": several VMs share a host through a VMM, so each needs a VMM technique");
    return { name: own.name, config };
  });
  const names = vms.map((v) => v.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError("vms", `names two VMs ${JSON.stringify(twice)}: each VM's name must be its own`);
  let hostMemoryBytes: number | undefined;
  if (hostMemory !== undefined && hostMemory !== null) {
    hostMemoryBytes = typeof hostMemory === "string" || typeof hostMemory === "number" ? parseMemorySize(hostMemory) : undefined;
    if (hostMemoryBytes === undefined) throw new ConfigError("hostMemory", `must be a whole number of 4 KiB pages between 4K and 4G, such as "12M"; got ${JSON.stringify(hostMemory)}`);
  }
  if (vmSlice !== undefined && vmSlice !== null && (typeof vmSlice !== "number" || !Number.isSafeInteger(vmSlice) || vmSlice < 1)) {
    throw new ConfigError("vmSlice", `must be a positive whole number of guest steps, not ${JSON.stringify(vmSlice)}`);
  }
  // The host's fields at the top, parsed as one guest's (the first VM's) would have them.
  const top = parseLaunchConfig({ ...defaults, ...(list[0] as Record<string, unknown>), stopOnEntry: args.stopOnEntry, maxInstructions: args.maxInstructions, historyMiB: args.historyMiB, gdbServer: args.gdbServer });
  return { ...top, hostMemoryBytes, vms, vmSlice: (vmSlice as number | undefined) ?? undefined };
}

/** `hostMemory`: a size, under a VMM technique only (the VM checks it against its pools and guest RAM). */
function parseHostMemory(raw: unknown, technique: string): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (technique === "native") throw new ConfigError("hostMemory", "is the memory a VMM shares between itself and its guest: it needs a VMM technique, not \"native\"");
  const bytes = typeof raw === "string" || typeof raw === "number" ? parseMemorySize(raw) : undefined;
  if (bytes === undefined) throw new ConfigError("hostMemory", `must be a whole number of 4 KiB pages between 4K and 4G, such as "12M"; got ${JSON.stringify(raw)}`);
  return bytes;
}

/** `hostSwap`: a size, with hostMemory under a VMM technique (the VM refuses the techniques that cannot swap). */
function parseHostSwap(raw: unknown, technique: string, hostMemoryBytes: number | undefined): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (technique === "native") throw new ConfigError("hostSwap", "is where a VMM pages guest memory out: it needs a VMM technique, not \"native\"");
  const bytes = typeof raw === "string" || typeof raw === "number" ? parseMemorySize(raw) : undefined;
  if (bytes === undefined) throw new ConfigError("hostSwap", `must be a whole number of 4 KiB pages between 4K and 4G, such as "4M"; got ${JSON.stringify(raw)}`);
  if (hostMemoryBytes === undefined) throw new ConfigError("hostSwap", "is where the VMM pages guest memory out when host memory runs out: it needs hostMemory, smaller than the VMM's pools plus guest RAM");
  return bytes;
}

/** `pageSharing`: { scanPagesPerTick }, under trap-and-emulate or hardware-assisted (the VM refuses the others). */
function parsePageSharing(raw: unknown, technique: string): PageSharingOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (technique === "native") throw new ConfigError("pageSharing", "is the VMM's: it needs a VMM technique, not \"native\"");
  const rate = typeof raw === "object" ? (raw as { scanPagesPerTick?: unknown }).scanPagesPerTick : undefined;
  if (typeof rate !== "number" || !Number.isSafeInteger(rate) || rate < 1) {
    throw new ConfigError("pageSharing", `must be { "scanPagesPerTick": N } with N a whole number of pages, 1 or more; got ${JSON.stringify(raw)}`);
  }
  return { scanPagesPerTick: rate };
}

/** `deviceModel`: "emulated" (the default), "split", or an object of device names and models. */
function parseDeviceModel(raw: unknown): DeviceModels {
  const parsed = parseDeviceModels(raw);
  if (typeof parsed === "string") throw new ConfigError("deviceModel", parsed);
  return parsed;
}

/** `rng`: true for the default seed, or the seed itself (a 32-bit unsigned integer). */
function parseRng(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined;
  if (raw === true) return DEFAULT_RNG_SEED;
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0 && raw <= 0xffff_ffff) return raw;
  throw new ConfigError("rng", `must be true (a virtio-rng device with the default seed) or its seed, an integer from 0 to 4294967295, not ${JSON.stringify(raw)}`);
}

/** `disk`: a path, or `{ path, readOnly?, snapshot? }`. */
function parseDisk(raw: unknown): DiskSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const shape = `must be the path of a raw disk image, or { "path": …, "readOnly": true|false, "snapshot": true|false }, not ${JSON.stringify(raw)}`;
  if (typeof raw === "string") {
    if (raw === "") throw new ConfigError("disk", shape);
    return { path: raw, readOnly: false, snapshot: false };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError("disk", shape);
  const d = raw as Record<string, unknown>;
  const unknown = Object.keys(d).find((k) => !["path", "readOnly", "snapshot"].includes(k));
  if (unknown !== undefined) throw new ConfigError("disk", `has an unknown field '${unknown}': the fields are path, readOnly and snapshot`);
  if (typeof d.path !== "string" || d.path === "") throw new ConfigError("disk", `needs 'path', the image file: ${shape}`);
  const flag = (name: string) => {
    const v = d[name];
    if (v !== undefined && typeof v !== "boolean") throw new ConfigError("disk", `'${name}' must be true or false, not ${JSON.stringify(v)}`);
    return v === true;
  };
  return { path: d.path, readOnly: flag("readOnly"), snapshot: flag("snapshot") };
}
