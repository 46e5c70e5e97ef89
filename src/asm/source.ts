/** A line of source, after comments are removed, with where it came from. */
export interface SourceLine {
  text: string;
  file: string;
  /** 1-based line in `file`. */
  line: number;
}

/**
 * Splits a file into lines and blanks out C comments, keeping columns (each comment character becomes a
 * space) and line numbers (a comment that spans lines leaves its lines empty). Quotes are respected, so a
 * `/*` inside a string stays. `//` comments are removed too (the C preprocessor removes them; GNU as does
 * not know them, but the editor grammar does, so plain `.s` files accept them as well). With `hashComments`
 * (files that no preprocessor sees), `#` ends the line first, as in GNU as, so `# see /*` opens nothing.
 */
export function splitSourceLines(text: string, file: string, hashComments: boolean): SourceLine[] {
  const out: SourceLine[] = [];
  let inBlock = false;
  const raw = text.split(/\r?\n/);
  for (let n = 0; n < raw.length; n++) {
    const line = raw[n]!;
    if (!inBlock && line.indexOf("/") < 0 && line.indexOf('"') < 0) {
      // Nothing to blank out (the common case): only a `#` comment to cut.
      const hash = hashComments ? line.indexOf("#") : -1;
      out.push({ text: hash < 0 ? line : line.slice(0, hash), file, line: n + 1 });
      continue;
    }
    let res = "";
    let i = 0;
    let quote = "";
    while (i < line.length) {
      const c = line[i]!;
      if (inBlock) {
        if (c === "*" && line[i + 1] === "/") {
          inBlock = false;
          res += "  ";
          i += 2;
        } else {
          res += " ";
          i++;
        }
        continue;
      }
      if (quote) {
        res += c;
        if (c === "\\" && i + 1 < line.length) {
          res += line[i + 1];
          i += 2;
          continue;
        }
        if (c === quote) quote = "";
        i++;
        continue;
      }
      if (c === '"') {
        quote = c;
        res += c;
        i++;
      } else if (c === "/" && line[i + 1] === "*") {
        inBlock = true;
        res += "  ";
        i += 2;
      } else if ((c === "/" && line[i + 1] === "/") || (hashComments && c === "#")) {
        break;
      } else {
        res += c;
        i++;
      }
    }
    out.push({ text: res, file, line: n + 1 });
  }
  // A file ending in a newline yields one empty last line; it carries nothing.
  if (out.length > 0 && out[out.length - 1]!.text === "" && text.endsWith("\n")) out.pop();
  return out;
}

/** The directory part of a path, with its trailing slash ("" for a bare name). */
export function dirOf(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? "" : path.slice(0, i + 1);
}

/**
 * `a/b/../c/./d` → `a/c/d`: the included file's path as the editor names it, so that line tables,
 * breakpoints and stack frames all agree on it (a leading `..` that cannot be resolved stays).
 */
export function withoutDotSegments(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== ".." && out[out.length - 1] !== "") out.pop();
    else out.push(seg);
  }
  return out.join("/");
}

/** Resolves an include name the way cpp and as do: relative to the including file first, then as given. */
export function resolveInclude(
  name: string,
  fromFile: string,
  readFile: (path: string) => string | undefined,
): { path: string; text: string } | undefined {
  const candidates = name.startsWith("/") ? [name] : [withoutDotSegments(dirOf(fromFile) + name), name];
  for (const path of candidates) {
    const text = readFile(path);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}

/** `readFile` with each path read once: an include bomb must not become a disk-read bomb. */
export function cachedReader(readFile: (path: string) => string | undefined): (path: string) => string | undefined {
  const texts = new Map<string, string | undefined>();
  return (path) => {
    if (!texts.has(path)) texts.set(path, readFile(path));
    return texts.get(path);
  };
}

/** Bytes as a string of the characters 0–255 (file names and messages in directives). */
export function latin1(bytes: readonly number[]): string {
  let s = "";
  // In slices: String.fromCharCode(...bytes) overflows the stack for a long string.
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.slice(i, i + 4096));
  return s;
}
