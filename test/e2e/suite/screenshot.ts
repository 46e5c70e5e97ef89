import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

const ANSWER_MS = 20_000;

/**
 * Asks test/e2e/run.mjs for a screenshot of the workbench as it is now, and waits until it is saved.
 * The runner names the folder it watches in HYPERSTEP_E2E_SHOTS. Returns the PNG's path, or undefined
 * under another runner (a desktop VS Code has no page to photograph). With `size`, the workbench is laid
 * out at that window size for the picture (then returns to the runner's default).
 */
export async function screenshot(name: string, size?: { width: number; height: number }): Promise<string | undefined> {
  const dir = process.env.HYPERSTEP_E2E_SHOTS;
  if (!dir) {
    console.log(`screenshot '${name}' not taken: not running under test/e2e/run.mjs`);
    return undefined;
  }
  const done = path.join(dir, `shot-${name}.done`);
  writeFileSync(path.join(dir, `shot-${name}.request`), size ? JSON.stringify(size) : "");
  const deadline = Date.now() + ANSWER_MS;
  while (!existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`the runner did not take screenshot '${name}' within ${ANSWER_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return readFileSync(done, "utf8");
}

/**
 * Asks test/e2e/run.mjs to click the first element matching `selector` anywhere in the workbench,
 * webviews included (their DOM is out of the extension host's reach). Fails with the runner's reason.
 */
export function click(name: string, selector: string): Promise<void> {
  return ask("click", name, selector);
}

/** As `click`, with the right button: the element's context menu opens. */
export function rightClick(name: string, selector: string): Promise<void> {
  return ask("rightclick", name, selector);
}

/** Asks test/e2e/run.mjs to type `text` into whatever has the focus ("\n" presses Enter). */
export function typeText(name: string, text: string): Promise<void> {
  return ask("type", name, text);
}

/** Asks test/e2e/run.mjs to turn the mouse wheel `times` times by `deltaY` pixels over the first element matching `selector`. */
export function wheel(name: string, selector: string, deltaY: number, times: number): Promise<void> {
  return ask("wheel", name, JSON.stringify({ selector, deltaY, times }));
}

async function ask(kind: "click" | "rightclick" | "type" | "wheel", name: string, payload: string): Promise<void> {
  const dir = process.env.HYPERSTEP_E2E_SHOTS;
  if (!dir) throw new Error(`${kind} '${name}': not running under test/e2e/run.mjs, which does it`);
  const done = path.join(dir, `${kind}-${name}.done`);
  const failed = path.join(dir, `${kind}-${name}.failed`);
  writeFileSync(path.join(dir, `${kind}-${name}.request`), payload);
  const deadline = Date.now() + ANSWER_MS;
  while (!existsSync(done)) {
    if (existsSync(failed)) throw new Error(`${kind} '${name}' failed: ${readFileSync(failed, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`the runner did not ${kind} '${name}' within ${ANSWER_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
