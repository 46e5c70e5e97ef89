/**
 * The lessons' launch configurations. Each lesson folder in sample-guests/ has its own
 * `.vscode/launch.json`, written for the lesson opened on its own (`${workspaceFolder}/hello.S`).
 * Opened from the folder above (what `npm run vscode` does), VS Code does not read those files, so
 * the same configurations are offered with their paths one folder down: by the dynamic
 * configuration provider (Run and Debug → "Hyperstep…"), and in sample-guests/.vscode/launch.json,
 * which `npm run lessons` writes from them (a test checks it is current).
 *
 * Pure: no VS Code, so the unit tests and the script use it too.
 */
export type LaunchConfiguration = Record<string, unknown> & { type: string; request: string; name: string };

const WORKSPACE = "${workspaceFolder}";

/** A lesson's configurations as seen from the folder that holds the lesson folder `lesson`. */
export function fromParent(lesson: string, configurations: readonly LaunchConfiguration[]): LaunchConfiguration[] {
  return configurations.map((c) => {
    const moved: LaunchConfiguration = { ...c };
    for (const [key, value] of Object.entries(c)) {
      if (typeof value === "string" && value.startsWith(WORKSPACE)) moved[key] = `${WORKSPACE}/${lesson}${value.slice(WORKSPACE.length)}`;
    }
    return moved;
  });
}

/** The configurations of a launch.json's text; [] for a file that is not one (it is the user's to fix). */
export function configurationsIn(text: string): LaunchConfiguration[] {
  try {
    const json = JSON.parse(text) as { configurations?: unknown };
    return Array.isArray(json.configurations) ? json.configurations.filter((c): c is LaunchConfiguration => typeof c?.name === "string" && typeof c.request === "string" && c.type === "hyperstep") : [];
  } catch {
    return [];
  }
}

/** The launch.json of the folder above the lessons: every lesson's configurations, in lesson order. */
export function parentLaunchJson(lessons: readonly { folder: string; launchJson: string }[]): string {
  const configurations = [...lessons].sort((a, b) => lessonOrder(a.folder) - lessonOrder(b.folder) || a.folder.localeCompare(b.folder))
    .flatMap((l) => fromParent(l.folder, configurationsIn(l.launchJson)));
  return JSON.stringify({ version: "0.2.0", configurations }, null, 2) + "\n";
}

/** hello first: it is the first lesson, and the first configuration is what F5 starts. */
function lessonOrder(folder: string): number {
  return folder === "hello" ? 0 : 1;
}

/** For a guest file with no configuration: portable (relative to the workspace), with its technique. */
export function fileConfigurations(relativePath: string, techniques: readonly string[]): LaunchConfiguration[] {
  const name = relativePath.split("/").pop()!;
  return techniques.map((technique) => ({
    type: "hyperstep", request: "launch", name: `${name} (${technique})`, program: `${WORKSPACE}/${relativePath}`, stopOnEntry: true, technique,
  }));
}
