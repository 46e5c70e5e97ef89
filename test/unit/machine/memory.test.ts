import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/**
 * The probe runs in a fresh process, so that nothing else this test runner allocated blurs the figure:
 * a 128 MiB board whose guest touches 1 MiB must cost about 1 MiB, not 128.
 */
const PROBE = path.join(ROOT, "test/fixtures/ram_probe.ts");

test("RAM is committed only as the guest touches it", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", PROBE], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const { ramBytes, grewBytes, check } = JSON.parse(r.stdout) as { ramBytes: number; grewBytes: number; check: number };
  assert.equal(ramBytes, 128 * 1024 * 1024);
  assert.equal(check, 0xa5, "the touched pages hold what was written");
  // 256 pages of 4 KiB spread over 64 MiB: about 1 MiB; allow generous slack for the runtime's own growth.
  assert.ok(grewBytes < 24 * 1024 * 1024, `resident memory grew by ${(grewBytes / 1024 / 1024).toFixed(1)} MiB for 1 MiB touched`);
});
