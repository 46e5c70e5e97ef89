/**
 * Text laid out for the Debug Console. DAP does not tell the adapter how wide the console is, and
 * VS Code wraps a long line at the panel's edge, which breaks a table's columns apart. So commands
 * lay their output out for a fixed width that fits a panel beside the editor: tables are designed
 * to be narrower than it, and prose lines are wrapped to it.
 */
export const CONSOLE_WIDTH = 80;

/** Columns two spaces apart: the first `left` left-aligned (labels, code), the others right-aligned (numbers). */
export function table(rows: readonly (readonly string[])[], left = 1): string[] {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => widths.map((w, i) => (i < left ? (r[i] ?? "").padEnd(w) : (r[i] ?? "").padStart(w))).join("  ").trimEnd());
}

/**
 * One line wrapped at spaces to `width`, its continuation lines starting with `indent`. A word too
 * long for a line of its own is cut, so no line is ever wider than `width`.
 */
export function wrap(line: string, indent: string, width = CONSOLE_WIDTH): string[] {
  const lines: string[] = [];
  let rest = line;
  while (rest.length > width) {
    // Never break inside the line's own indentation: that would make no progress.
    const floor = lines.length === 0 ? /^ */.exec(line)![0].length : indent.length;
    let cut = rest.lastIndexOf(" ", width);
    if (cut <= floor) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}
