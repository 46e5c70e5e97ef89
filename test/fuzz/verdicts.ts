/**
 * What every fuzz target promises about the messages it gives: each says something, and none is an
 * internal error in disguise (a JavaScript exception's text that reached the user).
 */

/** Texts that only a JavaScript exception, never a deliberate message, would contain. */
const INTERNAL = /Maximum call stack|Invalid (typed )?array length|Invalid string length|Array buffer allocation failed|is not a function|Cannot read propert|Cannot set propert|is not iterable|is not defined|\bNaN\b|\[object |RangeError|TypeError|ReferenceError|\bInfinity\b/;

/** Why `message` breaks the promise, or undefined. */
export function badMessage(message: string, what: string): string | undefined {
  if (message.trim().length < 8) return `${what} says nothing: '${message}'`;
  const m = INTERNAL.exec(message);
  return m ? `${what} is an internal error ('${m[0]}'): ${message.slice(0, 300)}` : undefined;
}

/** A diagnostic must be located in one of the files the case has (or the main file) and say something. */
export function badDiagnostic(d: { file: string; line: number; column: number; message: string }, files: ReadonlySet<string>): string | undefined {
  const where = `${d.file}:${d.line}:${d.column}`;
  if (!files.has(d.file)) return `error at ${where} names a file the case does not have: ${d.message}`;
  if (!(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.column) && d.column >= 1)) return `error is not located (${where}): ${d.message}`;
  return badMessage(d.message, `error at ${where}`);
}
