import { homedir } from "node:os";
import { basename, dirname, sep } from "node:path";

/**
 * Reading a VS Code `launch.json` outside VS Code: `hyperstep run --config` runs one of its
 * configurations headless, and `compare` finds a lesson's twin in it.
 *
 * The file is JSON with comments and trailing commas (VS Code's JSONC). Its `${…}` variables are
 * resolved as VS Code resolves them where the CLI can know the answer; those that name the editor's
 * state (`${file}`, `${selectedText}`, `${input:…}`, …) are errors that say so, never a wrong path.
 */

/** A configuration object of the file, with its variables resolved. */
export type Configuration = Record<string, unknown>;

export interface LaunchFile {
  /** The folder `${workspaceFolder}` names: the one holding `.vscode/`, or else the file's own. */
  folder: string;
  configurations: Configuration[];
}

/** JSON with `//` and block comments and trailing commas, parsed; throws SyntaxError with a line. */
export function parseJsonc(text: string): unknown {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      // Newlines stay, so that JSON.parse's positions still name the right line.
      out += text.slice(i, end < 0 ? text.length : end + 2).replace(/[^\n]/g, " ");
      i = end < 0 ? text.length : end + 2;
    } else if (c === ",") {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      out += text[j] === "}" || text[j] === "]" ? " " : ",";
      i++;
    } else {
      out += c;
      i++;
    }
  }
  try {
    return JSON.parse(out);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    const line = at ? out.slice(0, Number(at[1])).split("\n").length : undefined;
    throw new SyntaxError(`${line ? `line ${line}: ` : ""}${(e as Error).message.replace(/ in JSON at position \d+.*$/, "")}`);
  }
}

/** Variables that need an editor, a prompt or a command: the CLI has none to ask. */
const EDITOR_ONLY = /^(file|fileBasename|fileBasenameNoExtension|fileDirname|fileDirnameBasename|fileExtname|fileWorkspaceFolder|relativeFile|relativeFileDirname|lineNumber|selectedText|execPath|defaultBuildTask|command:.*|input:.*|config:.*)$/;

/** `text` with its `${…}` variables resolved, or the error that names the one it cannot resolve. */
export function resolveVariables(text: string, folder: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name === "workspaceFolder" || name === "workspaceRoot") return folder;
    if (name === "workspaceFolderBasename") return basename(folder);
    if (name === "userHome") return homedir();
    if (name === "pathSeparator" || name === "/") return sep;
    if (name === "cwd") return process.cwd();
    if (name.startsWith("env:")) return env[name.slice(4)] ?? "";
    if (EDITOR_ONLY.test(name)) throw new Error(`${whole} names what is open in VS Code, which a headless run does not have: write the path itself`);
    throw new Error(`${whole} is not a variable VS Code knows`);
  });
}

/** Every string inside `value`, resolved. */
function resolveAll(value: unknown, folder: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === "string") return resolveVariables(value, folder, env);
  if (Array.isArray(value)) return value.map((v) => resolveAll(v, folder, env));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveAll(v, folder, env)]));
  return value;
}

/** The folder `${workspaceFolder}` names for a launch file at `file`. */
export function workspaceFolderOf(file: string): string {
  const dir = dirname(file);
  return basename(dir) === ".vscode" ? dirname(dir) : dir;
}

/** The configurations of the launch file `file` (absolute) with text `text`; throws Error saying what is wrong. */
export function readLaunchFile(file: string, text: string): LaunchFile {
  let json: unknown;
  try {
    json = parseJsonc(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const list = (json as { configurations?: unknown } | null)?.configurations;
  if (!Array.isArray(list)) throw new Error(`${file} has no "configurations" array`);
  // Variables stay as written: one that cannot be resolved matters only in the configuration that runs.
  const configurations = list.filter((c): c is Configuration => typeof c === "object" && c !== null && !Array.isArray(c));
  return { folder: workspaceFolderOf(file), configurations };
}

/**
 * The Hyperstep launch configuration named `name` in the file (the only one, when no name is given),
 * with its variables resolved; throws Error listing the names there are.
 */
export function pickConfiguration(launch: LaunchFile, file: string, name: string | undefined, env: NodeJS.ProcessEnv = process.env): Configuration {
  const ours = launch.configurations.filter((c) => c.type === "hyperstep" && c.request === "launch");
  const names = ours.map((c) => `  ${JSON.stringify(String(c.name))}`).join("\n");
  if (ours.length === 0) throw new Error(`${file} has no Hyperstep launch configuration ("type": "hyperstep", "request": "launch")`);
  let chosen: Configuration | undefined;
  if (name === undefined) {
    if (ours.length > 1) throw new Error(`${file} has ${ours.length} Hyperstep configurations: choose one with --name:\n${names}`);
    chosen = ours[0];
  } else {
    chosen = ours.find((c) => c.name === name);
    if (!chosen) throw new Error(`${file} has no Hyperstep configuration named ${JSON.stringify(name)}; it has:\n${names}`);
  }
  try {
    return resolveAll(chosen, launch.folder, env) as Configuration;
  } catch (e) {
    throw new Error(`${file}: ${JSON.stringify(String(chosen.name))}: ${(e as Error).message}`);
  }
}
