/**
 * Assembles an open guest for the editor: the assembler's errors as problems with 0-based ranges per
 * file (for the Problems panel, with a fix where the assembler has one), and the names it defined
 * (for hovers). Pure (no `vscode` import) so it is unit-tested; language.ts wraps the results.
 *
 * The assembler gives 1-based columns with an exclusive 1-based end. An error without an end column
 * is widened to the word it points at, so the squiggle is visible.
 *
 * This runs on every pause in typing, in a worker thread (assembler_client.ts): it stops at a time
 * limit, with a problem at the line it reached that says so, so that the Problems panel is never long
 * out of date.
 */
import { assemble, type AssembleOptions } from "../asm/assemble";
import type { AsmDiagnostic } from "../asm/diagnostics";
import type { SourceName } from "../asm/link";
import type { CppDefine } from "../asm/preprocess";

/** Long enough for any real guest (the 100,000-line benchmark takes about half of it), short enough for problems to feel live. */
export const EDITOR_TIME_LIMIT_MS = 1000;

export interface ProblemRange {
  line: number;
  start: number;
  end: number;
}

export interface AsmProblem {
  /** The file the error is in: the document itself or a file it includes. */
  file: string;
  range: ProblemRange;
  message: string;
  /** Text that fixes the problem in place of the range (a quick fix). */
  replacement?: string;
}

export interface EditorAssembly {
  problems: AsmProblem[];
  /** Labels and `.equ`s with their values: none when the file does not assemble. */
  names: SourceName[];
  defines: CppDefine[];
}

/** Assembles `text` (the open document, maybe unsaved) as `fileName`; included files come from `readFile`. */
export function assembleForEditor(
  fileName: string,
  text: string,
  readFile: (path: string) => string | undefined,
  opts: AssembleOptions = {},
): EditorAssembly {
  const read = (p: string) => (p === fileName ? text : readFile(p));
  const result = assemble(fileName, read, { timeLimitMs: EDITOR_TIME_LIMIT_MS, ...opts });
  const lines = new Map<string, string[]>();
  const lineOf = (file: string, line: number) => {
    if (!lines.has(file)) lines.set(file, (read(file) ?? "").split(/\r?\n/));
    return lines.get(file)![line - 1] ?? "";
  };
  const problems = result.errors.map((e): AsmProblem => ({
    file: e.file,
    range: problemRange(e, lineOf(e.file, e.line)),
    message: e.message,
    ...(e.suggestion !== undefined && { replacement: e.suggestion }),
  }));
  return { problems, names: result.names, defines: result.defines };
}

/** The 0-based range of an error on its line (whose text is `lineText`). */
export function problemRange(e: Pick<AsmDiagnostic, "line" | "column" | "endColumn">, lineText: string): ProblemRange {
  const line = Math.max(e.line - 1, 0);
  const start = Math.min(Math.max(e.column - 1, 0), lineText.length);
  if (e.endColumn !== undefined && e.endColumn - 1 > start) return { line, start, end: Math.min(e.endColumn - 1, Math.max(lineText.length, start + 1)) };
  const word = /^[^\s,()]+/.exec(lineText.slice(start)) ?? /^\S/.exec(lineText.slice(start));
  if (word) return { line, start, end: start + word[0].length };
  // Nothing to underline at the column (e.g. "expected an expression" at the end of a line): mark the
  // last character before it, or the column itself on an empty line.
  return start > 0 ? { line, start: start - 1, end: start } : { line, start, end: Math.min(1, lineText.length) };
}
