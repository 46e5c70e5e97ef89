import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseArgs } from "../../../src/cli/args";
import { compareJson, compareTechniques, formatCompare } from "../../../src/cli/compare";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { hostTripCycles, needsHost, SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { ConfigError, parseLaunchConfig } from "../../../src/debug/launch_config";
import { hostingText } from "../../../src/target/hosting";
import { ROOT, loadGuest, runVm } from "./equivalence";

const HELLO = join(ROOT, "sample-guests/hello/hello.S");
const TRIP = 2 * SEED_COSTS.worldSwitch;

describe("hosting: a type 2 VMM pays a world switch to the host OS and back on device I/O", () => {
  it("needs the host for device emulation and console output, never for CPU or memory virtualization", () => {
    assert.ok(needsHost("mmio-read") && needsHost("mmio-write") && needsHost("guest-page-fault") && needsHost("hypercall-console"));
    assert.ok(!needsHost("csr-read") && !needsHost("hidden-page-fault") && !needsHost("bt-callout") && !needsHost("timer"));
    assert.equal(hostTripCycles(SEED_COSTS, 3), 3 * 15_110);
  });

  for (const technique of ["trap-and-emulate", "hardware-assisted", "binary-translation"] as const) {
    it(`charges each MMIO exit its round trip under ${technique}, and only them`, () => {
      const p = loadGuest(HELLO);
      const native = runVm(p, { technique });
      const hosted = runVm(p, { technique, hosting: "hosted" });
      assert.equal(hosted.uart, native.uart, "the guest sees nothing of the hosting");
      const a = native.target.stats();
      const b = hosted.target.stats();
      assert.equal(a.hosting, "native");
      assert.equal(b.hosting, "hosted");
      assert.equal(b.exits, a.exits);
      assert.equal(a.hostTrips, 129, "64 UART reads and 65 writes");
      assert.equal(b.hostTrips, 129);
      assert.equal(b.exitCycles - a.exitCycles, 129 * TRIP);
      assert.equal(hostingText(a), `native VMM (type 1): as a hosted one, its 129 device exits would cost ${129 * TRIP} cycles more (--hosting hosted)`);
      assert.equal(hostingText(b), `hosted VMM (type 2): 129 exits went to the host OS and back, ${129 * TRIP} of the cycles above`);
      const all = hosted.target.exits({ count: 10_000 }).exits;
      const thr = all.find((e) => e.reason === "mmio-write")!;
      assert.equal(thr.cycles, SEED_COSTS.deviceEmulation + TRIP);
      assert.match(hosted.target.narrate(thr.seq)!, /device +hosted VMM: a world switch to the host OS, which performs the I\/O, and one back \(2 × 7555 cycles\)\n.*resume/s);
      const other = all.find((e) => !needsHost(e.reason) && e.reason !== "bt-callout")!;
      assert.equal(other.cycles, native.target.exits({ count: 10_000 }).exits.find((e) => e.seq === other.seq)!.cycles);
    });
  }

  it("`compare --hosting` adds the hosted cycles beside the native ones", async () => {
    const program = await loadProgram(HELLO);
    if (program instanceof ProgramError) assert.fail(program.message);
    const report = await compareTechniques(program.image, { memoryBytes: 1 << 24, maxInstructions: 1_000_000, hosting: true }, { log: () => {}, now: () => 0, breathe: async () => {} });
    if ("error" in report) assert.fail(report.error);
    const tae = report.results.find((r) => r.technique === "trap-and-emulate")!;
    assert.deepEqual(tae.hosted, { cycles: tae.modelledCycles + 129 * TRIP, overhead: (tae.modelledCycles + 129 * TRIP) / 539 - 1 });
    assert.deepEqual(report.results[0].hosted, { cycles: 539, overhead: null });
    const text = formatCompare("hello.S", report);
    assert.match(text, /technique +end +instructions +exits +modelled cycles +overhead +hosted cycles +hosted overhead +wall time/);
    assert.match(text, new RegExp(`\\ntrap-and-emulate +exit code 0 +539 +135 +139449 +\\+25771\\.8% +${139449 + 129 * TRIP} `));
    assert.match(text, /trap-and-emulate 129, hardware-assisted 129, binary-translation 129/);
    const json = compareJson("hello.S", report) as { techniques: { technique: string; hostTrips?: number }[] };
    assert.equal(json.techniques.find((t) => t.technique === "trap-and-emulate")!.hostTrips, 129);
  });

  it("is an option of run and of the launch configuration, refused without a VMM", () => {
    assert.equal((parseArgs(["run", "g.S", "--technique", "trap-and-emulate", "--hosting", "hosted"]) as { hosting: string }).hosting, "hosted");
    assert.equal((parseArgs(["run", "g.S", "--technique", "trap-and-emulate"]) as { hosting: string }).hosting, "native");
    assert.throws(() => parseArgs(["run", "g.S", "--hosting", "hosted"]), /--hosting hosted needs a VMM --technique/);
    assert.throws(() => parseArgs(["run", "g.S", "--technique", "trap-and-emulate", "--hosting", "type2"]), /--hosting must be one of native, hosted, not 'type2'/);
    assert.equal(parseLaunchConfig({ program: "g.S", technique: "hardware-assisted", hosting: "hosted" }).hosting, "hosted");
    assert.throws(() => parseLaunchConfig({ program: "g.S", hosting: "hosted" }), (e: unknown) => e instanceof ConfigError && /'hosting' "hosted" needs a VMM technique/.test(e.message));
    assert.throws(() => parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", hosting: 2 }), /'hosting' must be a string/);
  });
});
