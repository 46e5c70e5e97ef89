import { createHost } from "../target/create_host";
import type { TargetOptions } from "../target/create_target";
import { exitLine, exitSummary } from "./exits_report";
import { EXIT_NO_HALT } from "./exit_status";
import type { GuestProgram } from "./program";
import { AdaptiveSlice, describeEnd, haltEnd, speed, wakeFromIdle, type RunEnd, type RunIo } from "./run";

/** One VM of a `vms` launch configuration, ready to run: its name, its guest, how it runs. */
export interface HostRunGuest {
  name: string;
  program: GuestProgram;
  opts: Omit<TargetOptions, "uartOut" | "uartIn">;
}

export interface HostRunSettings {
  /** The host's RAM; default room for every VM's pools and RAM. */
  hostMemoryBytes?: number;
  /** Guest steps per VM time slice (host.ts); default VM_SLICE. */
  slice?: number;
  /** Instructions of all VMs together after which the run stops. */
  maxInstructions?: number;
  timeoutSeconds?: number;
  /** Print every exit as it happens, and each VM's statistics at the end. */
  exits?: boolean;
}

export interface HostRunResult {
  exitCode: number;
  /** Each VM's end (undefined: it had not ended when the run did), in the VMs' order. */
  ends: (RunEnd | undefined)[];
  /** The run's end when it stopped before every VM ended (limit, timeout, Ctrl-C, every VM idle). */
  end: RunEnd | undefined;
  instructions: bigint;
  worldSwitches: number;
  summary: string[];
}


/**
 * Runs several VMs on one host (`hyperstep run --config` of a configuration with `vms`) until each
 * has halted, or the run is stopped: every VM's UART lines prefixed by its name, the input to the
 * first VM, and a summary line per VM.
 */
export async function runHostPrograms(guests: readonly HostRunGuest[], settings: HostRunSettings, io: RunIo): Promise<HostRunResult> {
  const created = createHost(
    guests.map((g) => ({ name: g.name, program: g.program.image, opts: g.opts })),
    { memoryBytes: settings.hostMemoryBytes, slice: settings.slice, uartOut: io.out, uartIn: io.input },
  );
  if (!created.ok) {
    const [exitCode, how] = describeEnd({ kind: "load-error", message: created.error });
    return { exitCode, ends: guests.map(() => undefined), end: { kind: "load-error", message: created.error }, instructions: 0n, worldSwitches: 0, summary: [`hyperstep: ${how}`] };
  }
  const { target: { host, targets }, lines: sinks } = created;
  if (settings.exits) {
    targets.forEach((t, i) => t.vmm.setExitFilter((exit) => {
      // The lines finished so far come before the exit; an unfinished one waits for its end.
      io.flush();
      io.log(`${guests[i].name}: ${exitLine(exit)}`);
      return false;
    }));
  }
  const started = io.now();
  const deadline = settings.timeoutSeconds === undefined ? Infinity : started + settings.timeoutSeconds * 1000;
  const ends: (RunEnd | undefined)[] = guests.map(() => undefined);
  const retired = () => host.vms.reduce((n, vm) => n + vm.retired, 0);
  let end: RunEnd | undefined;
  const slices = new AdaptiveSlice(io.now);
  while (!end && ends.some((e) => e === undefined)) {
    const remaining = (settings.maxInstructions ?? Infinity) - retired();
    if (io.interrupted()) end = { kind: "interrupted" };
    else if (io.now() >= deadline) end = { kind: "timeout" };
    else if (remaining <= 0) end = { kind: "limit" };
    if (end) break;
    host.vms[0].pollInput();
    const { vm, stop } = slices.timed(remaining, (budget, yieldNow) => host.run(budget, yieldNow));
    io.flush();
    switch (stop.kind) {
      case "budget":
        break;
      case "halt":
        // Every VM has halted once the host says so; the one it names has just halted.
        host.vms.forEach((v, i) => {
          const h = v.halt;
          if (h && !ends[i]) ends[i] = haltEnd(h.code, h.how, v.powerOffReason);
        });
        break;
      case "trap-loop":
        // As for one VM alone, a guest that traps forever ends the run.
        ends[vm] = { kind: "trap-loop", pc: stop.pc };
        end = ends[vm];
        break;
      case "idle":
        // Every VM that has not halted waits for an interrupt: only the first VM's input can come.
        if (!(await wakeFromIdle(host.vms[0], io, deadline))) end = { kind: "idle" };
        break;
      default:
        end = { kind: "unexpected-stop", reason: stop };
    }
    if (!end) await io.breathe();
  }
  sinks.forEach((s) => s.flush());
  io.flush();
  const seconds = (io.now() - started) / 1000;
  const instructions = BigInt(retired());
  const summary = guests.map((g, i) => {
    const [, how] = describeEnd(ends[i] ?? end ?? { kind: "idle" });
    return `hyperstep: VM ${g.name}: ${how}; ${host.vms[i].retired} instructions, ${switches(host.vms[i].worldSwitchesOut)} away from it`;
  });
  if (settings.exits) {
    targets.forEach((t, i) => {
      summary.push(`hyperstep: VM ${guests[i].name}:`);
      summary.push(...exitSummary(t.vmm.stats(), seconds, "several VMs share the host: run one alone for its native comparison"));
    });
  }
  const sharing = host.vms.find((vm) => vm.sharing)?.sharing?.stats();
  if (sharing) {
    // Touched: every guest page with a host frame (its own or a shared one); pages never touched have none.
    const touched = host.vms.reduce((n, vm) => n + vm.p2m.backedPages, 0);
    const kib = (pages: number) => `${(pages * 4).toLocaleString("en-US")} KiB`;
    summary.push(`hyperstep: page sharing across the VMs: ${sharing.pagesShared} guest pages on ${sharing.sharedFrames} host frames, ${sharing.copies} copy-on-write breaks; ` +
      `${kib(sharing.bytesSaved / 4096)} saved of the ${kib(touched)} the VMs touched (${touched > 0 ? ((sharing.bytesSaved / 4096 / touched) * 100).toFixed(0) : 0}%)`);
  }
  const time = seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
  summary.push(`hyperstep: ${guests.length} VMs on one host hart, ${switches(host.worldSwitches)} (a time slice of ${host.slice} guest steps): ${instructions} instructions in ${time}${speed(instructions, seconds)}`);
  const codes = ends.map((e) => (e ? describeEnd(e)[0] : EXIT_NO_HALT));
  const exitCode = end ? describeEnd(end)[0] : codes.find((c) => c !== 0) ?? 0;
  return { exitCode, ends, end, instructions, worldSwitches: host.worldSwitches, summary };
}

const switches = (n: number) => `${n} world switch${n === 1 ? "" : "es"}`;

