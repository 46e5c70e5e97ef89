/**
 * The assembler proper: reads statements (after the preprocessor for `.S` files), handles labels,
 * directives, macros and repetition, and assembles instructions into sections. The result is an
 * ObjectFile, which the linker lays out.
 *
 * Bad input never throws out of here: every statement's problems become diagnostics with file, line and
 * column, and assembly continues with the next statement. Macro recursion, `.rept` bombs, include
 * loops and images too large to hold hit the fixed limits of limits.ts, with an error that names the
 * limit; the work budget stops the whole assembly there.
 */
import { applyArchOption, DEFAULT_MARCH, parseMarch, type Ext } from "./arch";
import { Diagnostics, type SourceLoc } from "./diagnostics";
import { assembleInstruction, type BranchVar, type InsnContext } from "./encode";
import { evaluate, ExprError, exprHeight, parseExpr, TokenStream, type Expr, type ParseHooks, type Value } from "./expr";
import { LexError, tokenize, type Token } from "./lexer";
import { imageTooLarge, includeTooDeep, LimitError, MAX_IMAGE_BYTES, MAX_INCLUDE_DEPTH, MAX_SYMBOL_EXPR_DEPTH, type WorkBudget } from "./limits";
import type { FixKind, ObjectFile, ObjSymbol, SymbolType } from "./object";
import { preprocess, type Preprocessed } from "./preprocess";
import { SectionBuilder, type Pos } from "./section_builder";
import { cachedReader, latin1, resolveInclude, splitSourceLines, type SourceLine } from "./source";

const MAX_MACRO_DEPTH = 100;
/** The largest alignment, 1 GiB: GNU as accepts more, but the padding could not fit in an image. */
const MAX_ALIGN_POW = 30;
/** The widest .fill element GNU as writes (it clamps larger sizes to 8 with a warning). */
const MAX_FILL_SIZE = 8;

interface Macro {
  name: string;
  params: { name: string; def?: string; req: boolean; vararg: boolean }[];
  body: SourceLine[];
}

/** One source of statements: a file, or the lines a macro or .rept produced. */
interface Frame {
  lines: SourceLine[];
  i: number;
  /** Line-table location for everything in this frame (the invocation line, for a macro). */
  at?: SourceLine;
  macroDepth: number;
  includeDepth: number;
  isMacro: boolean;
}

interface SymDef {
  name: string;
  kind: "label" | "equ" | "undef";
  sec?: number;
  pos?: Pos;
  expr?: Expr;
  global: boolean;
  type: SymbolType;
  sizeExpr?: Expr;
  local: boolean;
  loc: SourceLoc;
  /** Guards against `.equ a, b` / `.equ b, a` loops while evaluating. */
  evaluating?: boolean;
  /**
   * An `.equ` symbol's value once it had one, while no symbol was redefined since (`gen`), with how
   * deep its evaluation went: without it, `.equ b, a+a` / `.equ c, b+b` / … takes exponential time
   * and a chain of symbols quadratic time.
   */
  known?: { value: Value | undefined; error?: ExprError; height: number };
  /** The symbols whose known values were computed from this one's: forgotten when it changes. */
  dependents?: Set<SymDef>;
}

interface Options {
  rvc: boolean;
  relax: boolean;
  exts: Set<Ext>;
}

type Cond = { active: boolean; taken: boolean; parentActive: boolean };

export class Assembler {
  readonly diags: Diagnostics;
  private readonly sections: SectionBuilder[] = [];
  private cur!: SectionBuilder;
  private curIndex = 0;
  private prevIndex = 0;
  private readonly sectionStack: number[] = [];
  private readonly syms = new Map<string, SymDef>();
  private readonly localCount = new Map<string, number>();
  private internal = 0;
  private opts: Options;
  private readonly optStack: Options[] = [];
  private readonly macros = new Map<string, Macro>();
  private readonly conds: Cond[] = [];
  private readonly frames: Frame[] = [];
  private macroCounter = 0;
  /** How deep the symbol expressions being evaluated now nest, together (MAX_SYMBOL_EXPR_DEPTH). */
  private evalDepth = 0;
  /** The deepest evalDepth reached inside the symbol being evaluated now. */
  private evalPeak = 0;
  /** The `.equ` symbols being evaluated now, innermost last: whatever they read, their values depend on. */
  private readonly evaluating: SymDef[] = [];
  /** Symbols whose known values were computed while a name they read was undefined, by that name. */
  private readonly waitingFor = new Map<string, Set<SymDef>>();
  private everRvc: boolean;
  private ended = false;
  /** The statement being assembled, for diagnostics and the line table. */
  private line!: SourceLine;
  private lineAt!: SourceLine;

  private readonly readFile: (path: string) => string | undefined;

  constructor(
    readFile: (path: string) => string | undefined,
    march: string,
    diags: Diagnostics,
    private readonly budget: WorkBudget,
  ) {
    // A file included over and over is read once.
    this.readFile = cachedReader(readFile);
    this.diags = diags;
    const exts = parseMarch(march);
    const set = typeof exts === "string" ? (parseMarch(DEFAULT_MARCH) as Set<Ext>) : exts;
    if (typeof exts === "string") diags.error({ file: "", line: 0, column: 0 }, exts);
    this.opts = { rvc: set.has("C"), relax: true, exts: set };
    this.everRvc = this.opts.rvc;
    this.switchSection(".text");
  }

  assembleFile(file: string, text: string): ObjectFile {
    let pre: Preprocessed;
    try {
      pre = /\.S$/.test(file) ? preprocess(file, text, this.readFile, this.diags, this.budget) : { lines: this.readLines(text, file, { file, line: 1, column: 1 }), defines: [] };
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      this.diags.error(e.loc, e.message);
      return { ...this.finish(), defines: [] };
    }
    this.frames.push({ lines: pre.lines, i: 0, macroDepth: 0, includeDepth: 0, isMacro: false });
    this.run();
    if (this.conds.length > 0) this.err(this.line ?? { file, line: 1, text: "" }, 0, "'.if' without '.endif'; expected .endif before the end of the file");
    return { ...this.finish(), defines: pre.defines };
  }

  // ---- statement loop ------------------------------------------------------------------------

  private run(): void {
    try {
      while (this.frames.length > 0 && !this.ended && !this.diags.full) {
        const f = this.frames[this.frames.length - 1]!;
        if (f.i >= f.lines.length) {
          this.frames.pop();
          continue;
        }
        const l = f.lines[f.i++]!;
        this.line = l;
        this.lineAt = f.at ?? l;
        if (this.budget.expired()) throw this.budget.timeUp(this.locAt(0));
        this.statementLine(l.text);
      }
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      this.err(this.line, e.loc.column - 1, e.message);
      this.ended = true;
    }
  }

  /** A file's lines (no preprocessor), charged to the work budget at `at`. */
  private readLines(text: string, file: string, at: SourceLoc): SourceLine[] {
    const lines = splitSourceLines(text, file, true);
    this.budget.charge(lines.length, text.length, at);
    return lines;
  }

  /** The current statement's location at a column, for a LimitError (err() maps it into macros). */
  private locAt(col: number): SourceLoc {
    return { file: this.line.file, line: this.line.line, column: col + 1 };
  }

  /** A line may hold several statements separated by ';'. */
  private statementLine(text: string): void {
    let start = 0;
    let quote = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (quote) {
        if (c === 92) i++;
        else if (c === 34) quote = false;
      } else if (c === 34) quote = true;
      else if (c === 35 || c === 59) {
        // '#' starts a comment, ';' separates statements.
        this.statement(text, start, i);
        if (c === 35) return;
        start = i + 1;
      } else if (c === 39 && i + 1 < text.length) i++; // 'c: the character may be '#' or ';'
    }
    this.statement(text, start, text.length);
  }

  private statement(text: string, start: number, stop: number): void {
    let toks: Token[];
    try {
      toks = tokenize(text, start, stop);
    } catch (e) {
      if (e instanceof LexError) return this.err(this.line, e.col, e.message);
      throw e;
    }
    let k = 0;
    // Labels: `name:` and `1:` (possibly several).
    for (;;) {
      const t = toks[k]!;
      if (t.kind === "end") break;
      const colon = toks[k + 1]!;
      if (colon.kind !== "op" || colon.text !== ":" || colon.col !== t.end) break;
      if (t.kind === "name" && this.active()) this.defineLabel(t.text, t);
      else if (t.kind === "num" && !t.local && this.active()) this.defineLocalLabel(t.value!, t);
      else if (t.kind !== "name" && t.kind !== "num") break;
      k += 2;
    }
    const head = toks[k]!;
    if (head.kind === "end") return;
    if (head.kind !== "name") {
      if (this.active()) this.err(this.line, head.col, `expected a label, a directive or an instruction, found '${head.text}'`, head.end);
      return;
    }
    const rest = toks.slice(k + 1);
    const name = head.text;
    const lower = name.toLowerCase();
    if (this.conditional(lower, rest, head)) return;
    if (!this.active()) return;
    // `sym = expr`
    if (rest[0]?.kind === "op" && rest[0].text === "=" ) {
      this.withErrors(() => this.setSymbol(name, head, this.exprOf(new TokenStream(rest.slice(1))), false));
      return;
    }
    const mac = this.macros.get(lower);
    if (mac) return this.withErrors(() => this.invokeMacro(mac, text, head.end, stop, head));
    if (lower.startsWith(".")) return this.withErrors(() => this.directive(lower, head, rest, text, head.end, stop));
    this.withErrors(() => this.instruction(head, rest, stop));
  }

  private withErrors(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof ExprError) this.err(this.line, e.col, e.message, e.end, e.suggestion);
      else if (e instanceof LexError) this.err(this.line, e.col, e.message);
      else throw e;
    }
  }

  private err(l: SourceLine, col: number, message: string, end?: number, suggestion?: string): void {
    const inMacro = this.frames.length > 0 && this.frames[this.frames.length - 1]!.isMacro;
    const at = inMacro ? this.lineAt : l;
    // In a macro expansion the error points at the invocation, where the suggested text is not.
    this.diags.error(
      { file: at.file, line: at.line, column: inMacro ? 1 : col + 1, endColumn: !inMacro && end !== undefined ? end + 1 : undefined },
      inMacro ? `in macro expansion (line ${l.line} of ${l.file}): ${message}` : message,
      inMacro ? undefined : suggestion,
    );
  }


  private active(): boolean {
    return this.conds.length === 0 || this.conds[this.conds.length - 1]!.active;
  }

  // ---- symbols --------------------------------------------------------------------------------

  private get loc(): SourceLoc {
    return { file: this.lineAt.file, line: this.lineAt.line, column: 1 };
  }

  /** Before `name` is (re)defined: the values known so far may have used its old value, or its absence. */
  private defining(name: string): void {
    const old = this.syms.get(name);
    if (old) forget(old);
    const waiting = this.waitingFor.get(name);
    if (waiting) {
      this.waitingFor.delete(name);
      waiting.forEach(forget);
    }
  }

  private defineLabel(name: string, t: Token): void {
    this.defining(name);
    const old = this.syms.get(name);
    if (old && old.kind !== "undef") {
      this.err(this.line, t.col, `symbol '${name}' is already defined (at ${old.loc.file}:${old.loc.line})`, t.end);
      return;
    }
    const def: SymDef = {
      name,
      kind: "label",
      sec: this.curIndex,
      pos: this.cur.pos,
      global: old?.global ?? false,
      type: old?.type ?? "notype",
      sizeExpr: old?.sizeExpr,
      local: name.startsWith(".L"),
      loc: { file: this.line.file, line: this.line.line, column: t.col + 1 },
    };
    this.syms.set(name, def);
  }

  private localName(n: bigint, instance: number): string {
    return `.L${n}\u0002${instance}`;
  }

  private defineLocalLabel(n: bigint, t: Token): void {
    const key = n.toString();
    const next = (this.localCount.get(key) ?? 0) + 1;
    this.localCount.set(key, next);
    this.defineLabel(this.localName(n, next), t);
  }

  /** Defines an assembler-internal label at the current location. */
  private hereLabel(): string {
    const name = `.L\u0001${this.internal++}`;
    this.syms.set(name, { name, kind: "label", sec: this.curIndex, pos: this.cur.pos, global: false, type: "notype", local: true, loc: this.loc });
    return name;
  }

  private readonly hooks: ParseHooks = {
    resolveLocal: (n, dir, col) => {
      const count = this.localCount.get(n.toString()) ?? 0;
      if (dir === "b") {
        if (count === 0) throw new ExprError(`no earlier local label '${n}:' for '${n}b'`, col);
        return this.localName(n, count);
      }
      return this.localName(n, count + 1);
    },
    dot: () => this.hereLabel(),
  };

  private exprOf(ts: TokenStream): Expr {
    const e = parseExpr(ts, this.hooks);
    if (!ts.atEnd) throw new ExprError(`unexpected '${ts.peek.text}' after the expression`, ts.peek.col, ts.peek.end);
    return e;
  }

  private setSymbol(name: string, t: Token, e: Expr, once: boolean): void {
    const old = this.syms.get(name);
    if (old && old.kind === "label") throw new ExprError(`symbol '${name}' is already defined as a label`, t.col, t.end);
    if (once && old && old.kind === "equ") throw new ExprError(`symbol '${name}' is already defined`, t.col, t.end);
    this.defining(name);
    // `x = x + 1` must see the old value, so fold what is constant now.
    const v = this.tryConst(e);
    const expr: Expr = v !== undefined ? { k: "num", v } : e;
    this.syms.set(name, {
      name,
      kind: "equ",
      expr,
      global: old?.global ?? false,
      type: old?.type ?? "notype",
      sizeExpr: old?.sizeExpr,
      local: name.startsWith(".L"),
      loc: { file: this.line.file, line: this.line.line, column: t.col + 1 },
    });
  }

  private symbolRef(name: string): SymDef {
    let s = this.syms.get(name);
    if (!s) {
      s = { name, kind: "undef", global: false, type: "notype", local: false, loc: this.loc };
      this.syms.set(name, s);
    }
    return s;
  }

  /**
   * Values now: `.equ` symbols and labels as "section#frag-run" offsets, so that two labels with no
   * variable part between them subtract to a constant, as GNU folds them. In code that may be relaxed
   * at link time GNU does not fold, and neither does this.
   */
  private lookupNow = (name: string): Value | undefined => {
    const s = this.syms.get(name);
    const user = this.evaluating.at(-1);
    if (user && (!s || s.kind === "undef")) {
      const waiting = this.waitingFor.get(name) ?? new Set<SymDef>();
      this.waitingFor.set(name, waiting.add(user));
    }
    if (!s) return undefined;
    if (user) (s.dependents ??= new Set()).add(user);
    if (s.kind === "equ") {
      if (s.evaluating) throw new ExprError(`symbol '${name}' is defined in terms of itself`, 0);
      // Each symbol's expression is evaluated by recursion inside the one naming it: bounded together,
      // and a known value counts as deep as its evaluation went.
      const known = s.known;
      const depth = known?.height ?? exprHeight(s.expr!) + 1;
      if (this.evalDepth + depth > MAX_SYMBOL_EXPR_DEPTH) {
        throw new TooDeep(`symbol '${name}' is defined through expressions nested more than ${MAX_SYMBOL_EXPR_DEPTH} deep (symbols defined by symbols), the limit`, 0);
      }
      if (known) {
        this.evalPeak = Math.max(this.evalPeak, this.evalDepth + known.height);
        if (known.error) throw known.error;
        return known.value;
      }
      const start = this.evalDepth;
      const outerPeak = this.evalPeak;
      s.evaluating = true;
      this.evaluating.push(s);
      this.evalDepth += depth;
      this.evalPeak = this.evalDepth;
      try {
        const value = evaluate(s.expr!, this.lookupNow);
        s.known = { value, height: this.evalPeak - start };
        return value;
      } catch (e) {
        // Too deep is the symbol's own when its evaluation started at the top; else it depends on where.
        if (e instanceof TooDeep && start === 0) s.known = { value: undefined, error: e, height: MAX_SYMBOL_EXPR_DEPTH + 1 };
        else if (e instanceof ExprError && !(e instanceof TooDeep)) s.known = { value: undefined, error: e, height: this.evalPeak - start };
        throw e;
      } finally {
        s.evaluating = false;
        this.evaluating.pop();
        this.evalDepth = start;
        this.evalPeak = Math.max(outerPeak, this.evalPeak);
      }
    }
    if (s.kind === "label") {
      const sec = this.sections[s.sec!]!;
      if (sec.exec && this.opts.relax) return { sec: `${s.sec}#${s.pos!.raw}`, off: 0n };
      return { sec: `${s.sec}#${s.pos!.v}`, off: BigInt(s.pos!.raw) };
    }
    return undefined;
  };

  private tryConst(e: Expr): bigint | undefined {
    try {
      const v = evaluate(e, this.lookupNow);
      return v && v.sec === null ? v.off : undefined;
    } catch (err) {
      if (err instanceof ExprError && err.col === 0) throw err;
      return undefined;
    }
  }

  private needConst(e: Expr, t: Token, what: string): bigint {
    const v = evaluate(e, this.lookupNow);
    if (!v || v.sec !== null) throw new ExprError(`expected ${what}: a constant expression (symbols must be defined before use)`, t.col, t.end);
    return v.off;
  }

  // ---- sections -------------------------------------------------------------------------------

  private switchSection(name: string, flags?: string, type?: string, t?: Token): void {
    let idx = this.sections.findIndex((s) => s.name === name);
    if (idx < 0) {
      const d = defaultFlags(name);
      let alloc = d.alloc;
      let write = d.write;
      let exec = d.exec;
      if (flags !== undefined) {
        alloc = flags.includes("a");
        write = flags.includes("w");
        exec = flags.includes("x");
        const bad = flags.replace(/[awxMSGTo?]/g, "");
        if (bad && t) this.err(this.line, t.col, `unknown section flag(s) '${bad}'; expected a, w, x`);
      }
      const nobits = type === "@nobits" || type === "%nobits" ? true : type !== undefined ? false : d.nobits;
      const sec = new SectionBuilder(name, alloc, write, exec, nobits);
      // GNU as gives code sections the instruction alignment from the start.
      if (exec) sec.align = this.opts.rvc ? 2 : 4;
      this.sections.push(sec);
      idx = this.sections.length - 1;
    }
    if (idx !== this.curIndex) this.prevIndex = this.curIndex;
    this.curIndex = idx;
    this.cur = this.sections[idx]!;
  }

  // ---- instructions ---------------------------------------------------------------------------

  private makeContext(): InsnContext {
    // Getters read the options live, because `.option rvc/norvc/push/pop` change them mid-file.
    const opts = () => this.opts;
    return {
      get rvc() {
        return opts().rvc;
      },
      get relax() {
        return opts().relax;
      },
      hasExt: (e) => (e === "C" ? this.opts.rvc || this.opts.exts.has("C") : this.opts.exts.has(e)),
      expr: (ts) => parseExpr(ts, this.hooks),
      constant: (e) => this.tryConst(e),
      emit: (bits, size, fix) => this.emitInsn(bits, size, fix),
      emitBranch: (b) => this.emitBranch(b),
      hereLabel: () => this.hereLabel(),
    };
  }

  private insnContext?: InsnContext;

  private instruction(mn: Token, rest: Token[], stop: number): void {
    if (this.cur.nobits) throw new ExprError(`instructions cannot go in the ${this.cur.name} section (it holds no bytes)`, mn.col, mn.end);
    this.insnContext ??= this.makeContext();
    this.markLine();
    assembleInstruction(this.insnContext, mn, rest, stop);
  }

  private markLine(): void {
    const p = this.cur.pos;
    this.cur.lines.push({ pos: p, file: this.lineAt.file, line: this.lineAt.line });
  }

  private emitInsn(bits: number, size: 2 | 4, fix?: { kind: FixKind; expr: Expr }): void {
    if (fix) {
      const relax = this.opts.relax && fix.kind !== "rvc_branch" && fix.kind !== "rvc_jump";
      this.noteRefs(fix.expr);
      this.cur.addFixup(this.cur.pos, fix.kind, fix.expr, relax, this.loc);
    }
    this.cur.put(bits, size);
  }

  private emitBranch(b: BranchVar): void {
    this.noteRefs(b.target);
    this.cur.addVar({ kind: "branch", raw: this.cur.len, b, loc: this.loc, size: b.rvc ? 2 : 4 });
  }

  /** Makes sure every symbol an expression mentions has an entry, so undefined ones can be reported. */
  private noteRefs(e: Expr): void {
    if (e.k === "sym") this.symbolRef(e.name);
    else if (e.k === "un" || e.k === "reloc") this.noteRefs(e.a);
    else if (e.k === "bin") {
      this.noteRefs(e.a);
      this.noteRefs(e.b);
    }
  }

  // ---- directives -----------------------------------------------------------------------------

  private operands(rest: Token[]): TokenStream[] {
    const ops: TokenStream[] = [];
    let cur: Token[] = [];
    let depth = 0;
    for (const t of rest) {
      if (t.kind === "end") break;
      if (t.kind === "op" && t.text === "(") depth++;
      if (t.kind === "op" && t.text === ")") depth--;
      if (depth === 0 && t.kind === "op" && t.text === ",") {
        cur.push({ kind: "end", text: "", col: t.col, end: t.col });
        ops.push(new TokenStream(cur));
        cur = [];
        continue;
      }
      cur.push(t);
    }
    const endCol = rest[rest.length - 1]?.col ?? 0;
    if (cur.length > 0 || ops.length > 0) {
      cur.push({ kind: "end", text: "", col: endCol, end: endCol });
      ops.push(new TokenStream(cur));
    }
    return ops;
  }

  private directive(name: string, head: Token, rest: Token[], text: string, argStart: number, stop: number): void {
    const ops = () => this.operands(rest);
    const nameArg = (ts: TokenStream | undefined, what: string): Token => {
      const t = ts?.next();
      if (!t || t.kind !== "name") throw new ExprError(`${name} expects ${what}`, t?.col ?? head.end, t?.end);
      return t;
    };
    switch (name) {
      case ".text":
      case ".data":
      case ".bss":
      case ".rodata":
        return this.switchSection(name);
      case ".section":
      case ".pushsection": {
        const o = ops();
        if (o.length === 0) throw new ExprError(`${name} expects a section name`, head.end);
        const first = o[0]!;
        let secName = "";
        while (!first.atEnd) secName += first.next().text;
        if (!/^[\w.$]+$/.test(secName)) throw new ExprError(`'${secName}' is not a section name`, first.toks[0]!.col);
        const flags = o[1]?.peek.kind === "str" ? latin1(o[1].peek.bytes!) : undefined;
        let type: string | undefined;
        if (o[2]) type = o[2].toks.slice(0, -1).map((t) => t.text).join("");
        if (name === ".pushsection") this.sectionStack.push(this.curIndex);
        return this.switchSection(secName, flags, type, head);
      }
      case ".popsection": {
        const idx = this.sectionStack.pop();
        if (idx === undefined) throw new ExprError(".popsection without .pushsection", head.col, head.end);
        this.switchSection(this.sections[idx]!.name);
        return;
      }
      case ".previous":
        return this.switchSection(this.sections[this.prevIndex]!.name);
      case ".globl":
      case ".global":
      case ".weak":
      case ".local":
        for (const o of ops()) {
          const t = nameArg(o, "symbol names");
          const s = this.symbolRef(t.text);
          s.global = name !== ".local";
        }
        return;
      case ".type": {
        const o = ops();
        const t = nameArg(o[0], "a symbol and a type");
        const ty = o[1]?.toks.slice(0, -1).map((x) => x.text).join("") ?? "";
        const s = this.symbolRef(t.text);
        if (/^[@%]?(function|STT_FUNC)$/.test(ty) || ty === '"function"') s.type = "func";
        else if (/^[@%]?(object|STT_OBJECT)$/.test(ty)) s.type = "object";
        else if (!/^[@%]?(notype|STT_NOTYPE)$/.test(ty)) throw new ExprError(`unknown symbol type '${ty}'; expected @function, @object or @notype`, o[1]?.toks[0]?.col ?? head.end);
        return;
      }
      case ".size": {
        const o = ops();
        const t = nameArg(o[0], "a symbol and a size");
        if (!o[1]) throw new ExprError(".size expects a symbol and a size", head.end);
        const e = this.exprOf(o[1]);
        this.noteRefs(e);
        this.symbolRef(t.text).sizeExpr = e;
        return;
      }
      case ".equ":
      case ".set":
      case ".equiv": {
        const o = ops();
        const t = nameArg(o[0], "a symbol and a value");
        if (!o[1]) throw new ExprError(`${name} expects a symbol and a value`, head.end);
        return this.setSymbol(t.text, t, this.exprOf(o[1]), name === ".equiv");
      }
      case ".byte":
      case ".half":
      case ".short":
      case ".2byte":
      case ".word":
      case ".long":
      case ".4byte":
      case ".dword":
      case ".quad":
      case ".8byte":
        return this.data(name, rest, head);
      case ".ascii":
      case ".asciz":
      case ".string": {
        this.noBss(head);
        const o = ops();
        if (o.length === 0) throw new ExprError(`${name} expects one or more strings`, head.end);
        this.markData();
        for (const ts of o) {
          const t = ts.next();
          if (t.kind !== "str" || !ts.atEnd) throw new ExprError(`${name} expects strings in double quotes`, t.col, t.end);
          this.cur.putBytes(t.bytes!);
          if (name !== ".ascii") this.cur.put(0, 1);
        }
        return;
      }
      case ".zero":
      case ".space":
      case ".skip": {
        const o = ops();
        if (o.length === 0) throw new ExprError(`${name} expects a byte count`, head.end);
        const n = this.count(this.exprOf(o[0]!), o[0]!.toks[0]!, "a byte count");
        const fill = o[1] ? this.needConst(this.exprOf(o[1]), o[1].toks[0]!, "a fill byte") : 0n;
        if (this.cur.nobits && fill !== 0n) throw new ExprError(`a non-zero fill in ${this.cur.name}`, head.col);
        this.checkImage(n, head);
        this.markData();
        this.cur.fill(n, fill);
        return;
      }
      case ".fill": {
        const o = ops();
        if (o.length === 0) throw new ExprError(".fill expects repeat[, size[, value]]", head.end);
        const n = this.count(this.exprOf(o[0]!), o[0]!.toks[0]!, "a repeat count");
        const sizeTok = o[1]?.toks[0];
        const size = o[1] ? this.needConst(this.exprOf(o[1]), sizeTok!, "a size") : 1n;
        const value = o[2] ? this.needConst(this.exprOf(o[2]), o[2].toks[0]!, "a value") : 0n;
        if (size < 0n) throw new ExprError(".fill size must not be negative", sizeTok!.col);
        if (size > MAX_FILL_SIZE) throw new ExprError(`.fill size ${size} is too large; the size is at most ${MAX_FILL_SIZE} bytes`, sizeTok!.col, sizeTok!.end);
        this.checkImage(n * Number(size), head);
        this.markData();
        this.cur.repeat(fillElement(Number(size), value), n);
        return;
      }
      case ".align":
      case ".p2align":
      case ".balign":
        return this.align(name, ops(), head);
      case ".option":
        return this.option(ops(), head);
      case ".include": {
        const t = rest[0];
        if (!t || t.kind !== "str") throw new ExprError('.include expects a file name in double quotes', head.end);
        const frame = this.frames[this.frames.length - 1]!;
        if (frame.includeDepth >= MAX_INCLUDE_DEPTH) throw includeTooDeep(".include", this.locAt(t.col));
        const wanted = latin1(t.bytes!);
        const found = resolveInclude(wanted, this.line.file, this.readFile);
        if (!found) throw new ExprError(`cannot find include file "${wanted}"`, t.col, t.end);
        const lines = this.readLines(found.text, found.path, this.locAt(t.col));
        this.frames.push({ lines, i: 0, macroDepth: frame.macroDepth, includeDepth: frame.includeDepth + 1, isMacro: false });
        return;
      }
      case ".macro":
        return this.defineMacro(text.slice(argStart, stop), head);
      case ".endm":
        throw new ExprError(".endm without .macro", head.col, head.end);
      case ".exitm": {
        const f = this.frames[this.frames.length - 1]!;
        if (!f.isMacro) throw new ExprError(".exitm outside a macro", head.col, head.end);
        f.i = f.lines.length;
        return;
      }
      case ".purgem": {
        const t = nameArg(ops()[0], "a macro name");
        if (!this.macros.delete(t.text.toLowerCase())) throw new ExprError(`no macro named '${t.text}'`, t.col, t.end);
        return;
      }
      case ".rept": {
        const o = ops();
        if (o.length !== 1) throw new ExprError(".rept expects a count", head.end);
        const n = this.count(this.exprOf(o[0]!), o[0]!.toks[0]!, "a repeat count");
        const body = this.collectBody(head, /^\s*\.(rept|irpc?)\b/i, /^\s*\.endr\b/i, ".endr");
        this.chargeExpansion(body, n, head);
        const lines: SourceLine[] = [];
        // An empty body repeated 2^28 times is nothing, at once.
        for (let i = 0; i < n && body.length > 0; i++) for (const l of body) lines.push(l);
        return this.pushExpansion(lines, false);
      }
      case ".irp":
      case ".irpc": {
        const argText = text.slice(argStart, stop);
        const m = /^\s*([A-Za-z_.$][\w.$]*)\s*(?:,\s*)?(.*)$/.exec(argText);
        if (!m) throw new ExprError(`${name} expects a symbol and values`, head.end);
        const body = this.collectBody(head, /^\s*\.(rept|irpc?)\b/i, /^\s*\.endr\b/i, ".endr");
        const values = name === ".irp" ? splitMacroArgs(m[2]!) : [...m[2]!.trim()];
        if (values.length === 0) values.push("");
        this.chargeExpansion(body, values.length, head);
        const lines: SourceLine[] = [];
        for (const v of values) {
          for (const l of body) lines.push({ ...l, text: substituteParams(l.text, new Map([[m[1]!, v]]), "") });
        }
        return this.pushExpansion(lines, false);
      }
      case ".endr":
        throw new ExprError(".endr without .rept or .irp", head.col, head.end);
      case ".end":
        this.ended = true;
        return;
      case ".error":
      case ".err": {
        const t = rest[0];
        throw new ExprError(t?.kind === "str" ? latin1(t.bytes!) : ".error directive", head.col, head.end);
      }
      case ".file":
      case ".ident":
      case ".attribute":
      case ".loc":
      case ".cfi_startproc":
      case ".cfi_endproc":
      case ".warning":
      case ".print":
      case ".hidden":
      case ".protected":
      case ".internal":
      case ".addrsig":
      case ".addrsig_sym":
        return;
    }
    if (name.startsWith(".cfi_")) return;
    throw new ExprError(`unknown directive '${head.text}'`, head.col, head.end);
  }

  private noBss(t: Token): void {
    if (this.cur.nobits) throw new ExprError(`${this.cur.name} holds no bytes; only .zero/.space/.skip (with zero) may go there`, t.col, t.end);
  }

  private markData(): void {
    this.markLine();
  }

  private count(e: Expr, t: Token, what: string): number {
    const v = this.needConst(e, t, what);
    if (v < 0n) throw new ExprError(`${what} must not be negative (it is ${v})`, t.col, t.end);
    if (v > 1n << 28n) throw new ExprError(`${what} ${v} is too large (at most ${1 << 28})`, t.col, t.end);
    return Number(v);
  }

  /** Charges `times` copies of `body` to the work budget, before they are made. */
  private chargeExpansion(body: SourceLine[], times: number, t: Token): void {
    let chars = 0;
    for (const l of body) chars += l.text.length;
    this.budget.charge(body.length * times, chars * times, this.locAt(t.col));
  }

  /** Refuses `bytes` more in the current section when the image would grow past its limit. */
  private checkImage(bytes: number, t: Token): void {
    let total = bytes;
    for (const s of this.sections) if (s.alloc) total += s.size;
    if (total > MAX_IMAGE_BYTES) throw new ExprError(imageTooLarge(t.text, total), t.col, t.end);
  }

  private data(name: string, rest: Token[], head: Token): void {
    this.noBss(head);
    const size = { ".byte": 1, ".half": 2, ".short": 2, ".2byte": 2, ".word": 4, ".long": 4, ".4byte": 4, ".dword": 8, ".quad": 8, ".8byte": 8 }[name]!;
    const o = this.operands(rest);
    if (o.length === 0) throw new ExprError(`${name} expects one or more values`, head.end);
    this.markData();
    for (const ts of o) {
      if (ts.peek.kind === "str" && size === 1) {
        // GNU accepts strings in .byte.
        this.cur.putBytes(ts.next().bytes!);
        continue;
      }
      const e = this.exprOf(ts);
      const v = this.tryConst(e);
      if (v !== undefined) {
        const lim = 1n << BigInt(size * 8);
        if (size < 8 && (v >= lim || v < -lim)) throw new ExprError(`value ${v} does not fit in ${size} byte${size > 1 ? "s" : ""}`, ts.toks[0]!.col);
        this.cur.put(v, size);
        continue;
      }
      this.noteRefs(e);
      this.cur.addFixup(this.cur.pos, `data${size}` as FixKind, e, false, this.loc);
      this.cur.put(0, size);
    }
  }

  private align(name: string, o: TokenStream[], head: Token): void {
    if (o.length === 0) throw new ExprError(`${name} expects an alignment`, head.end);
    const a = this.needConst(this.exprOf(o[0]!), o[0]!.toks[0]!, "an alignment");
    let pow: number;
    const at = o[0]!.toks[0]!;
    if (name === ".balign") {
      if (a <= 0n || (a & (a - 1n)) !== 0n) throw new ExprError(`.balign needs a power of two, not ${a}`, at.col);
      pow = a.toString(2).length - 1;
      if (pow > MAX_ALIGN_POW) throw new ExprError(`.balign ${a} is too large; alignments are at most 2^${MAX_ALIGN_POW} (1 GiB)`, at.col, at.end);
    } else {
      if (a < 0n || a > BigInt(MAX_ALIGN_POW)) throw new ExprError(`${name} needs a power between 0 and ${MAX_ALIGN_POW}, not ${a}`, at.col);
      pow = Number(a);
    }
    const fillTok = o[1] && !o[1].atEnd ? o[1] : undefined;
    const fill = fillTok ? Number(BigInt.asUintN(8, this.needConst(this.exprOf(fillTok), fillTok.toks[0]!, "a fill value"))) : undefined;
    const max = o[2] ? Number(this.needConst(this.exprOf(o[2]), o[2].toks[0]!, "a maximum")) : Infinity;
    const bytes = 1 << pow;
    if (bytes > this.cur.align) this.cur.align = bytes;
    const code = this.cur.exec;
    if (code && fill === undefined && this.opts.relax && max === Infinity) {
      // GNU (riscv_frag_align_code): the worst-case NOPs, and R_RISCV_ALIGN so the linker trims them.
      const insnAlign = this.opts.rvc ? 2 : 4;
      if (bytes <= insnAlign) return;
      const worst = bytes - insnAlign;
      this.checkImage(worst, head);
      this.cur.addFixup(this.cur.pos, "align", { k: "num", v: BigInt(worst) }, true, this.loc, worst);
      this.cur.putNops(worst);
      return;
    }
    this.checkImage((bytes - (this.cur.size % bytes)) % bytes, head);
    this.cur.addVar({ kind: "align", raw: this.cur.len, pow, fill, max, code, rvc: this.opts.rvc, size: 0 });
  }

  private option(o: TokenStream[], head: Token): void {
    const first = o[0]?.next();
    if (!first || first.kind !== "name") throw new ExprError(".option expects rvc, norvc, push, pop, relax, norelax or arch", head.end);
    switch (first.text) {
      case "rvc":
        this.opts = { ...this.opts, rvc: true, exts: new Set(this.opts.exts).add("C") };
        this.everRvc = true;
        return;
      case "norvc": {
        const exts = new Set(this.opts.exts);
        exts.delete("C");
        this.opts = { ...this.opts, rvc: false, exts };
        return;
      }
      case "relax":
      case "norelax":
        this.opts = { ...this.opts, relax: first.text === "relax" };
        return;
      case "push":
        this.optStack.push(this.opts);
        return;
      case "pop": {
        const p = this.optStack.pop();
        if (!p) throw new ExprError(".option pop without .option push", first.col, first.end);
        this.opts = p;
        return;
      }
      case "pic":
      case "nopic":
      case "csr-check":
      case "no-csr-check":
        return;
      case "arch": {
        const args = o.slice(1).map((ts) => ts.toks.slice(0, -1).map((t) => t.text).join(""));
        if (args.length === 0) throw new ExprError(".option arch expects +ext, -ext or an rv64… string", first.end);
        const r = applyArchOption(this.opts.exts, args);
        if (typeof r === "string") throw new ExprError(r, o[1]!.toks[0]!.col);
        this.opts = { ...this.opts, exts: r, rvc: r.has("C") };
        if (r.has("C")) this.everRvc = true;
        return;
      }
    }
    throw new ExprError(`unknown .option '${first.text}'; expected rvc, norvc, push, pop, relax, norelax, arch`, first.col, first.end);
  }

  // ---- conditionals ---------------------------------------------------------------------------

  private conditional(name: string, rest: Token[], head: Token): boolean {
    const ifs = [".if", ".ifdef", ".ifndef", ".ifeq", ".ifne", ".ifgt", ".ifge", ".iflt", ".ifle", ".ifb", ".ifnb"];
    if (ifs.includes(name)) {
      const parentActive = this.active();
      let value = false;
      if (parentActive) {
        this.withErrors(() => {
          value = this.condValue(name, rest, head);
        });
      }
      this.conds.push({ active: parentActive && value, taken: value, parentActive });
      return true;
    }
    if (name === ".else" || name === ".elseif") {
      const c = this.conds[this.conds.length - 1];
      if (!c) {
        this.err(this.line, head.col, `${name} without .if`, head.end);
        return true;
      }
      if (name === ".else") {
        c.active = c.parentActive && !c.taken;
        c.taken = true;
      } else {
        let v = false;
        if (c.parentActive && !c.taken) this.withErrors(() => (v = this.condValue(".if", rest, head)));
        c.active = v;
        if (v) c.taken = true;
      }
      return true;
    }
    if (name === ".endif") {
      if (!this.conds.pop()) this.err(this.line, head.col, ".endif without .if", head.end);
      return true;
    }
    return false;
  }

  private condValue(name: string, rest: Token[], head: Token): boolean {
    const ts = new TokenStream(rest.length ? rest : [{ kind: "end", text: "", col: head.end, end: head.end }]);
    if (name === ".ifdef" || name === ".ifndef") {
      const t = ts.next();
      if (t.kind !== "name") throw new ExprError(`${name} expects a symbol name`, t.col, t.end);
      const s = this.syms.get(t.text);
      return (s !== undefined && s.kind !== "undef") === (name === ".ifdef");
    }
    if (name === ".ifb" || name === ".ifnb") return (rest.length <= 1) === (name === ".ifb");
    const v = this.needConst(this.exprOf(ts), rest[0] ?? head, "a condition");
    switch (name) {
      case ".ifeq": return v === 0n;
      case ".ifgt": return v > 0n;
      case ".ifge": return v >= 0n;
      case ".iflt": return v < 0n;
      case ".ifle": return v <= 0n;
      default: return v !== 0n;
    }
  }

  // ---- macros and repetition ------------------------------------------------------------------

  /** Takes the lines up to the matching end directive out of the current frame. */
  private collectBody(head: Token, open: RegExp, close: RegExp, closeName: string): SourceLine[] {
    const f = this.frames[this.frames.length - 1]!;
    const body: SourceLine[] = [];
    let depth = 1;
    const startLine = this.line;
    while (f.i < f.lines.length) {
      const l = f.lines[f.i++]!;
      const t = stripLabels(l.text);
      if (open.test(t)) depth++;
      else if (close.test(t) && --depth === 0) return body;
      body.push(l);
    }
    this.err(startLine, head.col, `'${head.text}' without ${closeName}; expected ${closeName} before the end of the file`, head.end);
    return body;
  }

  private defineMacro(args: string, head: Token): void {
    const m = /^\s*([A-Za-z_.$][\w.$]*)\s*,?\s*(.*)$/.exec(args);
    const body = this.collectBody(head, /^\s*\.macro\b/i, /^\s*\.endm\b/i, ".endm");
    if (!m) throw new ExprError(".macro expects a name", head.end);
    const params = splitMacroArgs(m[2]!.trim(), true).filter((p) => p !== "").map((p) => {
      const pm = /^([A-Za-z_.$][\w.$]*)\s*(?::\s*(req|vararg))?\s*(?:=\s*(.*))?$/.exec(p.trim());
      if (!pm) throw new ExprError(`macro parameter '${p}' is not a name`, head.end);
      return { name: pm[1]!, def: pm[3], req: pm[2] === "req", vararg: pm[2] === "vararg" };
    });
    this.macros.set(m[1]!.toLowerCase(), { name: m[1]!, params, body });
  }

  private invokeMacro(mac: Macro, text: string, argStart: number, stop: number, head: Token): void {
    const frame = this.frames[this.frames.length - 1]!;
    if (frame.macroDepth >= MAX_MACRO_DEPTH) {
      throw new ExprError(`macros nested more than ${MAX_MACRO_DEPTH} deep (does '${mac.name}' invoke itself?)`, head.col, head.end);
    }
    const raw = splitMacroArgs(text.slice(argStart, stop).trim(), false);
    const values = new Map<string, string>();
    let positional = 0;
    for (let k = 0; k < raw.length; k++) {
      const a = raw[k]!;
      const kw = /^([A-Za-z_.$][\w.$]*)\s*=(?!=)\s*(.*)$/.exec(a);
      if (kw && mac.params.some((p) => p.name === kw[1])) {
        values.set(kw[1]!, kw[2]!);
        continue;
      }
      const p = mac.params[positional++];
      if (!p) throw new ExprError(`macro '${mac.name}' takes ${mac.params.length} argument(s); too many given`, head.col, head.end);
      values.set(p.name, p.vararg ? raw.slice(k).join(", ") : a);
      if (p.vararg) break;
    }
    for (const p of mac.params) {
      if (values.has(p.name) && values.get(p.name) !== "") continue;
      if (p.req) throw new ExprError(`macro '${mac.name}' needs a value for parameter '${p.name}'`, head.col, head.end);
      values.set(p.name, p.def ?? "");
    }
    const counter = String(this.macroCounter++);
    const lines = mac.body.map((l) => ({ ...l, text: substituteParams(l.text, values, counter) }));
    this.chargeExpansion(lines, 1, head);
    this.frames.push({ lines, i: 0, at: frame.at ?? this.line, macroDepth: frame.macroDepth + 1, includeDepth: frame.includeDepth, isMacro: true });
  }

  private pushExpansion(lines: SourceLine[], isMacro: boolean): void {
    const frame = this.frames[this.frames.length - 1]!;
    this.frames.push({ lines, i: 0, at: frame.at, macroDepth: frame.macroDepth + (isMacro ? 1 : 0), includeDepth: frame.includeDepth, isMacro: frame.isMacro });
  }

  // ---- the object file ------------------------------------------------------------------------

  private finish(): Omit<ObjectFile, "defines"> {
    const sectionOf = new Map<number, number>();
    const none: Omit<ObjectFile, "defines"> = { sections: [], symbols: [], undefined: new Map(), rvc: this.everRvc };
    // GNU as pads code sections to their alignment at the end (write.c, subsegs_finish_section): with
    // zeros when relaxing (the alignment frag gets no NOPs then), with NOPs otherwise.
    for (const sec of this.sections) {
      if (sec.align > 1 && sec.exec) {
        const code = !this.opts.relax;
        sec.addVar({ kind: "align", raw: sec.len, pow: Math.log2(sec.align), fill: code ? undefined : 0, max: Infinity, code, rvc: this.opts.rvc, size: 0 });
      }
    }
    // Branch sizes: a target is resolvable when it is a plain label (+ constant) in the same section.
    this.sections.forEach((sec, idx) => {
      sec.relax((e) => {
        let sym: string | undefined;
        let add = 0n;
        if (e.k === "sym") sym = e.name;
        else if (e.k === "bin" && (e.op === "+" || e.op === "-") && e.a.k === "sym") {
          const c = this.tryConst(e.b);
          if (c === undefined) return undefined;
          sym = e.a.name;
          add = e.op === "+" ? c : -c;
        }
        const s = sym === undefined ? undefined : this.syms.get(sym);
        if (!s || s.kind !== "label" || s.sec !== idx) return undefined;
        return { pos: s.pos!, add: Number(add) };
      });
    });
    // Relaxation settles the alignment padding, which the directives could only estimate.
    let total = 0;
    for (const s of this.sections) if (s.alloc) total += s.size;
    if (total > MAX_IMAGE_BYTES) {
      this.err(this.line, 0, imageTooLarge("alignment padding", total));
      return none;
    }
    // A symbol defined before the symbols it names was not evaluated then; a loop or a chain too deep shows now.
    for (const s of this.syms.values()) {
      if (s.kind !== "equ") continue;
      try {
        this.lookupNow(s.name);
      } catch (e) {
        if (!(e instanceof ExprError)) throw e;
        if (e.col === 0) this.diags.error(s.loc, e.message);
      }
    }
    const used = this.sections.filter((s, i) => s.size > 0 || s.lines.length > 0 || i === 0 || this.hasLabels(i));
    used.forEach((s) => sectionOf.set(this.sections.indexOf(s), sectionOf.size));
    const undef = new Map<string, SourceLoc>();
    const symbols: ObjSymbol[] = [];
    for (const s of this.syms.values()) {
      if (s.kind === "undef") {
        undef.set(s.name, s.loc);
        continue;
      }
      if (s.kind === "label") {
        const sec = this.sections[s.sec!]!;
        symbols.push({ name: s.name, section: sectionOf.get(s.sec!) ?? 0, value: BigInt(sec.offsetOf(s.pos!)), global: s.global, type: s.type, sizeExpr: s.sizeExpr, local: s.local || s.name.includes("\u0002") || s.name.includes("\u0001"), loc: s.loc });
      } else {
        symbols.push({ name: s.name, section: -1, value: 0n, global: s.global, type: s.type, sizeExpr: s.sizeExpr, local: s.local, loc: s.loc, expr: s.expr });
      }
    }
    return { sections: used.map((s) => s.finish()), symbols, undefined: undef, rvc: this.everRvc };
  }

  private hasLabels(idx: number): boolean {
    for (const s of this.syms.values()) if (s.kind === "label" && s.sec === idx) return true;
    return false;
  }
}

/**
 * Forgets a symbol's known value and, transitively, the values computed from it. Each symbol is
 * visited once per change: forgetting clears what would lead back to it.
 */
function forget(s: SymDef): void {
  const todo = [s];
  for (let t = todo.pop(); t; t = todo.pop()) {
    const dependents = t.dependents;
    t.known = undefined;
    t.dependents = undefined;
    dependents?.forEach((d) => (d.known || d.dependents) && todo.push(d));
  }
}

/** Default flags of the sections GNU as knows by name. */
function defaultFlags(name: string): { alloc: boolean; write: boolean; exec: boolean; nobits: boolean } {
  const is = (p: string) => name === p || name.startsWith(p + ".");
  if (is(".text") || name === ".init" || name === ".fini") return { alloc: true, write: false, exec: true, nobits: false };
  if (is(".rodata") || is(".srodata")) return { alloc: true, write: false, exec: false, nobits: false };
  if (is(".data") || is(".sdata") || is(".tdata")) return { alloc: true, write: true, exec: false, nobits: false };
  if (is(".bss") || is(".sbss") || is(".tbss")) return { alloc: true, write: true, exec: false, nobits: true };
  return { alloc: false, write: false, exec: false, nobits: false };
}

function stripLabels(text: string): string {
  return text.replace(/^(\s*[\w.$]+:)+/, "");
}

/** Splits macro arguments at commas (or blanks, as GNU allows), keeping quoted strings and parentheses whole. */
function splitMacroArgs(s: string, params = false): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  let quote = false;
  const push = () => {
    out.push(cur.trim());
    cur = "";
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      cur += c;
      if (c === "\\" && i + 1 < s.length) cur += s[++i];
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (depth === 0 && c === ",") {
      push();
      continue;
    }
    if (depth === 0 && (c === " " || c === "\t") && !params) {
      // A blank separates arguments unless an operator joins the two sides (`a + b`).
      let j = i;
      while (j < s.length && (s[j] === " " || s[j] === "\t")) j++;
      const prev = cur.trimEnd().slice(-1);
      const next = s[j] ?? "";
      if (cur.trim() !== "" && next !== "" && next !== "," && !/[-+*/%&|^<>=!~(]/.test(prev) && !/[-+*/%&|^<>=!)]/.test(next)) {
        push();
        i = j - 1;
        continue;
      }
      i = j - 1;
      cur += " ";
      continue;
    }
    if (params && depth === 0 && (c === " " || c === "\t")) {
      let j = i;
      while (j < s.length && (s[j] === " " || s[j] === "\t")) j++;
      const next = s[j] ?? "";
      if (cur.trim() !== "" && next !== "," && next !== "=" && next !== ":" && !cur.trimEnd().endsWith("=") && !cur.trimEnd().endsWith(":")) {
        push();
        i = j - 1;
        continue;
      }
      i = j - 1;
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== "" || out.length > 0) push();
  return out;
}

/** Replaces `\param`, `\@` and `\()` in a macro body line. */
function substituteParams(text: string, values: Map<string, string>, counter: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(/\\(@|\(\)|[A-Za-z_.$][\w.$]*)/g, (whole, name: string) => {
    if (name === "@") return counter;
    if (name === "()") return "";
    // The longest parameter name that prefixes the text wins (`\ab` with params a and ab).
    for (let n = name.length; n > 0; n--) {
      const v = values.get(name.slice(0, n));
      if (v !== undefined) return v + name.slice(n);
    }
    return whole;
  });
}

/** Assembles a file into an object (sections, symbols, fixups). */
export function assembleObject(
  file: string,
  text: string,
  readFile: (path: string) => string | undefined,
  march: string,
  diags: Diagnostics,
  budget: WorkBudget,
): ObjectFile {
  return new Assembler(readFile, march, diags, budget).assembleFile(file, text);
}

/** A symbol's expressions nest past MAX_SYMBOL_EXPR_DEPTH from where its evaluation started. */
class TooDeep extends ExprError {}

/** One `.fill` element of `size` bytes: GNU writes at most the value's low 4 bytes, little-endian, and zeros above. */
function fillElement(size: number, value: bigint): Uint8Array {
  const out = new Uint8Array(size);
  const n = Math.min(size, 4);
  let v = BigInt.asUintN(n * 8, value);
  for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
