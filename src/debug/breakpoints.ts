import type { DebugProtocol } from "@vscode/debugprotocol";
import { StopRule, interpolate } from "./conditions";
import { evaluate, type ExprEnv } from "./expressions";
import type { LineMap, SourceLine } from "./line_table";
import { parseMemoryRef } from "./memory_refs";
import type { SymbolTable } from "./symbols";

/** Where the program's code is: what source, function and instruction breakpoints resolve against. */
export interface CodeMap {
  lines: LineMap;
  symbols: SymbolTable;
  /** True when an instruction can be fetched at the address. */
  readable(addr: bigint): boolean;
  /** The expression environment, for function breakpoints given as expressions. */
  env: ExprEnv;
}

type Kind = "source" | "function" | "instruction";

interface CodeBreakpoint {
  id: number;
  kind: Kind;
  /** What the user asked for, kept so the breakpoint can be resolved again after a restart. */
  request: { path?: string; line?: number; name?: string; reference?: string; offset?: number };
  address?: bigint;
  rule?: StopRule;
  logMessage?: string;
  message?: string;
}

export interface HitDecision {
  stop: boolean;
  ids: number[];
  /** Logpoint output and condition errors, one line each. */
  output: string[];
}

let nextId = 1;
export const newBreakpointId = (): number => nextId++;

/**
 * Source, function and instruction breakpoints, resolved to addresses, with their conditions, hit
 * counts and logpoints. The run control asks `decide(pc)` whenever the machine stops at one.
 */
export class CodeBreakpoints {
  private readonly bySource = new Map<string, CodeBreakpoint[]>();
  private functions: CodeBreakpoint[] = [];
  private instructions: CodeBreakpoint[] = [];
  private index = new Map<bigint, CodeBreakpoint[]>();

  /** Until a program is loaded there is nothing to resolve against. */
  private code: CodeMap | undefined;

  setSource(path: string, requested: readonly DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    const bps = requested.map((r) => this.make("source", { path, line: r.line }, r.condition, r.hitCondition, r.logMessage));
    this.bySource.set(path, bps);
    this.reindex();
    return bps.map((b) => this.toDap(b));
  }

  setFunctions(requested: readonly DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.functions = requested.map((r) => this.make("function", { name: r.name }, r.condition, r.hitCondition));
    this.reindex();
    return this.functions.map((b) => this.toDap(b));
  }

  setInstructions(requested: readonly DebugProtocol.InstructionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.instructions = requested.map((r) => this.make("instruction", { reference: r.instructionReference, offset: r.offset ?? 0 }, r.condition, r.hitCondition));
    this.reindex();
    return this.instructions.map((b) => this.toDap(b));
  }

  /** Resolves every breakpoint again against a new program (after a restart); returns the DAP views. */
  rebind(code: CodeMap): DebugProtocol.Breakpoint[] {
    this.code = code;
    const all = this.all();
    for (const b of all) {
      const { address, message } = this.resolve(b.kind, b.request);
      b.address = address;
      b.message = message;
      b.rule?.resetHits();
    }
    this.reindex();
    return all.map((b) => this.toDap(b));
  }

  /** Every address with a breakpoint. */
  addresses(): IterableIterator<bigint> {
    return this.index.keys();
  }

  has(pc: bigint): boolean {
    return this.index.has(pc);
  }

  /** Whether some breakpoint has a hit condition (Reverse Continue must then count the hits of the past). */
  hasHitConditions(): boolean {
    return this.all().some((b) => b.rule?.hit !== undefined);
  }

  /** The timeline forked at `position`: hits after it never happened. */
  forgetHitsAfter(position: number): void {
    for (const b of this.all()) b.rule?.forgetHitsAfter(position);
  }

  /**
   * Evaluates the breakpoints at `pc`: logpoints log, conditions and hit counts decide. `at` is the
   * history position, which counts the hit (conditions.ts); without it no hit is counted.
   */
  decide(pc: bigint, env: ExprEnv, at?: number): HitDecision {
    const out: HitDecision = { stop: false, ids: [], output: [] };
    for (const b of this.index.get(pc) ?? []) {
      const verdict = b.rule ? b.rule.check(env, at) : { stop: true };
      if (verdict.error) out.output.push(`breakpoint ${b.id}: ${verdict.error}`);
      if (!verdict.stop) continue;
      if (b.logMessage !== undefined && !verdict.error) {
        out.output.push(interpolate(b.logMessage, env));
        continue;
      }
      out.stop = true;
      out.ids.push(b.id);
    }
    return out;
  }

  /**
   * Whether a stop by these breakpoints at a pc of line `here` shows the inlined call that begins
   * there, as gdb does for an address or a line of its body (a line of the inlined function's own
   * source); a breakpoint on the calling line or on a function stops at the call.
   */
  showsInlinedCall(ids: readonly number[], here: SourceLine | undefined): boolean {
    const lines = this.code?.lines;
    return this.all().some((b) => {
      if (!ids.includes(b.id) || b.kind === "function") return false;
      if (b.kind === "instruction") return true;
      const line = lines?.nearestLineWithCode(b.request.path!, b.request.line!);
      return here !== undefined && line === here.line && samePath(b.request.path!, here.file);
    });
  }

  private all(): CodeBreakpoint[] {
    return [...[...this.bySource.values()].flat(), ...this.functions, ...this.instructions];
  }

  private make(kind: Kind, request: CodeBreakpoint["request"], condition?: string, hitCondition?: string, logMessage?: string): CodeBreakpoint {
    const b: CodeBreakpoint = { id: newBreakpointId(), kind, request, logMessage };
    const rule = StopRule.create(condition, hitCondition);
    if (typeof rule === "string") {
      b.message = rule;
      return b;
    }
    if (rule.condition || rule.hit) b.rule = rule;
    const { address, message } = this.resolve(kind, request);
    b.address = address;
    b.message = message;
    return b;
  }

  private resolve(kind: Kind, r: CodeBreakpoint["request"]): { address?: bigint; message?: string } {
    if (!this.code) return { message: "no program is loaded" };
    const { lines, symbols } = this.code;
    if (kind === "source") {
      if (lines.empty) return { message: "this program has no line information (an ELF built without -g); use function or instruction breakpoints" };
      if (!lines.hasFile(r.path!)) return { message: `no code of this program comes from ${r.path}` };
      const line = lines.nearestLineWithCode(r.path!, r.line!);
      if (line === undefined) return { message: `no code at or after line ${r.line}` };
      return { address: lines.addressOf(r.path!, line)! };
    }
    if (kind === "function") {
      const name = r.name!.trim();
      const sym = symbols.lookup(name);
      if (sym) return { address: sym.address };
      try {
        return this.checked(evaluate(name, this.code.env));
      } catch (e) {
        return { message: `no function or symbol '${name}' (${(e as Error).message})` };
      }
    }
    const ref = parseMemoryRef(r.reference!);
    if (!ref || ref.space !== "va") return { message: `instruction reference '${r.reference}' is not a virtual address such as 0x80000000` };
    return this.checked(ref.addr + BigInt(r.offset ?? 0));
  }

  private checked(addr: bigint): { address?: bigint; message?: string } {
    const a = BigInt.asUintN(64, addr);
    if (a % 2n !== 0n) return { message: `0x${a.toString(16)} is not a valid instruction address (instructions are 2-byte aligned)` };
    if (!this.code?.readable(a)) return { message: `no memory at 0x${a.toString(16)}` };
    return { address: a };
  }

  private reindex(): void {
    this.index = new Map();
    for (const b of [...[...this.bySource.values()].flat(), ...this.functions, ...this.instructions]) {
      if (b.address === undefined) continue;
      const list = this.index.get(b.address);
      if (list) list.push(b);
      else this.index.set(b.address, [b]);
    }
  }

  private toDap(b: CodeBreakpoint): DebugProtocol.Breakpoint {
    const dap: DebugProtocol.Breakpoint = { id: b.id, verified: b.address !== undefined };
    if (b.message) dap.message = b.message;
    if (b.address === undefined) {
      (dap as { reason?: string }).reason = "failed";
      if (b.request.line !== undefined) dap.line = b.request.line;
      return dap;
    }
    dap.instructionReference = "0x" + b.address.toString(16);
    const where = this.code?.lines.lineOf(b.address);
    if (where) {
      dap.line = where.line;
      dap.source = { path: where.file, name: where.file.split(/[\\/]/).pop() };
    }
    return dap;
  }
}

/** Client paths may differ from the line table's in separators and case (Windows). */
function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, "/").toLowerCase();
  return norm(a) === norm(b);
}
