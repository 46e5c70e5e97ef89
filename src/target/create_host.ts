import { Host, type HostOptions } from "../hypervisor/host";
import { VmOptionsError } from "../hypervisor/vm";
import { LoadError } from "../machine/board";
import { targetsProblem, vmOptions, type GuestProgram, type TargetOptions } from "./create_target";
import { RecordedConsole } from "./history/recorded_console";
import { HostTarget } from "./host_target";
import { VmTarget } from "./vm_target";

/** One VM of several: its name, its guest and how it runs (a VMM technique). */
export interface HostGuest {
  name: string;
  program: GuestProgram;
  opts: TargetOptions;
}

export type CreateHostResult = { ok: true; host: Host; targets: VmTarget[]; target: HostTarget } | { ok: false; error: string };

/**
 * Builds a host of several VMs (hypervisor/host.ts) and loads each guest, checked as createTarget
 * checks one. Each VM also gets a VmTarget, through which its registers, exits and statistics are
 * read, and the host a HostTarget, through which the debugger drives them all. No history is kept:
 * time travel takes one VM.
 */
export function createHost(guests: readonly HostGuest[], opts: HostOptions = {}): CreateHostResult {
  const problem = targetsProblem(guests);
  if (problem) return { ok: false, error: problem };
  const bare = guests.find((g) => g.opts.technique === "native");
  if (bare) return { ok: false, error: `VM ${JSON.stringify(bare.name)}: technique "native" has no VMM; several VMs share a host through one (trap-and-emulate, hardware-assisted, binary-translation or paravirtual)` };
  try {
    const host = new Host(guests.map((g) => ({ name: g.name, options: vmOptions(g.program, g.opts, g.opts) })), opts);
    host.load(guests.map((g) => g.program));
    // Each VM's own history records nothing: the shared host RAM is not one VM's to snapshot.
    const targets = guests.map((g, i) => new VmTarget(host.vms[i], g.opts.technique, g.program.symbols, g.program.lineTable ?? [], undefined, { console: new RecordedConsole(undefined, undefined), budgetBytes: 0 }));
    return { ok: true, host, targets, target: new HostTarget(host, targets) };
  } catch (e) {
    if (e instanceof LoadError || e instanceof VmOptionsError) return { ok: false, error: e.message };
    throw e;
  }
}
