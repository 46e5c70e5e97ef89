/**
 * Hover documentation for guest assembly: instructions (in the mnemonic position), CSR names and
 * registers (in the operands). Pure (no `vscode` import); extension.ts wraps it in a vscode.Hover.
 */
import { csrMarkdown, mnemonicMarkdown, registerMarkdown } from "./completion";

export interface AsmHover {
  markdown: string;
  /** The hovered word's 0-based [start, end) on the line. */
  start: number;
  end: number;
}

export function hoverAt(lineText: string, character: number): AsmHover | undefined {
  const word = /[A-Za-z_.$][\w.$]*/g;
  for (let m = word.exec(lineText); m; m = word.exec(lineText)) {
    const start = m.index;
    const end = start + m[0].length;
    if (character < start || character >= end) continue;
    const before = lineText.slice(0, start);
    if (/#|\/\//.test(before)) return undefined; // inside a comment
    const statementStart = /^\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+):\s*)*$/.test(before) && lineText[end] !== ":";
    const markdown = statementStart ? mnemonicMarkdown(m[0]) : csrMarkdown(m[0]) ?? registerMarkdown(m[0]);
    return markdown ? { markdown, start, end } : undefined;
  }
  return undefined;
}
