import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, parseLaunchConfig } from "../debug/launch_config";
import { controlProblem, type ConfigRunCommand, type RunCommand } from "./args";
import { pickConfiguration, readLaunchFile } from "./launch_json";

/**
 * `hyperstep run --config launch.json --name NAME`: the run that configuration describes, checked
 * field by field by the debugger's own launch-configuration parser, so that the CLI and F5 can never
 * read one configuration two ways. Returns the run, or the message that says what is wrong.
 */
export function runFromConfig(command: ConfigRunCommand, read: (file: string) => string = (f) => readFileSync(f, "utf8")): RunCommand | { error: string } {
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
    // As the adapter resolves them, from the configuration's cwd; without one, from the workspace folder.
    const base = c.cwd === undefined ? launch.folder : resolve(launch.folder, c.cwd);
    const { kind: _, config: __, name: ___, ...control } = command;
    const run: RunCommand = {
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
    const problem = controlProblem(run, (field) => `the configuration's "${field}"`);
    return problem ? { error: `${named}: ${problem}` } : run;
  } catch (e) {
    return { error: (e as Error).message };
  }
}
