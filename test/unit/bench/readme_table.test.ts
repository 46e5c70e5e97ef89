import assert from "node:assert/strict";
import { test } from "node:test";
import { BEGIN, END, replaceMarkedBlock } from "../../../bench/readme_table";

test("the benchmark table replaces what lies between the markers and keeps the rest", () => {
  const readme = `# Title\n\n${BEGIN}\n| old | table |\n${END}\n\nAfter.\n`;
  const out = replaceMarkedBlock(readme, "| new | table |\n|---|---|\n");
  assert.equal(out, `# Title\n\n${BEGIN}\n| new | table |\n|---|---|\n${END}\n\nAfter.\n`);
  assert.equal(replaceMarkedBlock(out, "| new | table |\n|---|---|"), out, "regenerating the same figures changes nothing");
});

test("a README without both markers, once each and in order, is refused", () => {
  assert.throws(() => replaceMarkedBlock("no markers", "x"), /needs one/);
  assert.throws(() => replaceMarkedBlock(`${END}\n${BEGIN}`, "x"), /needs one/);
  assert.throws(() => replaceMarkedBlock(`${BEGIN}\n${END}\n${BEGIN}\n${END}`, "x"), /needs one/);
});
