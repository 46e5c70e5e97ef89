/**
 * Hover documentation for guest assembly: instructions (in the mnemonic position), CSR names and
 * registers (in the operands), and the names the guest defines (labels, `.equ`s, `#define`s), which
 * `describeName` looks up. Pure (no `vscode` import); language.ts wraps it in a vscode.Hover.
 */
import { csrMarkdown, mnemonicMarkdown, registerMarkdown } from "./completion";

export interface AsmHover {
  markdown: string;
  /** The hovered word's 0-based [start, end) on the line. */
  start: number;
  end: number;
}

/** A preprocessor line whose words after the directive are macro names or use them. */
const CPP_LINE = /^\s*#\s*(?:define|undef|ifdef|ifndef|if|elif)\b/;

export function hoverAt(
  lineText: string,
  character: number,
  describeName: (word: string) => string | undefined = () => undefined,
): AsmHover | undefined {
  const word = /[A-Za-z_.$][\w.$]*/g;
  const cpp = CPP_LINE.exec(lineText);
  for (let m = word.exec(lineText); m; m = word.exec(lineText)) {
    const start = m.index;
    const end = start + m[0].length;
    if (character < start || character >= end) continue;
    let markdown: string | undefined;
    if (cpp) {
      markdown = start >= cpp[0].length ? describeName(m[0]) : undefined;
    } else {
      const before = lineText.slice(0, start);
      if (/#|\/\//.test(before)) return undefined; // inside a comment
      const statementStart = /^\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+):\s*)*$/.test(before) && lineText[end] !== ":";
      markdown = statementStart
        ? mnemonicMarkdown(m[0]) ?? describeName(m[0])
        : csrMarkdown(m[0]) ?? registerMarkdown(m[0]) ?? describeName(m[0]);
    }
    return markdown ? { markdown, start, end } : undefined;
  }
  return undefined;
}
