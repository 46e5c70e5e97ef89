// `npm run lessons`: writes sample-guests/.vscode/launch.json from the lessons' own launch.json files,
// so that every lesson is one click away when sample-guests/ is the workspace (src/extension/lessons.ts).
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { parentLaunchJson } from "../src/extension/lessons";

export const GUESTS = path.resolve(__dirname, "../sample-guests");
export const PARENT_LAUNCH_JSON = path.join(GUESTS, ".vscode/launch.json");

/** The launch.json the lessons' own files make for sample-guests/. */
export function expectedParentLaunchJson(): string {
  const lessons = readdirSync(GUESTS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(GUESTS, d.name, ".vscode/launch.json")))
    .map((d) => ({ folder: d.name, launchJson: readFileSync(path.join(GUESTS, d.name, ".vscode/launch.json"), "utf8") }));
  return parentLaunchJson(lessons);
}

if (require.main === module) {
  mkdirSync(path.dirname(PARENT_LAUNCH_JSON), { recursive: true });
  writeFileSync(PARENT_LAUNCH_JSON, expectedParentLaunchJson());
  console.log(`lessons: wrote ${path.relative(process.cwd(), PARENT_LAUNCH_JSON)}`);
}
