/**
 * The subset of the C preprocessor that `.S` guests use (as `gcc -x assembler-with-cpp` runs it):
 * `#define` (object-like and with arguments, `#` and `##` included), `#undef`, `#include "…"`,
 * `#if/#ifdef/#ifndef/#elif/#else/#endif` with `defined`. Other `#` lines pass through untouched: for
 * the assembler they are comments, as they are for cpp in assembler mode.
 *
 * Every output line keeps the file and line it came from. Includes and macro expansion are bounded so a
 * recursive include or a self-feeding macro gives an error, not a hang: in depth, in steps per line,
 * and in total through the assembly's WorkBudget (every included line and every expanded character).
 */
import type { Diagnostics, SourceLoc } from "./diagnostics";
import { includeTooDeep, MAX_CONSTANT_BITS, MAX_EXPR_DEPTH, MAX_INCLUDE_DEPTH, type WorkBudget } from "./limits";
import { resolveInclude, splitSourceLines, type SourceLine } from "./source";

interface Macro {
  params?: string[];
  variadic?: boolean;
  body: string;
}

/** Expansion steps per line; a legitimate line needs a handful. */
const MAX_EXPANSIONS = 10_000;
const MAX_LINE_LENGTH = 1 << 20;
/** Macros expanding inside macros: each level is a recursion, so it is bounded like an expression's nesting. */
const MAX_NESTING = MAX_EXPR_DEPTH;

type Cond = { active: boolean; taken: boolean; sawElse: boolean; loc: SourceLine };

/** A `#define` the preprocessor obeyed (in a branch that was taken), for the editor's hovers. */
export interface CppDefine {
  name: string;
  /** Present for a function-like macro. */
  params?: string[];
  body: string;
  /** An object-like macro's body expanded with the macros of that moment, when it is a constant. */
  value?: bigint;
  loc: SourceLoc;
}

export interface Preprocessed {
  lines: SourceLine[];
  defines: CppDefine[];
}

export function preprocess(
  file: string,
  text: string,
  readFile: (path: string) => string | undefined,
  diags: Diagnostics,
  budget: WorkBudget,
  predefined: ReadonlyMap<string, string> = new Map(),
): Preprocessed {
  const macros = new Map<string, Macro>();
  const defines: CppDefine[] = [];
  for (const [k, v] of predefined) macros.set(k, { body: v });
  const out: SourceLine[] = [];
  const conds: Cond[] = [];
  const active = () => conds.length === 0 || conds[conds.length - 1]!.active;

  const err = (l: SourceLine, col: number, msg: string) => diags.error({ file: l.file, line: l.line, column: col + 1 }, msg);

  const locOf = (l: SourceLine, col = 0) => ({ file: l.file, line: l.line, column: col + 1 });

  /** Preprocesses a file's text; `at` is where it was included (the file's start for the main file). */
  const run = (path: string, source: string, depth: number, at: SourceLine, atCol: number): void => {
    const lines = splitSourceLines(source, path, false);
    budget.charge(lines.length, source.length, locOf(at, atCol));
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i]!;
      if (budget.expired()) throw budget.timeUp(locOf(l));
      // Backslash-newline joins lines (mostly in multi-line #defines).
      while (l.text.endsWith("\\") && i + 1 < lines.length) {
        const next = lines[++i]!;
        l = { ...l, text: l.text.slice(0, -1) + next.text };
        out.push({ text: "", file: next.file, line: next.line });
      }
      const m = /^\s*#\s*([A-Za-z_]\w*)?/.exec(l.text);
      if (m && m[1] !== undefined && directive(l, m[1], l.text.slice(m[0].length), m[0].length, depth)) {
        out.push({ text: "", file: l.file, line: l.line });
        continue;
      }
      if (!active()) {
        out.push({ text: "", file: l.file, line: l.line });
        continue;
      }
      if (m) {
        // `# comment` or an unknown directive: the assembler sees a comment.
        out.push(l);
        continue;
      }
      const text = expand(l.text, l, l.text.search(/\S/));
      if (text.length > l.text.length) budget.charge(0, text.length - l.text.length, locOf(l));
      out.push({ text, file: l.file, line: l.line });
    }
  };

  /** Handles a directive; returns false for names cpp does not know (left to the assembler). */
  const directive = (l: SourceLine, name: string, rest: string, restCol: number, depth: number): boolean => {
    switch (name) {
      case "if":
      case "ifdef":
      case "ifndef": {
        let value = false;
        if (active()) {
          if (name === "if") value = evalCondition(rest, l, restCol);
          else {
            const id = /^\s*([A-Za-z_$][\w$]*)\s*$/.exec(rest);
            if (!id) err(l, restCol, `#${name} expects one macro name`);
            else value = macros.has(id[1]!) === (name === "ifdef");
          }
        }
        const parentActive = active();
        conds.push({ active: parentActive && value, taken: !parentActive || value, sawElse: false, loc: l });
        return true;
      }
      case "elif":
      case "else": {
        const c = conds[conds.length - 1];
        if (!c) {
          err(l, 0, `#${name} without a matching #if`);
          return true;
        }
        if (c.sawElse) err(l, 0, `#${name} after #else; expected #endif`);
        const parentActive = conds.length < 2 || conds[conds.length - 2]!.active;
        if (name === "else") {
          c.sawElse = true;
          c.active = parentActive && !c.taken;
          c.taken = true;
        } else {
          const v = parentActive && !c.taken ? evalCondition(rest, l, restCol) : false;
          c.active = v;
          if (v) c.taken = true;
        }
        return true;
      }
      case "endif":
        if (!conds.pop()) err(l, 0, "#endif without a matching #if");
        return true;
    }
    if (!active()) return true;
    switch (name) {
      case "define":
        define(rest, l, restCol);
        return true;
      case "undef": {
        const id = /^\s*([A-Za-z_$][\w$]*)\s*$/.exec(rest);
        if (!id) err(l, restCol, "#undef expects one macro name");
        else macros.delete(id[1]!);
        return true;
      }
      case "include": {
        const inc = /^\s*(?:"([^"]*)"|<([^>]*)>)\s*$/.exec(expand(rest, l, restCol));
        if (!inc) {
          err(l, restCol, `#include expects "file" or <file>`);
          return true;
        }
        const wanted = inc[1] ?? inc[2]!;
        const nameCol = restCol + rest.length - rest.trimStart().length;
        if (depth >= MAX_INCLUDE_DEPTH) throw includeTooDeep("#include", locOf(l, nameCol));
        const found = resolveInclude(wanted, l.file, readFile);
        if (!found) {
          err(l, nameCol, `cannot find include file "${wanted}"`);
          return true;
        }
        run(found.path, found.text, depth + 1, l, restCol);
        return true;
      }
      case "error":
        err(l, 0, `#error${rest}`);
        return true;
      case "warning":
      case "pragma":
      case "line":
      case "ident":
        return true;
      default:
        return false;
    }
  };

  const define = (rest: string, l: SourceLine, col: number): void => {
    const m = /^\s*([A-Za-z_$][\w$]*)(\(([^)]*)\))?/.exec(rest);
    if (!m) {
      err(l, col, "#define expects a macro name");
      return;
    }
    const name = m[1]!;
    let body = rest.slice(m[0].length).trim();
    const loc = { file: l.file, line: l.line, column: col + /^\s*/.exec(rest)![0].length + 1, endColumn: col + m[0].length + 1 };
    if (m[2] === undefined) {
      macros.set(name, { body });
      defines.push({ name, body, value: constantValue(expand(body, l, col, false)), loc });
      return;
    }
    const params = m[3]!.split(",").map((p) => p.trim()).filter((p) => p !== "");
    let variadic = false;
    if (params.length > 0 && params[params.length - 1]!.endsWith("...")) {
      variadic = true;
      const last = params.pop()!.slice(0, -3).trim();
      params.push(last === "" ? "__VA_ARGS__" : last);
    }
    for (const p of params) {
      if (!/^[A-Za-z_$][\w$]*$/.test(p)) {
        err(l, col, `#define ${name}: parameter '${p}' is not a name; expected identifiers separated by commas`);
        return;
      }
    }
    body = body.replace(/\s*##\s*/g, "##");
    macros.set(name, { params, variadic, body });
    defines.push({ name, params: m[3]!.split(",").map((p) => p.trim()).filter((p) => p !== ""), body, loc });
  };

  /**
   * Replaces macros in `text` until nothing changes; `hide` holds the macros being expanded (no
   * self-recursion). `report` is false for an expansion cpp itself would not do (a hover's value).
   */
  const expand = (text: string, l: SourceLine, col: number, report = true): string => {
    const fail = report ? err : () => {};
    let steps = 0;
    let stopped = false;
    const go = (s: string, hide: ReadonlySet<string>): string => {
      let res = "";
      let i = 0;
      while (i < s.length) {
        const c = s[i]!;
        if (c === '"' || c === "'") {
          let j = i + 1;
          while (j < s.length && s[j] !== c) j += s[j] === "\\" ? 2 : 1;
          // An apostrophe with no partner is just a character to the assembler (cpp in asm mode agrees).
          if (c === "'" && j >= s.length) j = i;
          res += s.slice(i, j + 1);
          i = j + 1;
          continue;
        }
        if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[i + 1] ?? ""))) {
          const m = /^[0-9.][\w.]*/.exec(s.slice(i))!;
          res += m[0];
          i += m[0].length;
          continue;
        }
        if (!/[A-Za-z_$]/.test(c)) {
          res += c;
          i++;
          continue;
        }
        const id = /^[A-Za-z_$][\w$]*/.exec(s.slice(i))![0];
        i += id.length;
        const mac = macros.get(id);
        if (!mac || hide.has(id)) {
          res += id;
          continue;
        }
        const why = ++steps > MAX_EXPANSIONS ? `more than ${MAX_EXPANSIONS} steps`
          : res.length > MAX_LINE_LENGTH ? `the line grows past ${MAX_LINE_LENGTH.toLocaleString("en-US")} characters`
          : hide.size >= MAX_NESTING ? `more than ${MAX_NESTING} macros deep` : undefined;
        if (why !== undefined) {
          if (!stopped) fail(l, col, `macro expansion of '${id}' does not end (${why})`);
          stopped = true;
          return res + id + s.slice(i);
        }
        const inner = new Set(hide).add(id);
        if (!mac.params) {
          res += go(mac.body, inner);
          continue;
        }
        // A function-like macro name not followed by '(' is just a name.
        let j = i;
        while (j < s.length && (s[j] === " " || s[j] === "\t")) j++;
        if (s[j] !== "(") {
          res += id;
          continue;
        }
        const args = splitArgs(s, j);
        if (!args) {
          fail(l, col, `macro '${id}': unterminated argument list; expected ')'`);
          return res + id + s.slice(i);
        }
        i = args.end;
        let values = args.values;
        if (values.length === 1 && values[0]!.trim() === "" && mac.params.length === 0) values = [];
        if (mac.variadic && values.length > mac.params.length) {
          const n = mac.params.length - 1;
          values = [...values.slice(0, n), values.slice(n).join(",")];
        }
        if (mac.variadic && values.length === mac.params.length - 1) values.push("");
        if (values.length !== mac.params.length) {
          fail(l, col, `macro '${id}' takes ${mac.params.length} argument(s), but ${values.length} were given`);
          res += id;
          continue;
        }
        res += go(substitute(mac, values.map((v) => v.trim()), (v) => go(v, hide)), inner);
      }
      return res;
    };
    return go(text, new Set());
  };

  const evalCondition = (rest: string, l: SourceLine, col: number): boolean => {
    // `defined X` and `defined(X)` are decided before expansion, as cpp does.
    const withDefined = rest.replace(/\bdefined\s*(?:\(\s*([A-Za-z_$][\w$]*)\s*\)|([A-Za-z_$][\w$]*))/g, (_m, a, b) =>
      macros.has(a ?? b) ? " 1 " : " 0 ",
    );
    const expanded = expand(withDefined, l, col);
    const value = evalCppExpr(expanded);
    if (typeof value === "string") {
      err(l, col, `#if: ${value}`);
      return false;
    }
    return value !== 0n;
  };

  run(file, text, 0, { text: "", file, line: 1 }, 0);
  for (const c of conds) err(c.loc, 0, "#if without #endif; expected #endif before the end of the file");
  return { lines: out, defines };
}

/** Splits `name(a, (b, c), d)` starting at the '('; returns the raw arguments and the index after ')'. */
function splitArgs(s: string, open: number): { values: string[]; end: number } | undefined {
  const values: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      cur += s.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) {
        values.push(cur);
        return { values, end: i + 1 };
      }
      depth--;
    } else if (c === "," && depth === 0) {
      values.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  return undefined;
}

/** Puts the arguments into a function-like macro body: `#p` makes a string, `a##b` pastes, others are pre-expanded. */
function substitute(mac: Macro, args: string[], expandArg: (v: string) => string): string {
  const params = mac.params!;
  return mac.body.replace(/(#?)([A-Za-z_$][\w$]*)|"(?:[^"\\]|\\.)*"/g, (whole, hash: string | undefined, id: string | undefined, offset: number) => {
    if (id === undefined) return whole;
    const k = params.indexOf(id);
    if (k < 0) return whole;
    if (hash === "#" && mac.body[offset - 1] !== "#") return JSON.stringify(args[k]!);
    const pasted = mac.body[offset + whole.length] === "#" || (offset >= 2 && mac.body.slice(offset - 2, offset) === "##");
    return (hash ?? "") + (pasted ? args[k]! : expandArg(args[k]!));
  }).replace(/##/g, "");
}

/** The value of an expanded macro body made of numbers and operators only (names left would count as 0). */
function constantValue(expanded: string): bigint | undefined {
  if (expanded === "" || /(?<![\w$'])[A-Za-z_$]/.test(expanded)) return undefined;
  const v = evalCppExpr(expanded);
  return typeof v === "bigint" ? v : undefined;
}

/** Evaluates a cpp `#if` expression after expansion: C operators on 64-bit integers; names left over are 0. */
export function evalCppExpr(text: string): bigint | string {
  const toks = text.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_$][\w$]*|'(?:[^'\\]|\\.)'|<<|>>|<=|>=|==|!=|&&|\|\||\S/g) ?? [];
  let p = 0;
  const wrap = (v: bigint) => BigInt.asIntN(64, v);
  const peek = () => toks[p];
  const BIN: string[][] = [
    ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
  ];
  const apply = (op: string, a: bigint, b: bigint): bigint => {
    switch (op) {
      case "||": return a !== 0n || b !== 0n ? 1n : 0n;
      case "&&": return a !== 0n && b !== 0n ? 1n : 0n;
      case "|": return a | b;
      case "^": return a ^ b;
      case "&": return a & b;
      case "==": return a === b ? 1n : 0n;
      case "!=": return a !== b ? 1n : 0n;
      case "<": return a < b ? 1n : 0n;
      case ">": return a > b ? 1n : 0n;
      case "<=": return a <= b ? 1n : 0n;
      case ">=": return a >= b ? 1n : 0n;
      case "<<": return wrap(a << (b & 63n));
      case ">>": return a >> (b & 63n);
      case "+": return wrap(a + b);
      case "-": return wrap(a - b);
      case "*": return wrap(a * b);
      case "/": if (b === 0n) throw new Error("division by zero"); return wrap(a / b);
      default: if (b === 0n) throw new Error("division by zero"); return a % b;
    }
  };
  // Parentheses, unary operators and '?:' nest by recursion: bounded, so the stack cannot run out.
  let depth = 0;
  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_EXPR_DEPTH) throw new Error(`expression nested more than ${MAX_EXPR_DEPTH} deep, the limit`);
    const v = f();
    depth--;
    return v;
  };
  const unary = (): bigint => {
    const t = toks[p++];
    if (t === undefined) throw new Error("expression ends early; expected a value");
    if (t === "(") {
      const v = nested(cond);
      if (toks[p++] !== ")") throw new Error("expected ')'");
      return v;
    }
    if (t === "-") return wrap(-nested(unary));
    if (t === "+") return nested(unary);
    if (t === "~") return ~nested(unary);
    if (t === "!") return nested(unary) === 0n ? 1n : 0n;
    if (/^\d/.test(t)) {
      const v = BigInt(t.replace(/[uUlL]+$/, "").replace(/^0(?=[0-7]+$)/, "0o"));
      if (v >> BigInt(MAX_CONSTANT_BITS) !== 0n) throw new Error(`constant ${t} is wider than ${MAX_CONSTANT_BITS} bits, the limit`);
      return wrap(v);
    }
    if (/^[A-Za-z_$]/.test(t)) return 0n;
    if (t.startsWith("'")) return BigInt(t.length === 3 ? t.charCodeAt(1) : 0);
    throw new Error(`unexpected '${t}'; expected a value`);
  };
  const binary = (level: number): bigint => {
    if (level >= BIN.length) return unary();
    let a = binary(level + 1);
    while (peek() !== undefined && BIN[level]!.includes(peek()!)) {
      const op = toks[p++]!;
      const b = binary(level + 1);
      a = apply(op, a, b);
    }
    return a;
  };
  const cond = (): bigint => {
    const c = binary(0);
    if (peek() !== "?") return c;
    p++;
    const a = nested(cond);
    if (toks[p++] !== ":") throw new Error("expected ':' in '?:'");
    const b = nested(cond);
    return c !== 0n ? a : b;
  };
  try {
    if (toks.length === 0) return "expected an expression";
    const v = cond();
    if (p < toks.length) return `unexpected '${toks[p]}' after the expression`;
    return v;
  } catch (e) {
    return (e as Error).message;
  }
}
