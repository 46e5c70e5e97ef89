// The entry VS Code loads as `extensionTestsPath`: runs every compiled *.test.js beside it with mocha.
// The extension host forwards console output to test/e2e/run.mjs, which reads the result line.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

const RESULT_MARK = "[hyperstep-e2e] ";

export function run(): Promise<void> {
  // HYPERSTEP_E2E_GREP runs only the tests whose full title matches it, while working on one.
  const grep = process.env.HYPERSTEP_E2E_GREP;
  const mocha = new Mocha({ ui: "bdd", timeout: 30_000, color: false, ...(grep ? { grep } : {}) });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith(".test.js")).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      console.log(RESULT_MARK + JSON.stringify({ passed: runner.stats?.passes ?? 0, failed: failures }));
      if (failures > 0) reject(new Error(`${failures} e2e test(s) failed`));
      else resolve();
    });
  });
}
