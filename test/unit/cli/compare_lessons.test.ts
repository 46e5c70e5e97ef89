import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_COMPARE_LIMIT } from "../../../src/cli/commands";
import { compareTechniques, formatCompare } from "../../../src/cli/compare";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import type { GuestBoot } from "../../../src/target/target_options";
import { AVAILABLE_TECHNIQUES } from "../../../src/target/techniques";
import { INPUT } from "../hypervisor/equivalence";

const GUESTS = join(__dirname, "../../../sample-guests");

interface LaunchConfiguration {
  program: string;
  technique?: string;
  boot?: GuestBoot;
}

/** Every lesson (a folder with a README): each of its guests with the boot and techniques its launch.json names for it. */
const lessons = readdirSync(GUESTS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(GUESTS, d.name, "README.md")))
  .flatMap((d) => {
    const configs = (JSON.parse(readFileSync(join(GUESTS, d.name, ".vscode/launch.json"), "utf8")) as { configurations: LaunchConfiguration[] }).configurations;
    const guests = new Map<string, { name: string; program: string; boot: GuestBoot; techniques: string[] }>();
    for (const c of configs) {
      const program = c.program.replace("${workspaceFolder}", join(GUESTS, d.name));
      const boot = c.boot ?? "machine";
      const key = `${program} ${boot}`;
      if (!guests.has(key)) guests.set(key, { name: guests.size === 0 ? d.name : `${d.name}/${basename(program)}`, program, boot, techniques: [] });
      guests.get(key)!.techniques.push(c.technique ?? "native");
    }
    return [...guests.values()];
  });

describe("hyperstep compare on every lesson", () => {
  it("finds the lessons, the kernel that boots behind the SBI among them", () => {
    assert.equal(lessons.find((l) => l.name === "supervisor-boot")?.boot, "supervisor", lessons.map((l) => l.name).join(", "));
  });

  for (const lesson of lessons) {
    it(`${lesson.name} (--boot ${lesson.boot}): runs to its end under every technique that can run it, and says why the others cannot`, async () => {
      const program = await loadProgram(lesson.program);
      if (program instanceof ProgramError) assert.fail(program.message);
      const report = await compareTechniques(program.image, {
        memoryBytes: 1 << 24, maxInstructions: DEFAULT_COMPARE_LIMIT, boot: lesson.boot, input: new TextEncoder().encode(INPUT),
      }, { log: () => {}, now: () => performance.now(), breathe: async () => {} });
      if ("error" in report) assert.fail(report.error);
      const ran = report.results.map((r) => r.technique);
      for (const technique of lesson.techniques) assert.ok(ran.includes(technique as never), `${technique}, which the lesson's launch.json uses, ran`);
      for (const r of report.results) assert.equal(r.end.kind, "halt", `${r.technique} ended: ${JSON.stringify(r.end, (_, v) => (typeof v === "bigint" ? v.toString(16) : v))}`);
      assert.ok(report.results.every((r) => r.equivalence?.equal !== false), "the guest cannot tell the techniques apart");
      assert.deepEqual([...ran, ...report.unavailable.map((u) => u.technique)].sort(), [...AVAILABLE_TECHNIQUES].sort());
      const text = formatCompare(lesson.name, report);
      for (const u of report.unavailable) {
        assert.ok(u.why.length > 0);
        assert.match(text, new RegExp(`\\n${u.technique} +cannot run this guest \\(below\\)\\n`));
        assert.ok(text.replace(/\s+/g, " ").includes(`${u.technique} cannot run this guest: ${u.why}`));
      }
    });
  }
});
