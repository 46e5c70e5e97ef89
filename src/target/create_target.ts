import type { PageSharingOptions } from "../hypervisor/mm/page_sharing";
import { BoardOptionsError, LoadError, type LoadableProgram } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { SnapshotBackend, type BlockBackend } from "../machine/devices/virtio/block_backend";
import { createVirtBoard } from "../machine/virt";
import { icountShiftProblem, instructionsPerTick } from "../machine/devices/clint/timebase";
import { checkCpuTechnique, type CpuModel } from "./cpu";
import { RecordedConsole, type InputEvent, type Recording } from "./history/recorded_console";
import { diskForHistory } from "./disk_image";
import { NativeTarget } from "./native_target";
import { Vm, VmOptionsError, type GuestBoot, type NonTrappingSensitive, type VmOptions } from "../hypervisor/vm";
import type { Hosting } from "../hypervisor/cost_model";
import type { FpuSwitchPolicy } from "../hypervisor/fpu_switch";
import { VmTarget } from "./vm_target";
import type { DeviceModels } from "../hypervisor/io/device_model";
import type { Target, TargetLine, TargetSymbol } from "./target";
import { checkTechnique, smpProblem, techniqueEntry, TECHNIQUES, type Technique } from "./techniques";
import { deviceModelsProblem } from "./device_model";

/** A guest ready to load: what the ELF reader or the assembler produced. */
export interface GuestProgram extends LoadableProgram {
  symbols: readonly TargetSymbol[];
  lineTable?: readonly TargetLine[];
}

export interface TargetOptions {
  technique: Technique;
  memoryBytes: number;
  uartOut?: ByteSink;
  uartIn?: ByteSource;
  /** Trap-and-emulate only: the deliberately non-standard Popek–Goldberg option (vm.ts). */
  nonTrappingSensitive?: readonly NonTrappingSensitive[];
  /** Under a VMM technique: start in M-mode (default) or in S-mode with the VMM's SBI (vm.ts). */
  boot?: GuestBoot;
  /** The hart of the bare board (cpu.ts); default rv64, without the H extension. */
  cpu?: CpuModel;
  /** How much the guest's history may keep, in bytes (history/history.ts); 0 records none. Default 512 MiB. */
  historyBytes?: number;
  /** UART input of an earlier run (its `history.input`), read again where it was read then: a replay. */
  replayInput?: readonly InputEvent[];
  /** The virtio-blk disk in virtio-mmio slot 0 (disk_image.ts opens one); none when absent. */
  disk?: BlockBackend;
  /** The seed of a virtio-rng device in virtio-mmio slot 7; none when absent. */
  rngSeed?: number;
  /** Under a VMM technique: a type 1 (default) or type 2 VMM, which changes only the modelled costs. */
  hosting?: Hosting;
  /** Under a VMM technique: the host's RAM, the VMM's pools and guest pages together (vm.ts); default room for all of guest RAM. */
  hostMemoryBytes?: number;
  /** Under a VMM technique: content-based page sharing (hypervisor/mm/page_sharing.ts); off when absent. */
  pageSharing?: PageSharingOptions;
  /** With hostMemoryBytes: the VMM's swap area in bytes (hypervisor/mm/host_swap.ts); no swapping when absent. */
  hostSwapBytes?: number;
  /** Under a VMM technique: how it switches the guest's FP state at world switches (fpu_switch.ts); default lazy. */
  fpuSwitch?: FpuSwitchPolicy;
  /** A virtio-console in virtio-mmio slot 1, on the UART's output and input. */
  virtioConsole?: boolean;
  /** A virtio-balloon in virtio-mmio slot 6; under a VMM technique, pages its driver inflates give their host frames back. */
  balloon?: boolean;
  /** Under a VMM technique: how the VMM gives the guest each virtio device (hypervisor/io/device_model.ts). */
  deviceModels?: DeviceModels;
  /** Harts on the board, or the VM's vCPUs (QEMU's -smp); default 1. */
  smp?: number;
  /** The timebase as QEMU's `-icount shift=N` (clint/timebase.ts): 2^N ns per instruction; default 0. */
  icountShift?: number;
}

export type CreateResult = { ok: true; target: Target } | { ok: false; error: string };

function symbolAddress(program: GuestProgram, name: string): number | undefined {
  const a = program.symbols.find((s) => s.name === name)?.address;
  return a === undefined || a > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(a);
}

/**
 * Why `program` cannot run under `technique` because one of them is written for the other (a
 * paravirtual kernel and its technique), or undefined.
 */
function writtenFor(program: GuestProgram, technique: Technique): string | undefined {
  const runs = techniqueEntry(technique).runs;
  for (const t of TECHNIQUES) {
    const symbol = typeof t.runs === "object" ? t.runs.guestSymbol : undefined;
    if (symbol === undefined) continue;
    const defines = program.symbols.some((s) => s.name === symbol);
    if (defines && t.id !== technique) return `this guest is written for the VMM (it defines ${symbol}): it runs only under technique "${t.id}"`;
    if (!defines && runs === t.runs) return `technique "${t.id}" runs only a kernel written for the VMM, one that defines the symbol ${symbol} (sample-guests/paravirtual)`;
  }
  return undefined;
}

/** Why `program` cannot run as `opts` say, or undefined. */
function targetProblem(program: GuestProgram, opts: TargetOptions): string | undefined {
  const invalid = checkTechnique(opts.technique, opts);
  if (invalid) return `${invalid.option} ${invalid.message}`;
  const cpuMismatch = opts.cpu && checkCpuTechnique(opts.cpu, opts.technique);
  if (cpuMismatch) return cpuMismatch.message;
  const modelProblem = opts.deviceModels && deviceModelsProblem(opts.deviceModels, opts.technique, opts.disk !== undefined);
  if (modelProblem) return `deviceModel ${modelProblem}`;
  const written = writtenFor(program, opts.technique);
  if (written) return written;
  const smp = smpProblem(opts.technique, opts.smp ?? 1, opts.boot);
  if (smp) return `smp ${opts.smp}: ${smp}`;
  return opts.icountShift !== undefined ? icountShiftProblem(opts.icountShift) : undefined;
}

/**
 * The VM that runs `program` as `opts` say (a VMM technique), on the console and disk given (which
 * the history may have wrapped): for one VM alone, or one of several on a host (create_host.ts).
 */
export function vmOptions(program: GuestProgram, opts: TargetOptions, io: { uartOut?: ByteSink; uartIn?: ByteSource; disk?: BlockBackend }): VmOptions {
  const runs = techniqueEntry(opts.technique).runs;
  if (typeof runs !== "object") throw new RangeError(`${opts.technique} is not a VMM technique`);
  return {
    technique: runs, boot: opts.boot, memoryBytes: opts.memoryBytes, uartOut: io.uartOut, uartIn: io.uartIn, disk: io.disk, rngSeed: opts.rngSeed, virtioConsole: opts.virtioConsole, balloon: opts.balloon, deviceModels: opts.deviceModels,
    ...timebase(opts), tohost: symbolAddress(program, "tohost"), fromhost: symbolAddress(program, "fromhost"),
    nonTrappingSensitive: opts.nonTrappingSensitive, f: opts.cpu?.f, d: opts.cpu?.d, hosting: opts.hosting, fpuSwitch: opts.fpuSwitch, smp: opts.smp,
    hostMemoryBytes: opts.hostMemoryBytes, pageSharing: opts.pageSharing, hostSwapBytes: opts.hostSwapBytes,
  };
}

function timebase(opts: TargetOptions): { instructionsPerTick?: number } {
  return opts.icountShift !== undefined ? { instructionsPerTick: instructionsPerTick(opts.icountShift) } : {};
}

/**
 * Checks that each of several guests can run as its options say (what createTarget checks of one);
 * the first problem, prefixed by the guest's name, or undefined.
 */
export function targetsProblem(guests: readonly { name: string; program: GuestProgram; opts: TargetOptions }[]): string | undefined {
  for (const g of guests) {
    const problem = targetProblem(g.program, g.opts);
    if (problem) return `VM ${JSON.stringify(g.name)}: ${problem}`;
  }
  return undefined;
}

/** Builds the board (or the VM), loads the guest and wraps it in the technique the user chose. */
export function createTarget(program: GuestProgram, opts: TargetOptions): CreateResult {
  const htif = { tohost: symbolAddress(program, "tohost"), fromhost: symbolAddress(program, "fromhost") };
  const problem = targetProblem(program, opts);
  if (problem) return { ok: false, error: problem };
  const runs = techniqueEntry(opts.technique).runs!;
  const console = new RecordedConsole(opts.uartIn, opts.uartOut, opts.replayInput);
  const { disk, host } = opts.disk && opts.historyBytes !== 0 ? diskForHistory(opts.disk) : { disk: opts.disk, host: [] };
  const recording: Recording = { console, budgetBytes: opts.historyBytes, outside: host };
  try {
    if (runs === "bare") {
      const board = createVirtBoard({
        memoryBytes: opts.memoryBytes, uartOut: console.sink, uartIn: console.source, hypervisorExtension: opts.cpu?.h, f: opts.cpu?.f, d: opts.cpu?.d, disk, rngSeed: opts.rngSeed, virtioConsole: opts.virtioConsole, balloon: opts.balloon, smp: opts.smp, ...timebase(opts), ...htif,
      });
      board.load(program);
      return { ok: true, target: new NativeTarget(board, program.symbols, program.lineTable ?? [], recording) };
    }
    const vm = new Vm(vmOptions(program, opts, { uartOut: console.sink, uartIn: console.source, disk }));
    vm.load(program);
    // `stats` compares techniques by loading the same guest again, silently, without input, and
    // with the disk as a snapshot, so that the comparison runs never write to the image.
    const fresh = (technique: Technique) => {
      const disk = opts.disk && new SnapshotBackend(opts.disk);
      // The device models where the technique has them (none natively).
      const deviceModels = opts.deviceModels && !deviceModelsProblem(opts.deviceModels, technique, true) ? opts.deviceModels : undefined;
      const other = createTarget(program, { ...opts, technique, uartOut: undefined, uartIn: undefined, replayInput: undefined, nonTrappingSensitive: undefined, historyBytes: 0, disk, deviceModels });
      return other.ok ? other.target : other.error;
    };
    return { ok: true, target: new VmTarget(vm, opts.technique, program.symbols, program.lineTable ?? [], fresh, recording) };
  } catch (e) {
    if (e instanceof LoadError || e instanceof VmOptionsError || e instanceof BoardOptionsError) return { ok: false, error: e.message };
    throw e;
  }
}
