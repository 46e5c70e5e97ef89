import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { AVAILABLE_TECHNIQUES, techniqueEntry } from "../../../src/target/techniques";

const pkg = JSON.parse(readFileSync(path.join(__dirname, "../../../package.json"), "utf8"));

test("launch.json IntelliSense offers exactly the techniques that run, described as the technique list describes them", () => {
  const technique = pkg.contributes.debuggers[0].configurationAttributes.launch.properties.technique;
  assert.deepEqual(technique.enum, AVAILABLE_TECHNIQUES, "src/target/techniques.ts is the one list");
  assert.deepEqual(technique.enumDescriptions, AVAILABLE_TECHNIQUES.map((t) => techniqueEntry(t).description));
  assert.equal(technique.default, AVAILABLE_TECHNIQUES[0]);
});
