import { div32, div64, mul64, mulhSigned, mulhu64, R } from "./alu64";
import type { Hart } from "./hart";
import { borrow, carry, geu, gtu, ltu } from "./int32_expr";
import { decodedWord } from "./mem";
import { Op } from "./ops";

/**
 * The translator: JavaScript functions for each hot 4 KiB code page (a region), made with
 * `new Function`. PERFORMANCE-NOTES.md measured why this shape: dispatch, not decoding, is the cost;
 * one function per page with registers in JS locals and loops kept inside it ran ~700 MIPS where the
 * interpreter runs ~80.
 *
 * ## What a region is
 * A region belongs to one physical RAM page and the virtual page it was fetched through (its pcs are
 * compiled in as numbers: auipc, link values, branch targets). Its blocks start at the page's
 * leaders: the entry pcs the dispatcher saw (run.ts), every in-page branch/jump target, the
 * instruction after a call or an out-of-line instruction, found by following the code statically
 * from those entries (the whole reachable code of the page), and the pcs where its indirect jumps
 * were seen to go (run.ts learns them from misses). A block runs to the next control transfer,
 * leader, breakpoint or instruction it does not handle. The blocks are split into functions (one per
 * loop nest, the rest cut in address order), each small enough for V8 to optimize, compiled once per
 * page with `new Function`; a rebuilt region keeps the functions whose source is unchanged. Each is
 *
 *     let l5 = x[10], h5 = x[11], …                    // the registers the page uses, in locals
 *     dispatch: for (;;) switch (b) {                   // b: the block to run (a jump table)
 *       case 3: for (;;) {                              // a block that branches to itself loops here
 *         if (ret + 7 > end) { …bail… }                 // the budget is exact: blocks that do not fit
 *         ret += 7;                                     //   are left to the interpreter
 *         …                                             // straight-line code on the locals
 *         if (l10 !== l7 || h10 !== h7) continue;       // the loop
 *         break; }
 *       case 4: …                                       // fall-through to the next block
 *     }
 *     h.pcNum = pc; h.retired = ret; x[10] = l5; …      // the one exit: registers back, return
 *
 * ## What stays exact, and how
 * Compiled code handles only the common case and otherwise *bails*: it stops before the instruction,
 * with pc, the retired count and every register exact, and returns 1; the dispatcher then runs that
 * block's remainder in the interpreter, which does everything the slow way. It bails on: a load or
 * store whose page is not in the software TLB (TLB miss, MMIO, a watched page, PMP, a page that holds
 * code: so self-modifying code and watchpoints go through mem.ts), a page-crossing access, an
 * out-of-line instruction (CSR access, xRET, ecall, WFI, fences, atomics, illegal: so every privilege,
 * translation or interrupt-enable change happens outside), an instruction crossing the page, a jalr to
 * an address beyond ±2^52, a breakpoint's pc (compiled in as a bail, so pages without breakpoints
 * pay nothing), and a block that does not fit in the remaining budget (so timer deadlines, which end
 * the board's slices, stay exact to the instruction). Nothing in a region can raise a trap, change
 * privilege or mstatus, or touch a device, so no interrupt can become pending inside one, and the
 * counters, which derive from h.retired, are only ever read out of line, where h.retired is exact.
 * A jump out of the function (out of the page, to another function, or to an in-page pc that is not
 * a leader) returns 0 with the pc.
 *
 * Execution counters (exec_counts.ts) are compiled in too: a counted slot always starts a block,
 * whose code bumps `CNT[slot]` right after its first instruction (a bail before that leaves the
 * count to the interpreter, which counts the instruction when it runs it); a counted `jalr`, whose
 * range check can bail, is left to the interpreter whole.
 *
 * Validity: a region is dropped when its page's decoded code is (a write to the code bytes: mem.ts,
 * ramWritten), when the breakpoints of its virtual page or the counted slots of its page change, and on reset. The dispatcher enters
 * it only when the current fetch translation of its virtual page is its physical page with the whole
 * page executable (the software TLB for fetches), so satp, sfence.vma, PMP, privilege and (with H)
 * V, vsatp, hgatp and hfence changes need nothing here. H instructions are out of line, so they bail.
 */

export type RegionFn = (h: Hart, end: number, entry: number) => number;

export interface Region {
  readonly vbase: number;
  /** Its functions: one per loop nest, and the other blocks in functions of bounded size. */
  readonly fns: RegionFn[];
  /** Per halfword slot of the page, where a block starts: function · 2048 + block; else −1. */
  readonly entries: Int32Array;
  /** Its functions by their source, for a rebuild to keep the unchanged ones. */
  readonly bySource: Map<string, RegionFn>;
  /** The entry offsets it was built from (kept to rebuild it with more). */
  readonly seeds: Set<number>;
  /** The in-page pcs it missed before (where indirect jumps went: a switch's jump table), kept the same way. */
  readonly jumpTargets: Set<number>;
  /** The breakpoints compiled in (BreakpointSet.pageKey) and the set's version they were checked at. */
  readonly bpKey: string;
  bpVersion: number;
  /** The version of the page's counted slots compiled in (ExecCounts.pageVersion), and ExecCounts.version when that was last checked. */
  readonly countPageVersion: number;
  countVersion: number;
  /** In-page pcs control reached that are not leaders, and how often that happened, since it was built. */
  readonly missed: Set<number>;
  misses: number;
  readonly generation: number;
}

/**
 * Instructions per block at most (a longer run is cut into blocks): with MAX_SWITCH_NEST, the bound on
 * a function's size, since V8 does not optimize a function beyond 60 KB of bytecode.
 */
const MAX_BLOCK = 256;

const enum Kind { Plain, Branch, Jal, Jalr, Bail }

interface Insn {
  off: number;
  w: number;
  imm: number;
  kind: Kind;
}

const MRET = 0x30200073, SRET = 0x10200073, ECALL = 0x00000073, EBREAK = 0x00100073, C_EBREAK = 0x9002;

/** Ops the translator compiles; the rest bail to the interpreter. */
function kindOf(op: number): Kind {
  if (op >= Op.Beq && op <= Op.Bgeu) return Kind.Branch;
  if (op === Op.Jal) return Kind.Jal;
  if (op === Op.Jalr) return Kind.Jalr;
  if (op >= Op.Slow || op === Op.Illegal) return Kind.Bail;
  return Kind.Plain;
}

class PageCode {
  readonly insns = new Map<number, Insn>();
  constructor(
    private readonly h: Hart,
    private readonly page: number,
    private readonly bps: Uint8Array | undefined,
    /** The page's execution counters (ExecCounts.page), if it has any. */
    readonly counts: Float64Array | undefined,
  ) {}

  /** Whether the instruction at `off` has its executions counted. */
  counted(off: number): boolean {
    return this.counts !== undefined && this.counts[off >> 1] >= 0;
  }

  /** The instruction at `off`; a breakpoint or a page-crossing instruction is a bail. */
  at(off: number): Insn {
    let i = this.insns.get(off);
    if (i) return i;
    const w = decodedWord(this.h, this.page, off);
    const blk = this.h.codeBlocks[this.page]!;
    const bp = this.bps !== undefined && this.bps[off >> 1] !== 0;
    const kind = bp || w <= 0 ? Kind.Bail : kindOf(w & 127);
    i = { off, w, imm: w > 0 ? blk[off + 1] : 0, kind: kind === Kind.Jalr && this.counted(off) ? Kind.Bail : kind };
    this.insns.set(off, i);
    return i;
  }

  /** Whether control can come back after the out-of-line instruction at `off` (not after xRET/ecall/ebreak). */
  returnsAfter(off: number): boolean {
    const i = this.at(off);
    if (i.w <= 0 || (i.w & 127) === Op.Illegal) return false;
    const v = this.h.bus.ram.view, at = this.page * 4096 + off;
    const raw = (i.w >>> 28) === 2 ? v.getUint16(at, true) : v.getUint32(at, true);
    return raw !== MRET && raw !== SRET && raw !== ECALL && raw !== EBREAK && raw !== C_EBREAK;
  }
}

const len = (i: Insn): number => i.w > 0 ? i.w >>> 28 : 2;
const rdOf = (w: number): number => { const r = ((w >>> 7) & 127) >> 1; return r === 32 ? 0 : r; };
const rs1Of = (w: number): number => ((w >>> 14) & 127) >> 1;
const rs2Of = (w: number): number => ((w >>> 21) & 127) >> 1;

/** The leaders reachable from the seeds, following the code within the page. */
function findLeaders(code: PageCode, seeds: Iterable<number>): Set<number> {
  const leaders = new Set<number>();
  const work: number[] = [];
  const add = (off: number): void => {
    if (off >= 0 && off < 4096 && off % 2 === 0 && !leaders.has(off)) {
      leaders.add(off);
      work.push(off);
    }
  };
  for (const s of seeds) add(s);
  const walked = new Set<number>();
  while (work.length > 0) {
    let off = work.pop()!;
    for (let n = 0; off < 4096 && !walked.has(off); n++) {
      if (n === MAX_BLOCK || (n > 0 && code.counted(off))) { add(off); break; }
      walked.add(off);
      const i = code.at(off);
      const next = off + len(i);
      if (i.kind === Kind.Branch) { add(off + i.imm); add(next); break; }
      if (i.kind === Kind.Jal || i.kind === Kind.Jalr) {
        if (i.kind === Kind.Jal) add(off + i.imm);
        if (rdOf(i.w) !== 0) add(next);
        break;
      }
      if (i.kind === Kind.Bail) {
        if (i.w > 0 && code.returnsAfter(off)) add(next);
        break;
      }
      off = next;
    }
  }
  return leaders;
}

interface Block {
  start: number;
  insns: Insn[];
  /** The instruction that ends it (a control transfer, or a bail it does not execute), if any. */
  last: Insn | undefined;
  /** Where it falls through to when it ends without a control transfer. */
  fall: number;
}

function buildBlocks(code: PageCode, leaders: Set<number>): Block[] {
  const blocks: Block[] = [];
  for (const start of [...leaders].sort((a, b) => a - b)) {
    const insns: Insn[] = [];
    let off = start;
    let last: Insn | undefined;
    while (off < 4096 && (off === start || !leaders.has(off))) {
      const i = code.at(off);
      if (i.kind !== Kind.Plain) { last = i; break; }
      insns.push(i);
      off += len(i);
    }
    blocks.push({ start, insns, last, fall: off });
  }
  return blocks;
}

const lit = (n: number): string => (n < 0 ? `(${n})` : `${n}`);
const lo32 = (v: number): number => v | 0;
const hi32 = (v: number): number => Math.floor(v / 4294967296) | 0;

/** Generates one region's source. */
class Gen {
  private readonly out: string[] = [];
  readonly used = new Set<number>();
  readonly written = new Set<number>();
  /** Access sites whose probe is done once per call (`ri<k>`, −1 until then). */
  probesKept = 0;
  private blockIndex = new Map<number, number>();
  /** Registers that no instruction of this function writes (the rd field of every one counts). */
  private readonly unwritten = new Set<number>();

  /** Whether it has a jalr that looks its target up in `ENT`, its own table of blocks by page offset. */
  jumpsIndirectly = false;

  /** `blocks`: this function's blocks, ascending; `code`: their page, for its counted slots. */
  constructor(private readonly vbase: number, private readonly blocks: Block[], private readonly code: PageCode) {
    blocks.forEach((b, i) => this.blockIndex.set(b.start, i));
    for (let r = 1; r < 32; r++) this.unwritten.add(r);
    for (const b of blocks) for (const i of b.last ? [...b.insns, b.last] : b.insns) this.unwritten.delete(rdOf(i.w));
  }

  private L(r: number): string { if (r === 0) return "0"; this.used.add(r); return `l${r}`; }
  private H(r: number): string { if (r === 0) return "0"; this.used.add(r); return `h${r}`; }
  private W(r: number): [string, string] { this.used.add(r); this.written.add(r); return [`l${r}`, `h${r}`]; }
  private emit(s: string): void { this.out.push(s); }

  /** Sets rd from expressions for its halves, evaluated before either is written. */
  private set(rd: number, lo: string, hi: string): void {
    if (rd === 0) return;
    const [l, h] = this.W(rd);
    this.emit(`ta = ${lo}; ${h} = ${hi}; ${l} = ta;`);
  }

  /** Sets rd to a 32-bit result sign-extended. */
  private setW(rd: number, lo: string): void {
    if (rd === 0) return;
    const [l, h] = this.W(rd);
    this.emit(`${l} = ${lo}; ${h} = ${l} >> 31;`);
  }

  private setConst(rd: number, v: number): void {
    if (rd === 0) return;
    const [l, h] = this.W(rd);
    this.emit(`${l} = ${lit(lo32(v))}; ${h} = ${lit(hi32(v))};`);
  }

  private copy(rd: number, rs: number): void {
    if (rd === 0 || rd === rs) return;
    const [l, h] = this.W(rd);
    this.emit(`${l} = ${this.L(rs)}; ${h} = ${this.H(rs)};`);
  }

  /**
   * Leaves before the instruction at `pc`, `undo` instructions of the block's count not done. Only
   * constants are assigned here: code that has never run has no type feedback, and V8 deoptimizes the
   * whole function the first time such code runs, so the arithmetic is done once, at the exit.
   */
  private bail(pc: number, undo: number): string {
    return `{ pc = ${lit(pc)}; undo = ${undo}; code = 1; break dispatch; }`;
  }

  /** Control to in-page offset `off` or anywhere else (`pc` known). `self`: the enclosing loop's block. */
  private goto(pc: number, self: number | undefined): string {
    const off = pc - this.vbase;
    if (off === self) return "continue;";
    const j = this.blockIndex.get(off);
    return j === undefined ? `{ pc = ${lit(pc)}; break dispatch; }` : `{ b = ${j}; continue dispatch; }`;
  }

  source(): string {
    this.blocks.forEach((b, j) => this.block(b, j));
    return this.out.join("\n");
  }

  private block(b: Block, j: number): void {
    const base = this.vbase;
    const k = b.insns.length + (b.last && b.last.kind !== Kind.Bail ? 1 : 0);
    const t = b.last;
    const selfLoop = t !== undefined && (t.kind === Kind.Branch || t.kind === Kind.Jal) && t.off + t.imm === b.start;
    this.emit(`case ${j}:${selfLoop ? " for (;;) {" : ""}`);
    if (k > 0) {
      this.emit(`if (ret + ${k} > end) ${this.bail(base + b.start, 0)}`);
      this.emit(`ret += ${k};`);
    }
    // A counted slot's count goes up once its instruction is done (exec_counts.ts).
    const count = this.code.counted(b.start) ? `CNT[${b.start >> 1}]++;` : "";
    b.insns.forEach((ins, i) => {
      this.plain(ins, base + ins.off, k - i);
      if (i === 0 && count) this.emit(count);
    });
    if (b.insns.length === 0 && count && t && t.kind !== Kind.Bail) this.emit(count);
    const self = selfLoop ? b.start : undefined;
    if (!t) {
      if (this.blockIndex.get(b.fall) !== j + 1) this.emit(this.goto(base + b.fall, undefined));
      return;
    }
    const pc = base + t.off;
    const next = pc + len(t);
    switch (t.kind) {
      case Kind.Bail:
        this.emit(this.bail(pc, 0));
        return;
      case Kind.Branch:
        this.emit(`if (${this.cond(t)}) ${this.goto(pc + t.imm, self)}`);
        break;
      case Kind.Jal:
        this.setConst(rdOf(t.w), next);
        if (selfLoop) { this.emit("continue; }"); return; }
        this.emit(this.goto(pc + t.imm, undefined));
        return;
      case Kind.Jalr:
        this.jalr(t, pc, next);
        return;
    }
    if (selfLoop) this.emit("break; }");
    if (this.blockIndex.get(next - base) !== j + 1) this.emit(this.goto(next, undefined));
  }

  private jalr(t: Insn, pc: number, next: number): void {
    const rs1 = rs1Of(t.w);
    if (rs1 === 0) {
      this.setConst(rdOf(t.w), next);
      const target = t.imm - (t.imm & 1);
      this.emit(this.goto(target, undefined));
      return;
    }
    // The target in int32 halves (ta: low, tb: high), so that the in-page test allocates nothing
    // (int32_expr.ts); only a jump out of the function makes it one number.
    const l = this.L(rs1), imm = lit(t.imm);
    this.emit(`tb = ${this.H(rs1)}; if (tb < -1048576 || tb >= 1048576) ${this.bail(pc, 1)}`);
    this.emit(`ta = (${l} + ${imm}) | 0; tb = (tb + ${lit(t.imm >> 31)} + ${carry(l, imm, "ta")}) | 0; ta = ta & -2;`);
    this.setConst(rdOf(t.w), next);
    this.jumpsIndirectly = true;
    this.emit(`if (tb === ${lit(hi32(this.vbase))} && (ta & -4096) === ${lit(lo32(this.vbase))}) { e = ENT[(ta & 4095) >> 1]; if (e >= 0) { b = e; continue dispatch; } }`);
    this.emit(`pc = tb * 4294967296 + (ta >>> 0); break dispatch;`);
  }

  private cond(t: Insn): string {
    const a = rs1Of(t.w), b = rs2Of(t.w);
    const al = this.L(a), ah = this.H(a), bl = this.L(b), bh = this.H(b);
    switch (t.w & 127) {
      case Op.Beq: return `${al} === ${bl} && ${ah} === ${bh}`;
      case Op.Bne: return `${al} !== ${bl} || ${ah} !== ${bh}`;
      case Op.Blt: return `${ah} < ${bh} || (${ah} === ${bh} && ${ltu(al, bl)})`;
      case Op.Bge: return `${ah} > ${bh} || (${ah} === ${bh} && ${geu(al, bl)})`;
      case Op.Bltu: return `${ltu(ah, bh)} || (${ah} === ${bh} && ${ltu(al, bl)})`;
      default: return `${gtu(ah, bh)} || (${ah} === ${bh} && ${geu(al, bl)})`;
    }
  }

  /** A straight-line instruction at `pc`; `undo` = instructions of the block not done if it bails. */
  private plain(i: Insn, pc: number, undo: number): void {
    const w = i.w, imm = i.imm;
    const rd = rdOf(w), a = rs1Of(w), b = rs2Of(w);
    const al = (): string => this.L(a), ah = (): string => this.H(a);
    const bl = (): string => this.L(b), bh = (): string => this.H(b);
    const il = lit(imm), ih = lit(imm >> 31);
    switch (w & 127) {
      case Op.Lui: return this.setConst(rd, imm);
      case Op.Auipc: return this.setConst(rd, pc + imm);
      case Op.Lb: case Op.Lh: case Op.Lw: case Op.Ld: case Op.Lbu: case Op.Lhu: case Op.Lwu:
        return this.load(i, pc, undo);
      case Op.Sb: case Op.Sh: case Op.Sw: case Op.Sd:
        return this.store(i, pc, undo);
      case Op.Addi:
        if (imm === 0) return this.copy(rd, a);
        if (a === 0) return this.setConst(rd, imm);
        return this.add(rd, a, il, ih);
      case Op.Slti: return this.set(rd, `${ah()} < ${ih} || (${ah()} === ${ih} && ${ltu(al(), il)}) ? 1 : 0`, "0");
      case Op.Sltiu: return this.set(rd, `${ltu(ah(), ih)} || (${ah()} === ${ih} && ${ltu(al(), il)}) ? 1 : 0`, "0");
      case Op.Xori: return this.set(rd, `${al()} ^ ${il}`, `${ah()} ^ ${ih}`);
      case Op.Ori: return this.set(rd, `${al()} | ${il}`, `${ah()} | ${ih}`);
      case Op.Andi: return this.set(rd, `${al()} & ${il}`, imm < 0 ? ah() : "0");
      case Op.Slli: return this.shiftImm(rd, a, imm, "l");
      case Op.Srli: return this.shiftImm(rd, a, imm, "r");
      case Op.Srai: return this.shiftImm(rd, a, imm, "a");
      case Op.Add:
        if (a === 0) return this.copy(rd, b);
        if (b === 0) return this.copy(rd, a);
        return this.add(rd, a, bl(), bh());
      case Op.Sub:
        return this.set(rd, `(${al()} - ${bl()}) | 0`, `(${ah()} - ${bh()} - ${borrow(al(), bl(), "ta")}) | 0`);
      case Op.Sll: return this.shiftVar(rd, a, b, "l");
      case Op.Srl: return this.shiftVar(rd, a, b, "r");
      case Op.Sra: return this.shiftVar(rd, a, b, "a");
      case Op.Slt: return this.set(rd, `${ah()} < ${bh()} || (${ah()} === ${bh()} && ${ltu(al(), bl())}) ? 1 : 0`, "0");
      case Op.Sltu: return this.set(rd, `${ltu(ah(), bh())} || (${ah()} === ${bh()} && ${ltu(al(), bl())}) ? 1 : 0`, "0");
      case Op.Xor: return this.set(rd, `${al()} ^ ${bl()}`, `${ah()} ^ ${bh()}`);
      case Op.Or: return this.set(rd, `${al()} | ${bl()}`, `${ah()} | ${bh()}`);
      case Op.And: return this.set(rd, `${al()} & ${bl()}`, `${ah()} & ${bh()}`);
      case Op.Addiw: return this.setW(rd, `(${al()} + ${il}) | 0`);
      case Op.Slliw: return this.setW(rd, `${al()} << ${imm}`);
      case Op.Srliw: return this.setW(rd, `(${al()} >>> ${imm}) | 0`);
      case Op.Sraiw: return this.setW(rd, `${al()} >> ${imm}`);
      case Op.Addw: return this.setW(rd, `(${al()} + ${bl()}) | 0`);
      case Op.Subw: return this.setW(rd, `(${al()} - ${bl()}) | 0`);
      case Op.Sllw: return this.setW(rd, `${al()} << (${bl()} & 31)`);
      case Op.Srlw: return this.setW(rd, `(${al()} >>> (${bl()} & 31)) | 0`);
      case Op.Sraw: return this.setW(rd, `${al()} >> (${bl()} & 31)`);
      case Op.Mulw: return this.setW(rd, `Math.imul(${al()}, ${bl()})`);
      case Op.Mul: return this.helper(rd, `mul64(${al()}, ${ah()}, ${bl()}, ${bh()})`);
      case Op.Mulh: return this.helper(rd, `mulhSigned(${al()}, ${ah()}, ${bl()}, ${bh()}, true)`);
      case Op.Mulhsu: return this.helper(rd, `mulhSigned(${al()}, ${ah()}, ${bl()}, ${bh()}, false)`);
      case Op.Mulhu: return this.helper(rd, `mulhu64(${al()}, ${ah()}, ${bl()}, ${bh()})`);
      case Op.Div: return this.helper(rd, `div64(${al()}, ${ah()}, ${bl()}, ${bh()}, true, false)`);
      case Op.Divu: return this.helper(rd, `div64(${al()}, ${ah()}, ${bl()}, ${bh()}, false, false)`);
      case Op.Rem: return this.helper(rd, `div64(${al()}, ${ah()}, ${bl()}, ${bh()}, true, true)`);
      case Op.Remu: return this.helper(rd, `div64(${al()}, ${ah()}, ${bl()}, ${bh()}, false, true)`);
      case Op.Divw: return this.helper(rd, `div32(${al()}, ${bl()}, true, false)`);
      case Op.Divuw: return this.helper(rd, `div32(${al()}, ${bl()}, false, false)`);
      case Op.Remw: return this.helper(rd, `div32(${al()}, ${bl()}, true, true)`);
      case Op.Remuw: return this.helper(rd, `div32(${al()}, ${bl()}, false, true)`);
      case Op.Fence: return;
    }
    throw new Error(`translator: op ${w & 127} is not straight-line`);
  }

  /**
   * rd = a + b, given b's halves. All int32, the carry too (int32_expr.ts). A low sum held as a
   * double (above 2^32 on a carry) made every pointer increment a floating-point add and a truncation.
   */
  private add(rd: number, a: number, bLow: string, bHigh: string): void {
    if (rd === 0) return;
    const al = this.L(a), ah = this.H(a);
    const [l, h] = this.W(rd);
    this.emit(`ta = (${al} + ${bLow}) | 0; ${h} = (${ah} + ${bHigh} + ${carry(al, bLow, "ta")}) | 0; ${l} = ta;`);
  }

  private helper(rd: number, call: string): void {
    this.emit(`${call};`);
    if (rd !== 0) {
      const [l, h] = this.W(rd);
      this.emit(`${l} = R[0]; ${h} = R[1];`);
    }
  }

  private shiftImm(rd: number, a: number, s: number, kind: "l" | "r" | "a"): void {
    if (s === 0) return this.copy(rd, a);
    const al = this.L(a), ah = this.H(a);
    if (kind === "l") {
      if (s < 32) return this.set(rd, `${al} << ${s}`, `(${ah} << ${s}) | (${al} >>> ${32 - s})`);
      return this.set(rd, "0", `${al} << ${s - 32}`);
    }
    if (s < 32) {
      return this.set(rd, `(${al} >>> ${s}) | (${ah} << ${32 - s})`, kind === "a" ? `${ah} >> ${s}` : `(${ah} >>> ${s}) | 0`);
    }
    if (kind === "a") return this.set(rd, `${ah} >> ${s - 32}`, `${ah} >> 31`);
    return this.set(rd, `(${ah} >>> ${s - 32}) | 0`, "0");
  }

  private shiftVar(rd: number, a: number, b: number, kind: "l" | "r" | "a"): void {
    if (rd === 0) return;
    const al = this.L(a), ah = this.H(a);
    this.emit(`s = ${this.L(b)} & 63;`);
    const [l, h] = this.W(rd);
    if (kind === "l") {
      this.emit(`if (s === 0) { ta = ${al}; tb = ${ah}; } else if (s < 32) { ta = ${al} << s; tb = (${ah} << s) | (${al} >>> (32 - s)); } else { ta = 0; tb = ${al} << (s - 32); }`);
    } else if (kind === "r") {
      this.emit(`if (s === 0) { ta = ${al}; tb = ${ah}; } else if (s < 32) { ta = (${al} >>> s) | (${ah} << (32 - s)); tb = (${ah} >>> s) | 0; } else { ta = (${ah} >>> (s - 32)) | 0; tb = 0; }`);
    } else {
      this.emit(`if (s === 0) { ta = ${al}; tb = ${ah}; } else if (s < 32) { ta = (${al} >>> s) | (${ah} << (32 - s)); tb = ${ah} >> s; } else { ta = ${ah} >> (s - 32); tb = ${ah} >> 31; }`);
    }
    this.emit(`${l} = ta; ${h} = tb;`);
  }

  /**
   * The software-TLB probe for rs1 + imm; bails when the page is not there, else leaves the RAM index
   * in `ri`. It compares the slot's int32 key (Hart.keyR, keyW; tlb.ts, noKey), not its tag. The
   * address stays in int32 halves (ea: low word, eh: high word), so the page number
   * eh · 2^20 + (ea >>> 12) is exact and, for every Sv39 or bare RAM address, a small integer, and
   * the RAM index is int32 arithmetic: doubles here (the address as one number, Math.floor, a double
   * index) cost more than half of a memory-heavy loop's time.
   */
  private probe(i: Insn, pc: number, undo: number, size: number, tag: string, page: string): void {
    const a = rs1Of(i.w);
    // Nothing inside a call changes the software TLB (fills and flushes are out of line), so an
    // address made from a register the function never writes (sp, a global pointer) is probed at the
    // first access of a call and the RAM index kept for the rest of it.
    if (a !== 0 && !this.unwritten.has(a)) return this.fullProbe(i, pc, undo, size, tag, page);
    const k = this.probesKept++;
    this.emit(`if (ri${k} < 0) {`);
    this.fullProbe(i, pc, undo, size, tag, page);
    this.emit(`ri${k} = ri; } else ri = ri${k};`);
  }

  private fullProbe(i: Insn, pc: number, undo: number, size: number, tag: string, page: string): void {
    const a = rs1Of(i.w), imm = i.imm;
    if (a === 0) this.emit(`ea = ${lit(imm)}; eh = ${lit(imm >> 31)};`);
    else if (imm === 0) this.emit(`ea = ${this.L(a)}; eh = ${this.H(a)};`);
    else this.emit(`ea = (${this.L(a)} + ${lit(imm)}) | 0; eh = (${this.H(a)} + ${lit(imm >> 31)} + ${carry(this.L(a), lit(imm), "ea")}) | 0;`);
    this.emit(`si = (ea >>> 12) & 255;`);
    const cross = size > 1 ? ` || (ea & 4095) > ${4096 - size}` : "";
    this.emit(`if (${tag}[si] !== eh * 1048576 + (ea >>> 12)${cross}) ${this.bail(pc, undo)}`);
    this.emit(`ri = (ea & 4095) + ${page}[si];`);
  }

  private load(i: Insn, pc: number, undo: number): void {
    const op = i.w & 127;
    const size = op === Op.Lb || op === Op.Lbu ? 1 : op === Op.Lh || op === Op.Lhu ? 2 : op === Op.Ld ? 8 : 4;
    this.probe(i, pc, undo, size, "keyR", "pageR");
    const rd = rdOf(i.w);
    if (rd === 0) return;
    const [l, h] = this.W(rd);
    switch (op) {
      case Op.Lb: return this.emit(`${l} = (u8[ri] << 24) >> 24; ${h} = ${l} >> 31;`);
      case Op.Lbu: return this.emit(`${l} = u8[ri]; ${h} = 0;`);
      case Op.Lh: return this.emit(`${l} = dv.getInt16(ri, true); ${h} = ${l} >> 31;`);
      case Op.Lhu: return this.emit(`${l} = dv.getUint16(ri, true); ${h} = 0;`);
      case Op.Lw: return this.emit(`${l} = dv.getInt32(ri, true); ${h} = ${l} >> 31;`);
      case Op.Lwu: return this.emit(`${l} = dv.getInt32(ri, true); ${h} = 0;`);
      default: return this.emit(`${l} = dv.getInt32(ri, true); ${h} = dv.getInt32(ri + 4, true);`);
    }
  }

  private store(i: Insn, pc: number, undo: number): void {
    const op = i.w & 127;
    const size = op === Op.Sb ? 1 : op === Op.Sh ? 2 : op === Op.Sw ? 4 : 8;
    this.probe(i, pc, undo, size, "keyW", "pageW");
    const b = rs2Of(i.w);
    const bl = this.L(b);
    switch (op) {
      case Op.Sb: return this.emit(`u8[ri] = ${bl};`);
      case Op.Sh: return this.emit(`dv.setInt16(ri, ${bl}, true);`);
      case Op.Sw: return this.emit(`dv.setInt32(ri, ${bl}, true);`);
      default: return this.emit(`dv.setInt32(ri, ${bl}, true); dv.setInt32(ri + 4, ${this.H(b)}, true);`);
    }
  }
}

/** Entries encode (function, block) as function · GROUP_SPAN + block. */
const GROUP_SPAN = 2048;

/**
 * Loop nests bigger than this (instructions) are split below their header: one function per small
 * nest ran the CRC guest twice as fast as its whole outer loop in one (fewer locals live at the
 * dispatch loop). A nest that holds an indirect jump to learned targets (a switch) may reach
 * MAX_SWITCH_NEST: split, each case would return to the dispatcher.
 */
const MAX_NEST = 32;
const MAX_SWITCH_NEST = 256;

/**
 * Splits the blocks into functions: one per loop nest (a strongly connected component of the
 * in-page control-flow graph, or a block that branches to itself), and the rest cut into functions
 * of at most MAX_NEST instructions (or one longer block): a function that takes in more of the page
 * than it runs is compiled again by V8 each time a new path through it first runs (the mixed guest
 * ran 72 MIPS with the rest of its page in 600-instruction functions, 96 in 24-instruction ones).
 * A nest bigger than MAX_NEST is split: its header goes to the rest and what remains is split again,
 * so a program's outermost loop does not swallow all of its inner loops.
 * A function only deoptimizes and recompiles for its own code, and V8 compiles a small one in a
 * millisecond or two: with one function per page, the first run of each new path (a loop's exit,
 * the next phase of the program) threw the whole page back to V8's interpreter for tens of ms.
 */
function groupBlocks(blocks: Block[], jumpTargets: Set<number>): number[] {
  const at = new Map<number, number>();
  blocks.forEach((b, i) => at.set(b.start, i));
  const switches = new Set<number>();
  const succ = blocks.map((b, j) => {
    const out: number[] = [];
    const t = b.last;
    const to = (off: number): void => { const j = at.get(off); if (j !== undefined) out.push(j); };
    if (!t) to(b.fall);
    else if (t.kind === Kind.Branch) { to(t.off + t.imm); to(t.off + len(t)); }
    else if (t.kind === Kind.Jal) to(t.off + t.imm);
    else if (t.kind === Kind.Jalr && rdOf(t.w) === 0 && rs1Of(t.w) !== 1 && rs1Of(t.w) !== 5 && jumpTargets.size > 0) {
      switches.add(j);
      for (const off of jumpTargets) to(off);
    }
    return out;
  });
  const size = (m: number[]): number => m.reduce((n, j) => n + blocks[j].insns.length + 1, 0);
  const group = new Array<number>(blocks.length).fill(-1);
  let groups = 0;
  const split = (members: number[]): void => {
    for (const scc of components(members, succ)) {
      if (scc.length === 1 && !succ[scc[0]].includes(scc[0])) continue;
      if (size(scc) <= (scc.some((m) => switches.has(m)) ? MAX_SWITCH_NEST : MAX_NEST)) {
        for (const m of scc) group[m] = groups;
        groups++;
        continue;
      }
      // The header: the member entered from outside the nest (else the lowest), left to the rest.
      const inside = new Set(scc);
      const entered = scc.filter((m) => blocks.some((_, p) => !inside.has(p) && succ[p].includes(m)));
      const header = (entered.length ? entered : scc).reduce((a, b) => Math.min(a, b));
      split(scc.filter((m) => m !== header));
    }
  };
  split(blocks.map((_, i) => i));
  // The rest in address order, so that most fall-throughs stay inside one function.
  let room = 0;
  blocks.forEach((b, j) => {
    if (group[j] >= 0) return;
    if (room < b.insns.length + 1) { groups++; room = MAX_NEST; }
    group[j] = groups - 1;
    room -= b.insns.length + 1;
  });
  return group;
}

/** The strongly connected components of the subgraph on `members` (Tarjan's algorithm). */
function components(members: number[], succ: number[][]): number[][] {
  const inSet = new Set(members);
  const index = new Map<number, number>(), low = new Map<number, number>();
  const onStack = new Set<number>(), stack: number[] = [], out: number[][] = [];
  let counter = 0;
  const visit = (v: number): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of succ[v]) {
      if (!inSet.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: number[] = [];
    let w: number;
    do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
    out.push(scc);
  };
  for (const v of members) if (!index.has(v)) visit(v);
  return out;
}

/** The function's source: only its blocks go into it, so an unchanged function reads the same in a rebuilt region. */
function functionSource(vbase: number, first: number, gen: Gen, body: string): string {
  const regs = [...gen.used].sort((a, b) => a - b);
  const load = regs.map((r) => `l${r} = x[${2 * r}], h${r} = x[${2 * r + 1}]`).join(", ");
  const kept = Array.from({ length: gen.probesKept }, (_, k) => `ri${k} = -1`).join(", ");
  const store = [...gen.written].sort((a, b) => a - b).map((r) => `x[${2 * r}] = l${r}; x[${2 * r + 1}] = h${r};`).join(" ");
  return `function region_${Math.abs(vbase).toString(16)}_${first.toString(16)}(h, end, b) {
  let ret = h.retired, pc = 0, code = 0, undo = 0, ea = 0, eh = 0, si = 0, ri = 0, ta = 0, tb = 0, e = 0, s = 0;
  ${load ? `let ${load};` : ""}
  ${kept ? `let ${kept};` : ""}
  dispatch: for (;;) {
    switch (b) {
${body}
      default: pc = h.pcNum; code = 1; break dispatch;
    }
  }
  h.pcNum = pc; h.retired = ret - undo;
  ${store}
  return code;
}`;
}

/**
 * Translates the code page `page` (RAM page number) fetched at `vbase`, starting from `seeds`
 * (page offsets where control entered it); `jumpTargets` (some of the seeds) are where its indirect
 * jumps that are not returns were seen to go, so that a switch stays in one function with its cases.
 * `bps` holds the page's breakpoint slots, compiled in as bails. `previous`: the region this one
 * replaces (built for the same code and breakpoints), whose functions are kept where the source is
 * the same, with the type feedback and optimized code V8 has for them.
 */
export function translatePage(h: Hart, page: number, vbase: number, seeds: Set<number>, jumpTargets: Set<number>,
  bps: Uint8Array | undefined, bpKey: string, previous: Region | undefined): Region {
  const counts = h.execCounts.page(page);
  const code = new PageCode(h, page, bps, counts);
  const blocks = buildBlocks(code, findLeaders(code, seeds));
  const group = groupBlocks(blocks, jumpTargets);
  const groups = Math.max(0, ...group) + 1;
  const entries = new Int32Array(2048).fill(-1);
  const bySource = new Map<string, RegionFn>();
  const fns: RegionFn[] = [];
  const fresh: { g: number; source: string; table: Int16Array | undefined }[] = [];
  for (let g = 0; g < groups; g++) {
    const mine = blocks.filter((_, j) => group[j] === g);
    mine.forEach((b, k) => (entries[b.start >> 1] = g * GROUP_SPAN + k));
    const gen = new Gen(vbase, mine, code);
    const source = functionSource(vbase, mine[0]!.start, gen, gen.source());
    const kept = previous?.bySource.get(source);
    if (kept) {
      fns[g] = kept;
      bySource.set(source, kept);
      continue;
    }
    let table: Int16Array | undefined;
    if (gen.jumpsIndirectly) {
      table = new Int16Array(2048).fill(-1);
      mine.forEach((b, k) => (table![b.start >> 1] = k));
    }
    fresh.push({ g, source, table });
  }
  if (fresh.length > 0) {
    const ram = h.bus.ram;
    const factory = new Function("x", "u8", "dv", "keyR", "pageR", "keyW", "pageW", "CNT", "TABLES", "R",
      "mul64", "mulhSigned", "mulhu64", "div64", "div32",
      `"use strict";\nreturn [\n${fresh.map((f, i) => `((ENT) => ${f.source})(TABLES[${i}])`).join(",\n")}];`) as
      (...args: unknown[]) => RegionFn[];
    const made = factory(h.x, ram.bytes, ram.view, h.keyR, h.pageR, h.keyW, h.pageW, counts, fresh.map((f) => f.table), R,
      mul64, mulhSigned, mulhu64, div64, div32);
    // Run each new function's exit a few times (with no budget, its first block leaves at once and
    // changes nothing but the pc): a function that V8 optimizes while still inside its first call
    // (on-stack replacement) would otherwise carry an exit without type feedback, and deoptimize at
    // every later return. V8 starts collecting feedback only after a function's first 8 calls.
    const pc = h.pcNum;
    made.forEach((f, i) => {
      fns[fresh[i]!.g] = f;
      bySource.set(fresh[i]!.source, f);
      for (let n = 0; n < 10; n++) f(h, -1, 0);
    });
    h.pcNum = pc;
  }
  return { vbase, fns, entries, bySource, seeds, jumpTargets, bpKey,
    bpVersion: h.breakpoints.version, countPageVersion: h.execCounts.pageVersion(page), countVersion: h.execCounts.version, missed: new Set(), misses: 0, generation: previous ? previous.generation + 1 : 0 };
}
