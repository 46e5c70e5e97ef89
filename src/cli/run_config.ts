import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, parseLaunchConfig, type LaunchConfig } from "../debug/launch_config";
import { controlProblem, type ConfigRunCommand, type RunCommand } from "./args";
import { pickConfiguration, readLaunchFile } from "./launch_json";

/**
 * `hyperstep run --config launch.json --name NAME`: the run that configuration describes, checked
 * field by field by the debugger's own launch-configuration parser, so that the CLI and F5 can never
 * read one configuration two ways. Returns the run (of several VMs, for a configuration with `vms`),
 * or the message that says what is wrong.
 */
export function runFromConfig(command: ConfigRunCommand, read: (file: string) => string = (f) => readFileSync(f, "utf8")): RunCommand | HostRunCommand | { error: string } {
  const file = resolve(command.config);
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    return { error: `cannot read --config ${command.config}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}` };
  }
  try {
    const launch = readLaunchFile(file, text);
    const raw = pickConfiguration(launch, file, command.name);
    const named = `${file}: ${JSON.stringify(String(raw.name))}`;
    let c;
    try {
      c = parseLaunchConfig(raw);
    } catch (e) {
      if (e instanceof ConfigError) return { error: `${named}: ${e.message}` };
      throw e;
    }
    const { kind: _, config: __, name: ___, ...control } = command;
    const runOf = (c: LaunchConfig): RunCommand => {
      // As the adapter resolves them, from the configuration's cwd; without one, from the workspace folder.
      const base = c.cwd === undefined ? launch.folder : resolve(launch.folder, c.cwd);
      return {
        kind: "run",
        program: resolve(base, c.program),
        memoryBytes: c.memoryBytes,
        technique: c.technique,
        boot: c.boot,
        cpu: c.cpu,
        nonTrappingSensitive: c.nonTrappingSensitive,
        diskSpec: c.disk && { ...c.disk, path: resolve(base, c.disk.path) },
        rngSeed: c.rngSeed,
        hosting: c.hosting,
        fpuSwitch: c.fpuSwitch,
        virtioConsole: c.virtioConsole,
        balloon: c.balloon,
        deviceModels: c.deviceModels,
        smp: c.smp,
        icountShift: c.icountShift,
        hostMemoryBytes: c.hostMemoryBytes,
        pageSharing: c.pageSharing,
        hostSwapBytes: c.hostSwapBytes,
        march: c.march,
        ...control,
        maxInstructions: command.maxInstructions ?? c.maxInstructions,
      };
    };
    if (c.vms) {
      if (control.gdb) return { error: `${named}: --gdb serves one guest; this configuration runs ${c.vms.length} VMs` };
      if (control.record !== undefined) return { error: `${named}: --record records one guest; this configuration runs ${c.vms.length} VMs` };
      if (control.traceTraps) return { error: `${named}: --trace-traps traces one guest's traps; with ${c.vms.length} VMs, --exits shows each VM's exits` };
      return {
        kind: "run-host",
        vms: c.vms.map((v) => ({ name: v.name, run: { ...runOf(v.config), hostMemoryBytes: undefined } })),
        hostMemoryBytes: c.hostMemoryBytes,
        vmSlice: c.vmSlice,
        maxInstructions: command.maxInstructions ?? c.maxInstructions,
        timeoutSeconds: control.timeoutSeconds,
        exits: control.exits,
      };
    }
    const run = runOf(c);
    const problem = controlProblem(run, (field) => `the configuration's "${field}"`);
    return problem ? { error: `${named}: ${problem}` } : run;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A configuration with `vms`, to run headless: each VM's own run, and the host's settings. */
export interface HostRunCommand {
  kind: "run-host";
  vms: { name: string; run: RunCommand }[];
  hostMemoryBytes: number | undefined;
  vmSlice: number | undefined;
  maxInstructions: number | undefined;
  timeoutSeconds: number | undefined;
  exits: boolean | undefined;
}
