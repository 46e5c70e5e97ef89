import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "../support/guests";

/** The built `hyperstep` (a launcher that runs dist/hyperstep-cli.js through V8's code cache). */
const CLI = path.join(ROOT, "dist/hyperstep.js");
const HELLO = path.join(ROOT, "sample-guests/hello/hello.S");

function hyperstep(cache: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, XDG_CACHE_HOME: cache, ...env } });
}

const caches = (dir: string) => readdirSync(path.join(dir, "hyperstep")).filter((f) => f.endsWith(".v8"));

test("the hyperstep launcher keeps V8's code cache, takes it back, and survives a damaged one", () => {
  const cache = mkdtempSync(path.join(tmpdir(), "hyperstep-cache-"));
  try {
    const first = hyperstep(cache, ["run", HELLO]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Hello from a RISC-V guest!/);
    const [file] = caches(cache);
    assert.match(file, /^cli-[0-9a-f]{16}\.v8$/, "the first run writes the cache");
    const written = readFileSync(path.join(cache, "hyperstep", file));
    assert.ok(written.length > 10_000, "it holds compiled code");

    const second = hyperstep(cache, ["run", HELLO]);
    assert.equal(second.stdout, first.stdout, "the same output through the cache");
    assert.deepEqual(readFileSync(path.join(cache, "hyperstep", file)), written, "an accepted cache is not rewritten");

    writeFileSync(path.join(cache, "hyperstep", file), "not a code cache");
    writeFileSync(path.join(cache, "hyperstep", "cli-0000000000000000.v8"), "an older build's cache");
    const damaged = hyperstep(cache, ["run", HELLO]);
    assert.equal(damaged.stdout, first.stdout, "a damaged cache is rejected, not trusted");
    assert.deepEqual(caches(cache), [file], "rewritten, and the older build's cache is gone");
    assert.ok(readFileSync(path.join(cache, "hyperstep", file)).length > 10_000);

    const failing = hyperstep(cache, ["run", path.join(cache, "missing.S")]);
    assert.equal(failing.status, hyperstep(cache, ["run", path.join(cache, "missing.S")], { HYPERSTEP_CODE_CACHE: "0" }).status, "the exit status passes through");
    assert.notEqual(failing.status, 0);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("HYPERSTEP_CODE_CACHE=0 runs without a cache, and an unwritable cache folder only costs time", () => {
  const cache = mkdtempSync(path.join(tmpdir(), "hyperstep-cache-"));
  try {
    const off = hyperstep(cache, ["run", HELLO], { HYPERSTEP_CODE_CACHE: "0" });
    assert.equal(off.status, 0, off.stderr);
    assert.deepEqual(readdirSync(cache), [], "nothing written");
    writeFileSync(path.join(cache, "hyperstep"), "a file where the folder should be");
    const blocked = hyperstep(cache, ["run", HELLO]);
    assert.equal(blocked.status, 0, blocked.stderr);
    assert.equal(blocked.stdout, off.stdout);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
