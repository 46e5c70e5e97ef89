/**
 * Turns the assembler's errors into editor problems: 0-based ranges per file, for the Problems panel.
 * Pure (no `vscode` import) so it is unit-tested; extension.ts wraps the result in vscode.Diagnostic.
 *
 * The assembler gives 1-based columns with an exclusive 1-based end. An error without an end column
 * is widened to the word it points at, so the squiggle is visible.
 *
 * This runs in the extension host on every pause in typing, where a long assembly would freeze the
 * editor: it stops at a time limit, with a problem at the line it reached that says so. A newer
 * keystroke's check can only start once this one has returned, so the limit also bounds how long an
 * older check delays a newer one.
 */
import { assemble, type AssembleOptions } from "../asm/assemble";
import type { AsmDiagnostic } from "../asm/diagnostics";

/** Long enough for any real guest (the 100,000-line benchmark takes about half of it), short enough not to be felt. */
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
}

/** Assembles `text` (the open document, maybe unsaved) as `fileName`; included files come from `readFile`. */
export function assembleForProblems(
  fileName: string,
  text: string,
  readFile: (path: string) => string | undefined,
  opts: AssembleOptions = {},
): AsmProblem[] {
  const read = (p: string) => (p === fileName ? text : readFile(p));
  const result = assemble(fileName, read, { timeLimitMs: EDITOR_TIME_LIMIT_MS, ...opts });
  const lines = new Map<string, string[]>();
  const lineOf = (file: string, line: number) => {
    if (!lines.has(file)) lines.set(file, (read(file) ?? "").split(/\r?\n/));
    return lines.get(file)![line - 1] ?? "";
  };
  return result.errors.map((e) => ({ file: e.file, range: problemRange(e, lineOf(e.file, e.line)), message: e.message }));
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
