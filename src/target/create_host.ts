import { Host, type HostOptions } from "../hypervisor/host";
import { VmOptionsError } from "../hypervisor/vm";
import { LoadError } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { targetsProblem, vmOptions, type GuestProgram, type TargetOptions } from "./create_target";
import { diskForHistory } from "./disk_image";
import { RecordedConsole } from "./history/recorded_console";
import { HostTarget } from "./host_target";
import { PrefixedLines } from "./prefixed_lines";
import { VmTarget } from "./vm_target";

/** One VM of several: its name, its guest and how it runs (a VMM technique; its UART is the host's). */
export interface HostGuest {
  name: string;
  program: GuestProgram;
  opts: Omit<TargetOptions, "uartOut" | "uartIn" | "historyBytes" | "replayInput">;
}

export interface HostTargetOptions extends HostOptions {
  /** Where every VM's UART lines go, each prefixed by its VM's name; the first VM reads `uartIn`. */
  uartOut?: ByteSink;
  uartIn?: ByteSource;
  /** How much the host's history may keep, in bytes (history/history.ts); 0 or absent records none. */
  historyBytes?: number;
}

export type CreateHostResult = { ok: true; target: HostTarget; lines: PrefixedLines[] } | { ok: false; error: string };

/**
 * Builds a host of several VMs (hypervisor/host.ts) and loads each guest, checked as createTarget
 * checks one, and wraps it in a HostTarget, through which the debugger and the CLI drive them all.
 * Each VM also gets a VmTarget, through which its registers, exits and statistics are read; they
 * share the host's one history, since the VMs share its RAM. `lines` are the VMs' UART line
 * buffers, to end an unfinished line when the run is over.
 */
export function createHost(guests: readonly HostGuest[], opts: HostTargetOptions = {}): CreateHostResult {
  const problem = targetsProblem(guests.map((g) => ({ ...g, opts: { ...g.opts, historyBytes: opts.historyBytes } })));
  if (problem) return { ok: false, error: problem };
  const bare = guests.find((g) => g.opts.technique === "native");
  if (bare) return { ok: false, error: `VM ${JSON.stringify(bare.name)}: technique "native" has no VMM; several VMs share a host through one (trap-and-emulate, hardware-assisted, binary-translation or paravirtual)` };
  const budget = opts.historyBytes ?? 0;
  const console = new RecordedConsole(opts.uartIn, opts.uartOut);
  const width = Math.max(...guests.map((g) => g.name.length));
  const lines = guests.map((g) => new PrefixedLines(`${g.name.padEnd(width)} | `, console.sink));
  // With a history, a disk image is written through a timeline the history can rewind (disk_image.ts).
  const disks = guests.map((g) => (g.opts.disk && budget > 0 ? diskForHistory(g.opts.disk) : { disk: g.opts.disk, host: [] }));
  try {
    const host = new Host(guests.map((g, i) => ({
      name: g.name,
      options: vmOptions(g.program, g.opts, { uartOut: lines[i], uartIn: i === 0 ? console.source : undefined, disk: disks[i].disk }),
    })), opts);
    host.load(guests.map((g) => g.program));
    const target = new HostTarget(host, { console, budgetBytes: budget, outside: disks.flatMap((d) => d.host) },
      (history) => guests.map((g, i) => new VmTarget(host.vms[i], g.opts.technique, g.program.symbols, g.program.lineTable ?? [], undefined, undefined, history)));
    return { ok: true, target, lines };
  } catch (e) {
    if (e instanceof LoadError || e instanceof VmOptionsError) return { ok: false, error: e.message };
    throw e;
  }
}
