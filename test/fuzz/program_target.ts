/**
 * Reading a program file, as `hyperstep run` (`loadProgram`) and the debugger's launch (`loadTarget`)
 * do: for the regression tests of paths that are not regular files or are too large, which must fail
 * at once with a message, never read forever.
 */
import { loadProgram, ProgramError } from "../../src/cli/program";
import { ConfigError, parseLaunchConfig } from "../../src/debug/launch_config";
import { loadTarget } from "../../src/debug/load_target";
import type { FuzzTarget, Verdict } from "./target";
import { badMessage } from "./verdicts";

export interface ProgramInput {
  path: string;
  via: "cli" | "launch";
}

export interface ProgramReport {
  ok: boolean;
  error?: string;
}

/** Not fuzzed (no cases): the interesting paths are few and named in the regression tests. */
export const programTarget: FuzzTarget<ProgramInput, ProgramReport> = {
  async run(input): Promise<Verdict<ProgramReport>> {
    const report = input.via === "cli" ? await viaCli(input.path) : await viaLaunch(input.path);
    const bad = report.error === undefined ? undefined : badMessage(report.error, "the error");
    return { report, problems: bad ? [bad] : [] };
  },
};

async function viaCli(path: string): Promise<ProgramReport> {
  const p = await loadProgram(path);
  return p instanceof ProgramError ? { ok: false, error: p.message } : { ok: true };
}

async function viaLaunch(path: string): Promise<ProgramReport> {
  try {
    await loadTarget(
      parseLaunchConfig({ program: path }),
      { out: { write: () => {} }, in: { read: () => -1 } },
    );
    return { ok: true };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, error: e.message };
    throw e;
  }
}
