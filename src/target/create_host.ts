import { Host, type HostOptions } from "../hypervisor/host";
import { VmOptionsError } from "../hypervisor/vm";
import { LoadError } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { targetsProblem, vmOptions, type GuestProgram, type TargetOptions } from "./create_target";
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
}

export type CreateHostResult = { ok: true; target: HostTarget; lines: PrefixedLines[] } | { ok: false; error: string };

/**
 * Builds a host of several VMs (hypervisor/host.ts) and loads each guest, checked as createTarget
 * checks one, and wraps it in a HostTarget, through which the debugger and the CLI drive them all.
 * Each VM also gets a VmTarget, through which its registers, exits and statistics are read. No
 * history is kept: time travel takes one VM. `lines` are the VMs' UART line buffers, to end an
 * unfinished line when the run is over.
 */
export function createHost(guests: readonly HostGuest[], opts: HostTargetOptions = {}): CreateHostResult {
  const problem = targetsProblem(guests.map((g) => ({ ...g, opts: { ...g.opts, historyBytes: 0 } })));
  if (problem) return { ok: false, error: problem };
  const bare = guests.find((g) => g.opts.technique === "native");
  if (bare) return { ok: false, error: `VM ${JSON.stringify(bare.name)}: technique "native" has no VMM; several VMs share a host through one (trap-and-emulate, hardware-assisted, binary-translation or paravirtual)` };
  const out = opts.uartOut ?? { write: () => {} };
  const width = Math.max(...guests.map((g) => g.name.length));
  const lines = guests.map((g) => new PrefixedLines(`${g.name.padEnd(width)} | `, out));
  try {
    const host = new Host(guests.map((g, i) => ({
      name: g.name,
      options: vmOptions(g.program, g.opts, { uartOut: lines[i], uartIn: i === 0 ? opts.uartIn : undefined, disk: g.opts.disk }),
    })), opts);
    host.load(guests.map((g) => g.program));
    // Each VM's own history records nothing: the shared host RAM is not one VM's to snapshot.
    const targets = guests.map((g, i) => new VmTarget(host.vms[i], g.opts.technique, g.program.symbols, g.program.lineTable ?? [], undefined, { console: new RecordedConsole(undefined, undefined), budgetBytes: 0 }));
    return { ok: true, target: new HostTarget(host, targets), lines };
  } catch (e) {
    if (e instanceof LoadError || e instanceof VmOptionsError) return { ok: false, error: e.message };
    throw e;
  }
}
