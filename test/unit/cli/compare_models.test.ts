import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseArgs, UsageError } from "../../../src/cli/args";
import { compareJson, compareTechniques, formatCompare } from "../../../src/cli/compare";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { MemoryBackend } from "../../../src/machine/devices/virtio/block_backend";

const ROOT = join(__dirname, "../../..");
const GUEST = "sample-guests/io-models/io_models.S";

describe("hyperstep compare --device-model", () => {
  it("parses a list of models", () => {
    const c = parseArgs(["compare", "g.S", "--disk", "d.img", "--virtio-console", "--device-model", "emulated,split,emulated"]) as { deviceModels: string[]; virtioConsole: boolean; diskSpec: object };
    assert.deepEqual(c.deviceModels, ["emulated", "split"]);
    assert.equal(c.virtioConsole, true);
    assert.deepEqual(c.diskSpec, { path: "d.img", readOnly: false, snapshot: false });
    assert.deepEqual((parseArgs(["compare", "g.S", "--device-model", "split,passthrough"]) as { deviceModels: string[] }).deviceModels, ["split", "passthrough"]);
    assert.throws(() => parseArgs(["compare", "g.S", "--device-model", "split,direct"]), (e: unknown) => e instanceof UsageError && /must be one of/.test(e.message));
  });

  it("runs each VMM technique once per model on the same disk workload: one row each, and the exits the models differ in", async () => {
    const program = await loadProgram(join(ROOT, GUEST));
    if (program instanceof ProgramError) assert.fail(program.message);
    const disk = new MemoryBackend(new Uint8Array(8192));
    const report = await compareTechniques(program.image, {
      memoryBytes: 1 << 24, maxInstructions: 1_000_000, disk, virtioConsole: true, deviceModels: ["emulated", "split"],
    }, { log: () => {}, now: () => 0, breathe: async () => {} });
    if ("error" in report) assert.fail(report.error);
    const rows = report.results.map((r) => [r.technique, r.deviceModel, r.exits, r.modelledCycles, r.equivalence?.equal]);
    assert.deepEqual(rows, [
      ["native", undefined, 0, 36478, undefined],
      ["trap-and-emulate", "emulated", 173, 217778, true], ["trap-and-emulate", "split", 165, 209208, true],
      ["hardware-assisted", "emulated", 173, 217778, true], ["hardware-assisted", "split", 165, 209208, true],
      ["binary-translation", "emulated", 222, 260678, true], ["binary-translation", "split", 214, 252108, true],
    ]);
    assert.ok(disk.bytes.every((b) => b === 0), "every run wrote to its own snapshot");
    const text = formatCompare(GUEST, report);
    assert.match(text, /^trap-and-emulate \(split\) +exit code 0 +36478 +165 +209208 +\+473\.5%/m);
    assert.match(text, /^virtio-notify +0 +0 +3 \(1950 cycles\) +0 +3 \(1950 cycles\) +0 +3 \(1950 cycles\)$/m);
    const json = compareJson(GUEST, report) as { techniques: { technique: string; deviceModel?: string }[] };
    assert.deepEqual(json.techniques.map((t) => t.deviceModel ?? "-"), ["-", "emulated", "split", "emulated", "split", "emulated", "split"]);
  });
});
