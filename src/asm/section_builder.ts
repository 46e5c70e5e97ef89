/**
 * A section while it is being assembled: fixed bytes in a growing buffer, plus "variable" parts whose
 * size is chosen once addresses are known (GNU's relaxable frags): branches that may be compressed or
 * expanded, and alignment padding. Everything recorded in the section (symbols, fixups, line entries)
 * holds a position `{ raw, v }`: the offset in the fixed bytes and how many variable parts precede it.
 *
 * A NOBITS section (.bss) counts its bytes but never stores them: its buffer stays empty, and writes
 * past a typed array's end are no-ops, so the same code serves both kinds.
 */
import { encB, encJ } from "../isa/fields";
import { encodeCompressed } from "./compress";
import type { SourceLoc } from "./diagnostics";
import type { BranchVar } from "./encode";
import { ExprError, type Expr } from "./expr";
import { imageTooLarge, MAX_IMAGE_BYTES } from "./limits";
import type { FixKind, Fixup, ObjSection } from "./object";

export interface Pos {
  raw: number;
  v: number;
}

export type VarPart =
  | { kind: "branch"; raw: number; b: BranchVar; loc: SourceLoc; size: number }
  | { kind: "align"; raw: number; pow: number; fill: number | undefined; max: number; code: boolean; rvc: boolean; size: number };

interface RawFixup {
  pos: Pos;
  kind: FixKind;
  expr: Expr;
  relax: boolean;
  alignBytes?: number;
  loc: SourceLoc;
}

export class SectionBuilder {
  buf = new Uint8Array(64);
  len = 0;
  readonly vars: VarPart[] = [];
  readonly fixups: RawFixup[] = [];
  readonly lines: { pos: Pos; file: string; line: number }[] = [];
  /** Alignment in bytes. */
  align = 1;
  /** Set when a variable part's size changed; offsets from before are stale. */
  private prefix: number[] | undefined;

  constructor(
    readonly name: string,
    readonly alloc: boolean,
    readonly write: boolean,
    readonly exec: boolean,
    readonly nobits: boolean,
  ) {}

  get pos(): Pos {
    return { raw: this.len, v: this.vars.length };
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length || this.nobits) return;
    // The directives that add many bytes check the whole image first; this bounds the rest.
    if (this.len + n > MAX_IMAGE_BYTES) throw new ExprError(imageTooLarge(`section ${this.name}`, this.len + n), 0);
    // Doubling amortizes small appends; one large directive gets what it needs, not the next power of two.
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Appends a little-endian value of `size` bytes. */
  put(value: number | bigint, size: number): void {
    this.grow(size);
    let v = BigInt.asUintN(size * 8, BigInt(value));
    if (size <= 4) {
      let n = Number(v);
      for (let i = 0; i < size; i++, n = Math.floor(n / 256)) this.buf[this.len++] = n & 0xff;
      return;
    }
    for (let i = 0; i < size; i++, v >>= 8n) this.buf[this.len++] = Number(v & 0xffn);
  }

  putBytes(bytes: ArrayLike<number>): void {
    this.grow(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.buf[this.len++] = bytes[i]!;
  }

  /** Appends `count` bytes of `value`. */
  fill(count: number, value: bigint): void {
    this.grow(count);
    this.buf.fill(Number(BigInt.asUintN(8, value)), this.len, this.len + count);
    this.len += count;
  }

  /** Appends `pattern` `count` times, by doubling copies rather than element by element. */
  repeat(pattern: Uint8Array, count: number): void {
    const total = pattern.length * count;
    this.grow(total);
    if (!this.nobits && total > 0) {
      const start = this.len;
      this.buf.set(pattern, start);
      for (let done = pattern.length; done < total; done *= 2) this.buf.copyWithin(start + done, start, start + Math.min(done, total - done));
    }
    this.len += total;
  }

  /** Inserts `n` bytes of RISC-V NOPs the way GNU does (riscv_make_nops): a 0, one c.nop, then nops. */
  putNops(n: number): void {
    this.grow(n);
    writeNops(this.buf, this.len, n);
    this.len += n;
  }

  addFixup(pos: Pos, kind: FixKind, expr: Expr, relax: boolean, loc: SourceLoc, alignBytes?: number): void {
    this.fixups.push({ pos, kind, expr, relax, loc, alignBytes });
  }

  addVar(v: VarPart): void {
    this.vars.push(v);
    this.prefix = undefined;
  }

  /** Section offset of a position, with the current sizes of the variable parts. */
  offsetOf(p: Pos): number {
    if (!this.prefix) {
      const pre = [0];
      for (const v of this.vars) pre.push(pre[pre.length - 1]! + v.size);
      this.prefix = pre;
    }
    return p.raw + this.prefix[p.v]!;
  }

  invalidate(): void {
    this.prefix = undefined;
  }

  get size(): number {
    return this.offsetOf(this.pos);
  }

  /**
   * Chooses the variable parts' sizes as GNU as does (write.c relax_segment, tc-riscv.c
   * relaxed_branch_length): a first estimate in address order, then passes until nothing changes.
   * `branchTarget` gives a branch target's position when it is a label defined in this section.
   */
  relax(branchTarget: (e: Expr) => { pos: Pos; add: number } | undefined): void {
    if (this.vars.length === 0) return;
    this.sizeVars(branchTarget, true);
    for (let iter = 0; iter < 100; iter++) {
      if (!this.sizeVars(branchTarget, false)) return;
    }
  }

  /**
   * One pass over the variable parts; true when a size changed. In a pass, a target before the branch
   * has its address from this pass and one after it from the previous pass, as GNU's frags do. In the
   * first estimate a later frag has no address yet (GNU's is still 0), so a label after the branch counts
   * from the start of its own frag: that guess decides between sizes that would both be consistent.
   */
  private sizeVars(branchTarget: (e: Expr) => { pos: Pos; add: number } | undefined, first: boolean): boolean {
    let changed = false;
    let shift = 0;
    // Sizes before index i are this pass's, the rest the previous pass's: offsetOf reads them as they are.
    const addressOf = (p: Pos, i: number): number => (first && p.v > i ? p.raw - this.vars[p.v - 1]!.raw : this.offsetOf(p));
    this.vars.forEach((v, i) => {
      const addr = v.raw + shift;
      let size: number;
      if (v.kind === "branch") {
        const target = branchTarget(v.b.target);
        size = v.b.jump ? 4 : 8;
        if (target !== undefined) {
          const val = addressOf(target.pos, i) + target.add - addr;
          const rvcRange = v.b.jump ? 2048 : 256;
          if (v.b.rvc && val >= -rvcRange && val < rvcRange) size = 2;
          else if (v.b.jump ? val >= -(1 << 20) && val < 1 << 20 : val >= -4096 && val < 4096) size = 4;
          else if (!v.b.jump && v.b.rvc) size = 6;
        }
      } else {
        const a = 1 << v.pow;
        size = (a - (addr % a)) % a;
        if (size > v.max) size = 0;
      }
      if (size !== v.size) {
        v.size = size;
        changed = true;
        this.prefix = undefined;
      }
      shift += v.size;
    });
    return changed;
  }

  /** The finished section: variable parts written out, fixups and lines at final offsets. */
  finish(): ObjSection {
    const size = this.size;
    const out = new Uint8Array(this.nobits ? 0 : size);
    const fixups: Fixup[] = [];
    let src = 0;
    let dst = 0;
    const put32 = (at: number, w: number) => {
      out[at] = w & 0xff;
      out[at + 1] = (w >>> 8) & 0xff;
      out[at + 2] = (w >>> 16) & 0xff;
      out[at + 3] = (w >>> 24) & 0xff;
    };
    const put16 = (at: number, w: number) => {
      out[at] = w & 0xff;
      out[at + 1] = (w >>> 8) & 0xff;
    };
    for (const v of this.vars) {
      const n = v.raw - src;
      if (!this.nobits) out.set(this.buf.subarray(src, v.raw), dst);
      src = v.raw;
      dst += n;
      if (v.kind === "align") {
        if (!this.nobits) {
          if (v.code && v.fill === undefined) writeNops(out, dst, v.size);
          else out.fill(v.fill ?? 0, dst, dst + v.size);
        }
      } else {
        const b = v.b;
        const fix = (at: number, kind: FixKind) => fixups.push({ offset: at, kind, expr: b.target, relax: false, loc: v.loc });
        const cb = (name: string) => {
          const r = encodeCompressed(name, { rs1: b.rs1, imm: 0 });
          return r.ok ? r.bits : 0;
        };
        if (b.jump) {
          if (v.size === 2) {
            put16(dst, cb("c.j"));
            fix(dst, "rvc_jump");
          } else {
            put32(dst, encJ(0x6f, b.rd, 0));
            fix(dst, "jal");
          }
        } else if (v.size === 2) {
          put16(dst, cb(b.match === 0x63 ? "c.beqz" : "c.bnez"));
          fix(dst, "rvc_branch");
        } else if (v.size === 4) {
          put32(dst, encB(b.match, b.rs1, b.rs2, 0));
          fix(dst, "branch");
        } else {
          // Out of range: the inverted branch skips a jal to the target.
          const inverted = (b.match ^ 0x1000) >>> 0;
          if (v.size === 6) {
            const r = encodeCompressed(b.match === 0x63 ? "c.bnez" : "c.beqz", { rs1: b.rs1, imm: 6 });
            put16(dst, r.ok ? r.bits : 0);
          } else put32(dst, encB(inverted, b.rs1, b.rs2, 8));
          put32(dst + v.size - 4, encJ(0x6f, 0, 0));
          fix(dst + v.size - 4, "jal");
        }
      }
      dst += v.size;
    }
    if (!this.nobits) out.set(this.buf.subarray(src, this.len), dst);
    for (const f of this.fixups) {
      fixups.push({ offset: this.offsetOf(f.pos), kind: f.kind, expr: f.expr, relax: f.relax, loc: f.loc, alignBytes: f.alignBytes });
    }
    fixups.sort((a, b) => a.offset - b.offset);
    return {
      name: this.name,
      alloc: this.alloc,
      write: this.write,
      exec: this.exec,
      nobits: this.nobits,
      align: this.align,
      bytes: out,
      size,
      fixups,
      lines: this.lines.map((l) => ({ offset: this.offsetOf(l.pos), file: l.file, line: l.line })),
    };
  }
}

/** NOP padding in code (riscv_make_nops): as `putNops`, into a finished buffer. */
export function writeNops(out: Uint8Array, at: number, n: number): void {
  let i = 0;
  if (n % 2 === 1) out[at + i++] = 0;
  if ((n - i) % 4 === 2) {
    out[at + i] = 0x01;
    out[at + i + 1] = 0;
    i += 2;
  }
  for (; i < n; i += 4) {
    out[at + i] = 0x13;
    out[at + i + 1] = 0;
    out[at + i + 2] = 0;
    out[at + i + 3] = 0;
  }
}
