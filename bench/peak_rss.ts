/**
 * Peak resident memory of a whole process (its maximum RSS, as the kernel counts it), so that
 * Hyperstep and QEMU are compared the same way: each runs the guest alone in a process of its own.
 * GNU time's `%M` reads it from wait4's rusage, which Node's child_process does not expose.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TIME = "/usr/bin/time";

/** Peak RSS in bytes of `command args`, or undefined when GNU time is not installed or the command failed. */
export function peakRssBytes(command: string, args: string[]): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), "hyperstep-rss-"));
  try {
    const out = join(dir, "rss");
    const r = spawnSync(TIME, ["-f", "%M", "-o", out, command, ...args], { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
    if (r.error || r.status !== 0) return undefined;
    const kb = Number(readFileSync(out, "utf8").trim().split("\n").pop());
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
