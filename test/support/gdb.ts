/**
 * Driving Debian's gdb-multiarch in batch mode against `hyperstep run --gdb tcp::0 --wait`: what a
 * user of GDB sees. Fails (never skips) when gdb-multiarch is not installed.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./guests";

export const CLI = ["--import", "tsx", path.join(ROOT, "src/cli/main.ts")];

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

/** Starts `hyperstep run PROGRAM --gdb tcp::0 --wait …` and resolves once it says which port it chose. */
export async function hyperstep(program: string, extra: string[] = []): Promise<{ port: number; child: ChildProcess; done: Promise<Finished> }> {
  const child = spawn(process.execPath, [...CLI, "run", program, "--gdb", "tcp::0", "--wait", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const done = finished(child);
  const port = await new Promise<number>((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (d: Buffer) => {
      seen += d.toString();
      const m = /GDB server on 127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    });
    void done.then((r) => reject(new Error(`hyperstep ended before listening: ${r.stderr}`)));
  });
  return { port, child, done };
}

/** gdb-multiarch -batch on `program`, attached to the stub at `port`, running `commands` in order. */
export function gdb(program: string, port: number, commands: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const args = ["-batch", "-nx", program, "-ex", `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ["-ex", c])];
  const child = spawn("gdb-multiarch", args, { stdio: ["ignore", "pipe", "pipe"] });
  child.on("error", (e) => assert.fail(`gdb-multiarch cannot run (apt-get install gdb-multiarch): ${e.message}`));
  return { child, done: finished(child) };
}
