/**
 * The import directions of DESIGN.md ("Layout") fail `npm run lint`: the project's ESLint config runs
 * on fixture files placed (virtually) inside each layer, and every forbidden arrow must be reported,
 * every allowed one not.
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { ESLint, type Linter } from "eslint";

const ROOT = resolve(__dirname, "../../..");
const eslint = new ESLint({ cwd: ROOT });

const LAYERS = ["extension", "webview", "debug", "cli", "target", "hypervisor", "machine", "asm", "isa"] as const;
type Layer = (typeof LAYERS)[number];

/** The arrows of DESIGN.md: the layers each one may import values from, and those it may import only types from. */
const MAY: Record<Layer, { values: readonly Layer[]; types?: readonly Layer[] }> = {
  extension: { values: LAYERS.filter((l) => l !== "extension") },
  webview: { values: ["isa"] },
  debug: { values: ["target", "asm", "isa"], types: ["hypervisor", "machine"] },
  cli: { values: ["target", "asm", "isa"], types: ["hypervisor", "machine"] },
  target: { values: ["hypervisor", "machine", "isa"], types: ["asm"] },
  hypervisor: { values: ["machine", "isa"] },
  machine: { values: ["isa"] },
  asm: { values: ["isa"] },
  isa: { values: [] },
};

/** A real module of each layer, so that the fixtures read like the imports they stand for. */
const MODULE: Record<Layer, string> = {
  extension: "extension/extension",
  webview: "webview/model/messages",
  debug: "debug/session",
  cli: "cli/run",
  target: "target/create_target",
  hypervisor: "hypervisor/vm",
  machine: "machine/board",
  asm: "asm/disasm",
  isa: "isa/csrs",
};

/** The layers that also run in a browser (DESIGN.md), and those that do I/O. */
const BROWSER: readonly Layer[] = ["isa", "asm", "machine", "hypervisor", "webview"];
const NODE: readonly Layer[] = ["debug", "cli", "extension"];

interface Case {
  line: string;
  forbidden: boolean;
}

/** Lints `cases`, one import per line, as the file `path` (relative to the root; it need not exist); returns the reports by line. */
async function lint(path: string, cases: readonly Case[]): Promise<Map<number, Linter.LintMessage>> {
  const [result] = await eslint.lintText(cases.map((c) => c.line).join("\n") + "\n", { filePath: join(ROOT, path) });
  return new Map(result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => [m.line, m]));
}

/** Checks that exactly the forbidden cases are reported. */
async function check(path: string, cases: readonly Case[]): Promise<void> {
  const reports = await lint(path, cases);
  const wrong = cases.flatMap((c, i) => (reports.has(i + 1) === c.forbidden ? [] : [`${c.forbidden ? "should be reported" : "should be allowed"}: ${c.line}`]));
  assert.deepEqual(wrong, [], `${path}: ${reports.size} of ${cases.length} imports reported`);
}

/** The relative specifier from a file in `dir` (relative to the root) to the module `mod` of src/. */
const from = (dir: string, mod: string) => relative(join(ROOT, dir), join(ROOT, "src", mod)).split("\\").join("/");

describe("ESLint enforces the import directions between the layers", () => {
  for (const layer of LAYERS) {
    // A file at the top of the layer and one two folders down: the rules must not depend on depth.
    for (const dir of [`src/${layer}`, `src/${layer}/sub/deeper`]) {
      it(`${dir}: values and types from the layers it may import, and nothing else`, async () => {
        const cases = LAYERS.filter((l) => l !== layer).flatMap((to) => {
          const spec = from(dir, MODULE[to]);
          const values = MAY[layer].values.includes(to);
          return [
            { line: `import { value } from "${spec}";`, forbidden: !values },
            { line: `import type { Shape } from "${spec}";`, forbidden: !values && !MAY[layer].types?.includes(to) },
          ];
        });
        await check(`${dir}/fixture.ts`, cases);
      });
    }
  }

  it("imports inside a layer's own subfolders are free", async () => {
    await check("src/hypervisor/mm/fixture.ts", [
      { line: `import { ExitLog } from "../exits";`, forbidden: false },
      { line: `import { walk } from "./guest_walk";`, forbidden: false },
      { line: `import { Bus } from "../../machine/bus";`, forbidden: false },
    ]);
    await check("src/machine/devices/clint/fixture.ts", [
      { line: `import { Ram } from "../../memory";`, forbidden: false },
      { line: `import { Vm } from "../../../hypervisor/vm";`, forbidden: true },
    ]);
  });

  it("only src/extension imports 'vscode'", async () => {
    for (const layer of LAYERS) await check(`src/${layer}/fixture.ts`, [{ line: `import * as vscode from "vscode";`, forbidden: layer !== "extension" }]);
  });

  it("the layers that run in a browser import no Node built-ins; debug, cli and extension may", async () => {
    for (const layer of [...BROWSER, ...NODE]) {
      const forbidden = BROWSER.includes(layer);
      await check(`src/${layer}/fixture.ts`, [
        { line: `import { readFileSync } from "node:fs";`, forbidden },
        { line: `import * as path from "path";`, forbidden },
        { line: `import { readFile } from "fs/promises";`, forbidden },
        { line: `import { test } from "node:test";`, forbidden },
      ]);
    }
  });

  it("debug and cli: a value in a mixed import, a re-export, and a type-only specifier", async () => {
    for (const layer of ["debug", "cli"]) {
      await check(`src/${layer}/fixture.ts`, [
        { line: `import { EXIT_REASONS, type VmExit } from "../hypervisor/exits";`, forbidden: true },
        { line: `import { type VmExit, type ExitReason } from "../hypervisor/exits";`, forbidden: false },
        { line: `export { Board } from "../machine/board";`, forbidden: true },
        { line: `export * from "../machine/board";`, forbidden: true },
        { line: `export type { Board } from "../machine/board";`, forbidden: false },
      ]);
    }
  });

  it("the panels import only the types of debug's custom request bodies", async () => {
    await check("src/webview/model/fixture.ts", [
      { line: `import type { ExitsBody } from "../../debug/custom_requests";`, forbidden: false },
      { line: `import { EXIT_REQUEST } from "../../debug/custom_requests";`, forbidden: true },
      { line: `import type { HyperstepSession } from "../../debug/session";`, forbidden: true },
      { line: `import { parseViewMessage } from "./messages";`, forbidden: false },
    ]);
  });

  it("each report says what to do instead", async () => {
    const message = async (path: string, line: string) => (await lint(path, [{ line, forbidden: true }])).get(1)?.message ?? "";
    assert.match(await message("src/debug/fixture.ts", `import { Vm } from "../hypervisor/vm";`), /debug drives guests through src\/target: import from there/);
    assert.match(await message("src/cli/fixture.ts", `import { Board } from "../machine/board";`), /the CLI drives guests through src\/target: import from there/);
    assert.match(await message("src/machine/fixture.ts", `import { Vm } from "../hypervisor/vm";`), /knows nothing of the hypervisor/);
    assert.match(await message("src/debug/fixture.ts", `import { activate } from "../extension/extension";`), /Move shared code down into src\/target/);
    assert.match(await message("src/hypervisor/fixture.ts", `import { readFileSync } from "node:fs";`), /runs in a browser: no Node built-ins/);
    assert.match(await message("src/debug/fixture.ts", `import * as vscode from "vscode";`), /only src\/extension imports 'vscode'/);
  });
});
