import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { configurationsIn, fileConfigurations, fromParent, parentLaunchJson } from "../../../src/extension/lessons";
import { checkTechnique } from "../../../src/target/techniques";
import { expectedParentLaunchJson, GUESTS, PARENT_LAUNCH_JSON } from "../../../scripts/lessons";

const lessons = readdirSync(GUESTS, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name);

test("every lesson has launch configurations that name its guest and a technique that runs it", () => {
  assert.ok(lessons.length >= 9, lessons.join(", "));
  for (const lesson of lessons) {
    const file = path.join(GUESTS, lesson, ".vscode/launch.json");
    assert.ok(existsSync(file), `${lesson} has no .vscode/launch.json`);
    const configs = configurationsIn(readFileSync(file, "utf8"));
    assert.ok(configs.length > 0, `${lesson}: no hyperstep configuration`);
    for (const c of configs) {
      const program = String(c.program).replace("${workspaceFolder}", path.join(GUESTS, lesson));
      assert.ok(existsSync(program), `${lesson}: '${c.name}' names ${c.program}, which does not exist`);
      assert.equal(checkTechnique(String(c.technique), { boot: c.boot as string | undefined, nonTrappingSensitive: c.nonTrappingSensitive as string[] | undefined }), undefined, `${lesson}: '${c.name}'`);
      assert.match(c.name, new RegExp(`^${lesson}(: [^()]+)? \\(${c.technique}\\)$`), "named for the lesson (and which of its guests) and its technique");
    }
  }
});

test("sample-guests/.vscode/launch.json offers every lesson from the folder above (npm run lessons writes it)", () => {
  assert.equal(readFileSync(PARENT_LAUNCH_JSON, "utf8"), expectedParentLaunchJson(), "out of date: run `npm run lessons`");
  const parent = configurationsIn(readFileSync(PARENT_LAUNCH_JSON, "utf8"));
  assert.equal(parent[0].name, "hello (native)", "F5 starts the first lesson");
  assert.deepEqual(new Set(parent.map((c) => String(c.program).split("/")[1])), new Set(lessons), "every lesson");
  for (const c of parent) assert.ok(existsSync(String(c.program).replace("${workspaceFolder}", GUESTS)), `${c.name}: ${c.program}`);
});

test("a lesson's paths move one folder down, and nothing else changes", () => {
  const c = { type: "hyperstep", request: "launch", name: "x (native)", program: "${workspaceFolder}/x.S", cwd: "${workspaceFolder}", stopOnEntry: true, args: ["${workspaceFolder}"] };
  assert.deepEqual(fromParent("x", [c]), [{ ...c, program: "${workspaceFolder}/x/x.S", cwd: "${workspaceFolder}/x" }]);
  assert.deepEqual(configurationsIn("{ not json"), []);
  assert.deepEqual(configurationsIn(JSON.stringify({ configurations: [{ type: "node", name: "other" }, c] })), [c], "only Hyperstep's");
  const both = parentLaunchJson([{ folder: "b", launchJson: JSON.stringify({ configurations: [{ ...c, name: "b" }] }) }, { folder: "hello", launchJson: JSON.stringify({ configurations: [{ ...c, name: "h" }] }) }]);
  assert.deepEqual(configurationsIn(both).map((x) => x.name), ["h", "b"], "hello first");
});

test("a guest file's generated configurations are portable and name their technique", () => {
  assert.deepEqual(fileConfigurations("labs/one.S", ["native", "trap-and-emulate"]), [
    { type: "hyperstep", request: "launch", name: "one.S (native)", program: "${workspaceFolder}/labs/one.S", stopOnEntry: true, technique: "native" },
    { type: "hyperstep", request: "launch", name: "one.S (trap-and-emulate)", program: "${workspaceFolder}/labs/one.S", stopOnEntry: true, technique: "trap-and-emulate" },
  ]);
});

test("the walkthrough's steps start lessons that exist and show files that ship", () => {
  const pkg = JSON.parse(readFileSync(path.join(GUESTS, "../package.json"), "utf8"));
  const names = new Set(configurationsIn(readFileSync(PARENT_LAUNCH_JSON, "utf8")).map((c) => c.name));
  const steps = pkg.contributes.walkthroughs[0].steps as { id: string; description: string; media: { markdown: string }; completionEvents: string[] }[];
  const started = steps.flatMap((s) => [...s.description.matchAll(/command:hyperstep\.startLesson\?([^)]+)\)/g)].map((m) => JSON.parse(decodeURIComponent(m[1]))[0] as string));
  assert.ok(started.length >= 8, started.join(", "));
  for (const name of started) assert.ok(names.has(name), `a step starts '${name}', which no configuration is`);
  const stepped = new Set(started.map((name) => name.split(/[ :]/)[0]));
  for (const lesson of lessons) assert.ok(stepped.has(lesson), `the walkthrough has no step for the lesson '${lesson}'`);
  for (const s of steps) {
    assert.ok(existsSync(path.join(GUESTS, "..", s.media.markdown)), `${s.id}: ${s.media.markdown}`);
    assert.ok(s.completionEvents.length > 0, `${s.id} can be completed`);
  }
  const commands = new Set((pkg.contributes.commands as { command: string }[]).map((c) => c.command));
  for (const s of steps) for (const m of s.description.matchAll(/command:([\w.]+)/g)) assert.ok(commands.has(m[1]), `${s.id} links ${m[1]}`);
});
