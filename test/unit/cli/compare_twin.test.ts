import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { twinFromLaunchJson } from "../../../src/cli/compare_twin";

const ROOT = join(__dirname, "../../..");
const LESSON = join(ROOT, "sample-guests/paravirtual");
const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

describe("hyperstep compare: a paravirtual kernel beside its twin", () => {
  it("finds the twin through the lesson's launch.json: the configuration its 'twin' names, with that configuration's boot", () => {
    assert.deepEqual(twinFromLaunchJson(join(LESSON, "pv_kernel.S"), read), {
      program: join(LESSON, "twin_kernel.S"), boot: "supervisor",
      from: `the configuration 'paravirtual (paravirtual)' in ${join(LESSON, ".vscode/launch.json")}`,
    });
    assert.equal(twinFromLaunchJson(join(LESSON, "pv_echo.S"), read), undefined, "a configuration without 'twin'");
    assert.equal(twinFromLaunchJson(join(ROOT, "sample-guests/hello/hello.S"), read), undefined);
    const launch = (configurations: object[]) => () => JSON.stringify({ configurations });
    const a = { name: "a (paravirtual)", program: "${workspaceFolder}/a.S" };
    assert.deepEqual(twinFromLaunchJson("/x/a.S", launch([{ ...a, twin: "b" }])), { error: "/x/.vscode/launch.json: 'a (paravirtual)' names the twin 'b', which is not a configuration with a program there" });
    assert.deepEqual(twinFromLaunchJson("/x/a.S", launch([{ ...a, twin: 3 }])), { error: "/x/.vscode/launch.json: 'a (paravirtual)': 'twin' must be the name of another configuration" });
    assert.deepEqual(twinFromLaunchJson("/x/a.S", launch([{ ...a, twin: "b" }, { name: "b", program: "b.S" }])), { program: "/x/b.S", boot: "machine", from: "the configuration 'a (paravirtual)' in /x/.vscode/launch.json" });
    assert.equal(twinFromLaunchJson("/x/a.S", () => "{ // a comment"), undefined, "not JSON: no twin");
  });

  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { encoding: "utf8", timeout: 120_000 });

  it("shows the PV kernel's run beside its twin's under the other techniques, in one table, exits and modelled cycles, saying they are different kernels", () => {
    const r = run(["compare", join(LESSON, "pv_kernel.S"), "--json", "--memory", "16M"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /the twin .*twin_kernel\.S \(named by the configuration 'paravirtual \(paravirtual\)'/);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.twin, { program: join(LESSON, "twin_kernel.S"), boot: "supervisor" });
    const rows = Object.fromEntries(json.techniques.map((t: { technique: string }) => [t.technique, t]));
    assert.deepEqual(json.techniques.map((t: { technique: string; guest: string }) => [t.technique, t.guest.split("/").pop()]), [
      ["trap-and-emulate", "twin_kernel.S"], ["hardware-assisted", "twin_kernel.S"], ["binary-translation", "twin_kernel.S"], ["paravirtual", "pv_kernel.S"],
    ], "the twin's baseline first");
    assert.deepEqual(json.unavailable.map((u: { technique: string }) => u.technique), ["native"], "the S-mode twin has no native run");
    // The lesson's figures (sample-guests/paravirtual/README.md), each run's own.
    assert.deepEqual(["paravirtual", "trap-and-emulate", "hardware-assisted"].map((t) => [rows[t].exits, rows[t].exitCycles]), [[35, 23_750], [62, 65_760], [16, 10_900]]);
    for (const t of Object.values(rows) as { instructions: number; exitCycles: number; modelledCycles: number }[]) assert.equal(t.modelledCycles, t.instructions + t.exitCycles);
    assert.ok(rows.paravirtual.modelledCycles < rows["trap-and-emulate"].modelledCycles, "PV with batching costs less than shadow paging");
    assert.equal(rows.paravirtual.equivalence, null, "another kernel: no equivalence to claim");
    assert.equal(rows["hardware-assisted"].equivalence.equal, true, "the twin's runs are equivalent to each other");
    assert.ok(Math.abs(rows.paravirtual.overhead - (rows.paravirtual.modelledCycles / rows["trap-and-emulate"].modelledCycles - 1)) < 1e-9, "against the twin's baseline");
    assert.match(json.notes[0], /^paravirtual runs a different kernel: pv_kernel\.S is paravirtualized/);

    const text = run(["compare", join(LESSON, "pv_kernel.S"), "--memory", "16M"]).stdout;
    assert.match(text, /\ntechnique +guest +end +instructions +exits +modelled cycles/);
    assert.match(text, /\nnative +cannot run this guest \(below\)\n/);
    assert.match(text, /\ntrap-and-emulate +twin_kernel\.S +exit code 0 +\d+ +62 +\d+ +baseline/);
    assert.match(text, /\nparavirtual +pv_kernel\.S +exit code 0 +\d+ +35 +\d+ +-\d+\.\d% .* other kernel\n/);
    assert.match(text.replace(/\s+/g, " "), /paravirtual runs a different kernel: pv_kernel\.S is paravirtualized, written for the VMM; the other rows run its twin twin_kernel\.S, the same workload as an ordinary kernel/);
  });

  it("takes the twin from --twin too, booted as --boot says", () => {
    const r = run(["compare", join(LESSON, "pv_echo.S"), "--twin", join(LESSON, "twin_kernel.S"), "--boot", "supervisor", "--json", "--memory", "16M"]);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.twin.boot, "supervisor");
    assert.deepEqual(json.techniques.map((t: { technique: string }) => t.technique), ["trap-and-emulate", "hardware-assisted", "binary-translation", "paravirtual"]);
    assert.equal(run(["compare", join(LESSON, "pv_kernel.S"), "--twin", join(LESSON, "nothing.S")]).status, 1, "a twin that cannot be read is a load error");
  });
});
