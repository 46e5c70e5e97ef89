import { ExprError } from "../expressions";

/**
 * C expressions as the Watch view, the Debug Console and hovers take them in a C frame: a subset of
 * C's expression grammar (no assignment, calls, `?:` or `,`), parsed into a tree that
 * evaluate.ts reads against the frame's DWARF variables.
 */

/** A type name in a cast or `sizeof`: its specifiers as written (`struct proc`, `unsigned long`) and its `*`s. */
export interface TypeName {
  base: string;
  pointers: number;
}

export type CExpr =
  | { k: "int"; v: bigint; unsigned: boolean; long: boolean }
  | { k: "char"; v: bigint }
  | { k: "id"; name: string }
  | { k: "member"; e: CExpr; name: string; arrow: boolean }
  | { k: "index"; e: CExpr; index: CExpr }
  | { k: "unary"; op: "*" | "&" | "-" | "+" | "!" | "~"; e: CExpr }
  | { k: "cast"; type: TypeName; e: CExpr }
  | { k: "sizeof"; of: CExpr | TypeName }
  | { k: "binary"; op: string; a: CExpr; b: CExpr };

interface Token {
  t: "int" | "char" | "id" | "op" | "end";
  s: string;
  pos: number;
}

const PUNCT = ["->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "(", ")", "[", "]", "."];
const BINARY_LEVELS: string[][] = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"]];
/** The words that start a type name without being a typedef. */
const TYPE_WORDS = new Set(["struct", "union", "enum", "void", "char", "short", "int", "long", "signed", "unsigned", "_Bool", "float", "double", "const", "volatile"]);
const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, "\\": 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11 };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) { i++; continue; }
    const rest = text.slice(i);
    const num = /^(0x[0-9a-f]+|[0-9]+)([ul]*)/i.exec(rest);
    if (num) {
      if (/[A-Za-z0-9_]/.test(text[i + num[0].length] ?? "")) throw new ExprError(`Invalid number "${/^[A-Za-z0-9_]+/.exec(rest)![0]}".`);
      out.push({ t: "int", s: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const chr = /^'(\\[0-7]{1,3}|\\.|[^\\'])'/.exec(rest);
    if (chr) {
      out.push({ t: "char", s: chr[1], pos: i });
      i += chr[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      out.push({ t: "id", s: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = PUNCT.find((p) => text.startsWith(p, i));
    if (!op) throw new ExprError(`Invalid character '${text[i]}' in expression.`);
    out.push({ t: "op", s: op, pos: i });
    i += op.length;
  }
  out.push({ t: "end", s: "", pos: text.length });
  return out;
}

/** An integer literal's value and C type: decimal fits int, then long; hex and octal may be unsigned. */
function intLiteral(s: string): CExpr {
  const [, digits, suffix] = /^(0x[0-9a-f]+|[0-9]+)([ul]*)$/i.exec(s)!;
  const v = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const u = /u/i.test(suffix);
  const l = /l/i.test(suffix);
  const decimal = !/^0./.test(digits);
  if (v >= 1n << 64n) throw new ExprError("Numeric constant too large.");
  const fitsInt = !l && (u ? v < 1n << 32n : v < 1n << 31n || (!decimal && v < 1n << 32n));
  if (fitsInt) return { k: "int", v, unsigned: u || v >= 1n << 31n, long: false };
  return { k: "int", v, unsigned: u || v >= 1n << 63n, long: true };
}

function charLiteral(body: string): bigint {
  if (body.length === 1) return BigInt(body.charCodeAt(0) & 0xff);
  if (/^\\[0-7]+$/.test(body)) return BigInt(parseInt(body.slice(1), 8) & 0xff);
  const code = ESCAPES[body[1]];
  if (code === undefined) throw new ExprError(`Unknown escape sequence '${body}'.`);
  return BigInt(code);
}

class Parser {
  private i = 0;

  constructor(
    private readonly toks: Token[],
    private readonly isTypedef: (name: string) => boolean,
  ) {}

  private peek(ahead = 0): Token { return this.toks[Math.min(this.i + ahead, this.toks.length - 1)]; }
  private next(): Token { return this.toks[this.i++]; }
  private isOp(s: string, ahead = 0): boolean { const t = this.peek(ahead); return t.t === "op" && t.s === s; }

  private expect(s: string): void {
    const t = this.next();
    if (t.t !== "op" || t.s !== s) throw this.syntax(t, `'${s}'`);
  }

  private syntax(t: Token, wanted?: string): ExprError {
    if (t.t === "end") return new ExprError(`A syntax error in expression, near the end${wanted ? ` (expected ${wanted})` : ""}.`);
    return new ExprError(`A syntax error in expression, near '${t.s}' at column ${t.pos + 1}${wanted ? ` (expected ${wanted})` : ""}.`);
  }

  whole(): CExpr {
    const e = this.binary(0);
    if (this.peek().t !== "end") throw this.syntax(this.peek());
    return e;
  }

  private binary(level: number): CExpr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== "op" || !BINARY_LEVELS[level].includes(t.s)) return a;
      this.next();
      a = { k: "binary", op: t.s, a, b: this.binary(level + 1) };
    }
  }

  /** Whether the token `ahead` starts a type name: a type keyword or a typedef of the program. */
  private startsType(ahead: number): boolean {
    const t = this.peek(ahead);
    return t.t === "id" && (TYPE_WORDS.has(t.s) || this.isTypedef(t.s));
  }

  private unary(): CExpr {
    const t = this.peek();
    if (t.t === "op" && ["*", "&", "-", "+", "!", "~"].includes(t.s)) {
      this.next();
      return { k: "unary", op: t.s as "*", e: this.unary() };
    }
    if (t.t === "id" && t.s === "sizeof") {
      this.next();
      if (this.isOp("(") && this.startsType(1)) {
        this.next();
        const type = this.typeName();
        this.expect(")");
        return { k: "sizeof", of: type };
      }
      return { k: "sizeof", of: this.unary() };
    }
    if (this.isOp("(") && this.startsType(1)) {
      this.next();
      const type = this.typeName();
      this.expect(")");
      return { k: "cast", type, e: this.unary() };
    }
    return this.postfix();
  }

  /** `struct proc *`, `unsigned long`, `uint64`, `const char **`: the specifiers, then the `*`s. */
  private typeName(): TypeName {
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t !== "id") break;
      if (t.s === "const" || t.s === "volatile") { this.next(); continue; }
      if (t.s === "struct" || t.s === "union" || t.s === "enum") {
        this.next();
        const tag = this.next();
        if (tag.t !== "id") throw this.syntax(tag, `a ${t.s} tag`);
        words.push(`${t.s} ${tag.s}`);
        break;
      }
      if (TYPE_WORDS.has(t.s) || (words.length === 0 && this.isTypedef(t.s))) {
        words.push(this.next().s);
        continue;
      }
      break;
    }
    let pointers = 0;
    for (;;) {
      if (this.isOp("*")) { this.next(); pointers++; continue; }
      const t = this.peek();
      if (t.t === "id" && (t.s === "const" || t.s === "volatile")) { this.next(); continue; }
      break;
    }
    return { base: words.join(" "), pointers };
  }

  private postfix(): CExpr {
    let e = this.primary();
    for (;;) {
      if (this.isOp(".") || this.isOp("->")) {
        const arrow = this.next().s === "->";
        const name = this.next();
        if (name.t !== "id") throw this.syntax(name, "a member name");
        e = { k: "member", e, name: name.s, arrow };
      } else if (this.isOp("[")) {
        this.next();
        const index = this.binary(0);
        this.expect("]");
        e = { k: "index", e, index };
      } else {
        return e;
      }
    }
  }

  private primary(): CExpr {
    const t = this.next();
    if (t.t === "int") return intLiteral(t.s);
    if (t.t === "char") return { k: "char", v: charLiteral(t.s) };
    if (t.t === "id") return { k: "id", name: t.s };
    if (t.t === "op" && t.s === "(") {
      const e = this.binary(0);
      this.expect(")");
      return e;
    }
    throw this.syntax(t);
  }
}

/**
 * Parses a C expression; `isTypedef` tells a typedef name (which makes `(name)` a cast) from a
 * variable, as a C compiler must. Throws ExprError with gdb's wording for a syntax error.
 */
export function parseC(text: string, isTypedef: (name: string) => boolean): CExpr {
  if (text.trim() === "") throw new ExprError("the expression is empty");
  return new Parser(tokenize(text), isTypedef).whole();
}
