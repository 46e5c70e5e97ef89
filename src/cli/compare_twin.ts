import { basename, dirname, join, relative, resolve } from "node:path";
import { GUEST_BOOTS, type GuestBoot } from "../target/target_options";
import { AVAILABLE_TECHNIQUES } from "../target/techniques";
import type { CompareReport, TechniqueResult } from "./compare";
import { readLaunchFile, resolveVariables } from "./launch_json";

/**
 * A guest's twin for `hyperstep compare`: the same workload written for other techniques. A
 * paravirtual kernel runs under `paravirtual` only, so on its own it has no row to compare with;
 * its lesson names a twin (the same work as an ordinary kernel), whose runs under the other
 * techniques fill the table beside it.
 *
 * How the twin is found: `--twin FILE` (booted as `--boot` says), or else the launch configuration
 * of the program in the `.vscode/launch.json` beside it, whose `twin` attribute names another
 * configuration of that file (its `program` and `boot` are the twin's).
 */
export interface Twin {
  program: string;
  boot: GuestBoot;
  /** Where it was named: "--twin", or the launch configuration that names it. */
  from: string;
}

interface Configuration {
  name?: unknown;
  program?: unknown;
  boot?: unknown;
  twin?: unknown;
}

/**
 * The twin the lesson's launch.json names for `program`, undefined when none, or why the name leads
 * nowhere. `read` gives a file's text (undefined: no such file).
 */
export function twinFromLaunchJson(program: string, read: (path: string) => string | undefined): Twin | undefined | { error: string } {
  const folder = dirname(resolve(program));
  const file = join(folder, ".vscode", "launch.json");
  const text = read(file);
  if (text === undefined) return undefined;
  let configurations: Configuration[];
  try {
    configurations = readLaunchFile(file, text).configurations;
  } catch {
    return undefined; // not JSON (a half-typed edit): the editor shows that, not compare
  }
  const path = (p: unknown) => {
    try {
      return typeof p === "string" ? resolve(folder, resolveVariables(p, folder)) : undefined;
    } catch {
      return undefined; // ${file} and the like: no program compare could find
    }
  };
  const own = configurations.find((c) => path(c.program) === resolve(program) && c.twin !== undefined);
  if (!own) return undefined;
  const named = `${file}: '${String(own.name)}'`;
  if (typeof own.twin !== "string") return { error: `${named}: 'twin' must be the name of another configuration` };
  const twin = configurations.find((c) => c.name === own.twin);
  const twinProgram = path(twin?.program);
  if (!twin || twinProgram === undefined) return { error: `${named} names the twin '${own.twin}', which is not a configuration with a program there` };
  const boot = twin.boot ?? "machine";
  if (!GUEST_BOOTS.includes(boot as GuestBoot)) return { error: `${file}: '${own.twin}': 'boot' must be ${GUEST_BOOTS.join(" or ")}` };
  // Named as the program was (relative to the same place), for the table.
  return { program: join(dirname(program), relative(folder, twinProgram)), boot: boot as GuestBoot, from: `the configuration '${String(own.name)}' in ${file}` };
}

/**
 * The program's report with its twin's runs beside it: the twin fills in the techniques that cannot
 * run the program (for a PV kernel, all but `paravirtual`). The baseline is the twin's, so overheads
 * read as the cost of the same work; equivalence is the twin's runs against the twin's baseline only,
 * since the program is another kernel.
 */
export function withTwin(program: string, report: CompareReport, twinName: string, twin: CompareReport): CompareReport {
  const own = new Set(report.results.map((r) => r.technique));
  const twinRuns: TechniqueResult[] = twin.results.filter((r) => !own.has(r.technique)).map((r) => ({ ...r, guest: twinName }));
  const baseline = twinRuns[0];
  const against = (r: TechniqueResult) => (r === baseline ? null : baseline.modelledCycles > 0 ? r.modelledCycles / baseline.modelledCycles - 1 : 0);
  for (const r of twinRuns) r.overhead = against(r);
  const mine: TechniqueResult[] = report.results.map((r) => ({ ...r, guest: program, equivalence: undefined }));
  for (const r of mine) r.overhead = baseline ? against(r) : null;
  const ran = new Set([...own, ...twinRuns.map((r) => r.technique)]);
  const results = AVAILABLE_TECHNIQUES.flatMap((t) => [...twinRuns, ...mine].filter((r) => r.technique === t));
  // The baseline leads: the table and the overheads are read against it.
  if (baseline) results.unshift(...results.splice(results.indexOf(baseline), 1));
  const unavailable = [...twin.unavailable, ...report.unavailable].filter((u, i, all) => !ran.has(u.technique) && all.findIndex((x) => x.technique === u.technique) === i);
  const names = mine.map((r) => r.technique).join(", ");
  return {
    ...report,
    results,
    unavailable,
    twin: { program: twinName, boot: twin.boot },
    notes: [
      `${names} runs a different kernel: ${basename(program)} is paravirtualized, written for the VMM; the other rows run its twin ${basename(twinName)}, the same workload as an ordinary kernel. Their exits and modelled cycles compare the cost of the same work; 'equivalent' compares the twin's runs with each other only.`,
      ...report.notes, ...twin.notes,
    ],
  };
}
