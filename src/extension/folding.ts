/**
 * Folding ranges for guest assembly. Pure (no `vscode` import); language.ts hands them to VS Code.
 *
 * Why a provider rather than folding markers in language-configuration.json: VS Code's minimap
 * labels every line that matches the start marker as a section ("Mark" headers), so a marker for
 * `.macro` turned every macro into a minimap label. The markers now match `#region` only, whose
 * labels are wanted; this provider folds everything, because where a provider exists VS Code stops
 * using the markers and indentation for folding:
 * - paired blocks: `.macro`…`.endm`, `.rept`/`.irp`/`.irpc`…`.endr`, `.if*`…`.endif`,
 *   `#if*`…`#endif`, `#region`…`#endregion`, and multi-line block comments;
 * - indentation, as VS Code's own folding: a line folds the more-indented lines below it, so a label
 *   at the margin folds the body indented under it.
 */

export interface AsmFold {
  /** 0-based first and last line; the lines after `start` up to `end` are hidden. */
  start: number;
  end: number;
  kind?: "region" | "comment";
}

const BLOCKS: { open: RegExp; close: RegExp; kind?: "region" }[] = [
  { open: /^\s*\.macro\b/, close: /^\s*\.endm\b/ },
  { open: /^\s*\.(?:rept|irpc?)\b/, close: /^\s*\.endr\b/ },
  { open: /^\s*\.if\w*\b/, close: /^\s*\.endif\b/ },
  { open: /^\s*#\s*if(?:n?def)?\b/, close: /^\s*#\s*endif\b/ },
  { open: /^\s*#\s*region\b/, close: /^\s*#\s*endregion\b/, kind: "region" },
];

function blockFolds(lines: readonly string[]): AsmFold[] {
  const folds: AsmFold[] = [];
  const open = BLOCKS.map(() => [] as number[]);
  let comment: number | undefined;
  lines.forEach((text, i) => {
    if (comment !== undefined) {
      if (!text.includes("*/")) return;
      if (i > comment) folds.push({ start: comment, end: i, kind: "comment" });
      comment = undefined;
      return;
    }
    if (/^\s*\/\*/.test(text) && !text.includes("*/", text.indexOf("/*") + 2)) {
      comment = i;
      return;
    }
    BLOCKS.forEach((b, k) => {
      if (b.open.test(text)) open[k]!.push(i);
      else if (b.close.test(text)) {
        const start = open[k]!.pop();
        if (start !== undefined) folds.push({ start, end: i, ...(b.kind && { kind: b.kind }) });
      }
    });
  });
  return folds;
}

/** Leading whitespace in columns, a tab reaching the next multiple of `tabSize`. */
function indentOf(text: string, tabSize: number): number {
  let col = 0;
  for (const c of text) {
    if (c === " ") col++;
    else if (c === "\t") col += tabSize - (col % tabSize);
    else break;
  }
  return col;
}

function indentFolds(lines: readonly string[], tabSize: number): AsmFold[] {
  const folds: AsmFold[] = [];
  const open: { line: number; indent: number }[] = [];
  let last = -1;
  const close = (indent: number) => {
    while (open.length > 0 && open[open.length - 1]!.indent >= indent) {
      const o = open.pop()!;
      if (last > o.line) folds.push({ start: o.line, end: last });
    }
  };
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    const indent = indentOf(text, tabSize);
    close(indent);
    open.push({ line: i, indent });
    last = i;
  });
  close(-1);
  return folds;
}

/** Every folding range of a document, one per start line (a paired block wins over indentation), in line order. */
export function foldingRanges(lines: readonly string[], tabSize = 4): AsmFold[] {
  const byStart = new Map<number, AsmFold>();
  for (const f of indentFolds(lines, tabSize)) byStart.set(f.start, f);
  for (const f of blockFolds(lines)) byStart.set(f.start, f);
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}
