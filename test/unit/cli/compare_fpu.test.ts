import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseArgs, UsageError } from "../../../src/cli/args";
import { DEFAULT_COMPARE_LIMIT } from "../../../src/cli/commands";
import { compareJson, compareTechniques, formatCompare } from "../../../src/cli/compare";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import type { FpuSwitchPolicy } from "../../../src/target/target_options";

const LESSON = join(__dirname, "../../../sample-guests/lazy-fpu/lazy_fpu.S");

async function compareLesson(fpuSwitch?: FpuSwitchPolicy) {
  const program = await loadProgram(LESSON);
  if (program instanceof ProgramError) assert.fail(program.message);
  const report = await compareTechniques(program.image, { memoryBytes: 1 << 24, maxInstructions: DEFAULT_COMPARE_LIMIT, fpuSwitch },
    { log: () => {}, now: () => performance.now(), breathe: async () => {} });
  if ("error" in report) assert.fail(report.error);
  return report;
}

/** Each VMM technique's figures: exits, fpu-traps, modelled cycles and what FP switching cost. */
function figures(report: Awaited<ReturnType<typeof compareLesson>>) {
  return Object.fromEntries(report.results.slice(1).map((r) => [r.technique, {
    exits: r.exits, fpuTraps: r.byReason.find((e) => e.reason === "fpu-trap")?.count ?? 0, cycles: r.modelledCycles, fpu: r.fpu!.cycles, equal: r.equivalence!.equal,
  }]));
}

describe("hyperstep compare --fpu-switch on the lazy-fpu lesson", () => {
  it("parses --fpu-switch for compare and run, lazy by default, and rejects what is not a policy or has no VMM", () => {
    assert.equal((parseArgs(["compare", "g.S"]) as { fpuSwitch: string }).fpuSwitch, "lazy");
    assert.equal((parseArgs(["compare", "g.S", "--fpu-switch", "eager"]) as { fpuSwitch: string }).fpuSwitch, "eager");
    assert.equal((parseArgs(["run", "g.S", "--technique", "hardware-assisted", "--fpu-switch=eager"]) as { fpuSwitch: string }).fpuSwitch, "eager");
    assert.throws(() => parseArgs(["compare", "g.S", "--fpu-switch", "never"]), (e: unknown) => e instanceof UsageError && /--fpu-switch must be one of lazy, eager, not 'never'/.test(e.message));
    assert.throws(() => parseArgs(["run", "g.S", "--fpu-switch", "lazy"]), (e: unknown) => e instanceof UsageError && /--fpu-switch .* needs a VMM --technique/.test(e.message));
  });

  it("lazy against eager: the same guest-visible run, 10 fpu-traps against 18 saves and restores, and what each costs", async () => {
    const lazy = await compareLesson();
    const eager = await compareLesson("eager");
    // 18 world switches (every satp write); lazy: 10 fpu-traps at 650 + 33; eager: 18 × (33 + 33).
    assert.deepEqual(figures(lazy), {
      "trap-and-emulate": { exits: 830, fpuTraps: 10, cycles: 867630, fpu: 6830, equal: true },
      "hardware-assisted": { exits: 826, fpuTraps: 10, cycles: 861630, fpu: 6830, equal: true },
      "binary-translation": { exits: 639, fpuTraps: 10, cycles: 723480, fpu: 6830, equal: true },
    });
    assert.deepEqual(figures(eager), {
      "trap-and-emulate": { exits: 820, fpuTraps: 0, cycles: 861988, fpu: 1188, equal: true },
      "hardware-assisted": { exits: 816, fpuTraps: 0, cycles: 855988, fpu: 1188, equal: true },
      "binary-translation": { exits: 629, fpuTraps: 0, cycles: 717838, fpu: 1188, equal: true },
    });
    for (const r of eager.results.slice(1)) {
      const l = lazy.results.find((x) => x.technique === r.technique)!;
      assert.equal(l.modelledCycles - r.modelledCycles, 6830 - 1188, `${r.technique}: the policies differ by their FP switching alone`);
      assert.equal(l.modelledCycles - l.fpu!.cycles + l.fpu!.eagerCycles, r.modelledCycles, `${r.technique}: so the lazy run prices the eager one exactly`);
    }
    assert.equal(lazy.results[0].fpu, undefined, "native has no VMM");
    const text = formatCompare("lazy_fpu.S", lazy);
    assert.match(text, /FPU switching \(lazy\)/);
    assert.match(text, /\ntrap-and-emulate +exit code 0 .* 18 world switches, 10 fpu-traps: 6830 cycles \(eager: 1188\) /, "a lazy run prices eager too");
    assert.match(text, /\nfpu-trap +0 +10 \(6830 cycles\) +10 \(6830 cycles\) +10 \(6830 cycles\)\n/);
    assert.match(formatCompare("lazy_fpu.S", eager), /\nhardware-assisted +exit code 0 .* 18 world switches, 18 saves \+ 18 restores: 1188 cycles /);
    const json = compareJson("lazy_fpu.S", eager) as { fpuSwitch: string; techniques: { technique: string; fpuSwitching: unknown }[] };
    assert.equal(json.fpuSwitch, "eager");
    assert.deepEqual(json.techniques.find((t) => t.technique === "trap-and-emulate")!.fpuSwitching, { policy: "eager", worldSwitches: 18, saves: 18, restores: 18, traps: 0, cycles: 1188, eagerCycles: 1188 });
    assert.equal(json.techniques.find((t) => t.technique === "native")!.fpuSwitching, null);
  });

  it("the FPU switching column appears once FP switching cost something: eagerly at world switches, lazily at fpu-traps", async () => {
    const program = await loadProgram(join(__dirname, "../../../sample-guests/shadow-paging/shadow_paging.S"));
    if (program instanceof ProgramError) assert.fail(program.message);
    const run = async (fpuSwitch: FpuSwitchPolicy) => {
      const report = await compareTechniques(program.image, { memoryBytes: 1 << 24, maxInstructions: DEFAULT_COMPARE_LIMIT, fpuSwitch },
        { log: () => {}, now: () => performance.now(), breathe: async () => {} });
      if ("error" in report) assert.fail(report.error);
      return formatCompare("shadow_paging.S", report);
    };
    assert.doesNotMatch(await run("lazy"), /FPU switching/, "world switches, but no FP instruction after them");
    assert.match(await run("eager"), /\ntrap-and-emulate +exit code 0 .* 3 world switches, 3 saves \+ 3 restores: 198 cycles /);
  });
});
