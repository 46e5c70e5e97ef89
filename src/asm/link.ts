/**
 * The linker: lays out one object file the way `riscv64-unknown-elf-ld -Ttext=0x80000000` does with its
 * default script, relaxes it as GNU ld does (bfd/elfnn-riscv.c), and applies the relocations.
 *
 * Layout (default script, checked against Debian's ld 2.40):
 *   .text (.text.unlikely/.exit/.startup/.hot first, then .text and .text.*) at 0x8000_0000,
 *   .rodata, then the data segment at DATA_SEGMENT_ALIGN (the next page, same offset in the page),
 *   .data (__DATA_BEGIN__), .sdata (__SDATA_BEGIN__; .srodata then .sdata), _edata, __bss_start,
 *   .sbss, .bss (padded to 8), __BSS_END__ (8-aligned), and
 *   __global_pointer$ = MIN(__SDATA_BEGIN__ + 0x800, MAX(__DATA_BEGIN__ + 0x800, __BSS_END__ - 0x800)).
 *
 * Relaxation, as ld's passes: first, repeated until nothing changes, `call`/`tail` (auipc+jalr) become
 * jal or c.j, `lui`+`%lo` and `auipc`+`%pcrel_lo` pairs become gp- or x0-relative single instructions,
 * and `lui` becomes `c.lui`; then R_RISCV_ALIGN padding is trimmed to what the final addresses need.
 */
import { encI, encJ } from "../isa/fields";
import { setCBOffset, setCJOffset, setCLuiImm } from "./compress";
import type { AsmDiagnostic, SourceLoc } from "./diagnostics";
import { withBranchOffset, withJalOffset } from "./encode";
import { evaluate, ExprError, exprHeight, type Expr } from "./expr";
import { imageTooLarge, MAX_IMAGE_BYTES, MAX_SYMBOL_EXPR_DEPTH } from "./limits";
import type { FixKind, Fixup, ObjectFile, ObjSection } from "./object";

export const TEXT_BASE = 0x8000_0000n;
const PAGE = 0x1000n;

type LinkKind = FixKind | "gprel_i" | "gprel_s" | "rvc_lui" | "none";

interface Reloc {
  offset: number;
  kind: LinkKind;
  expr: Expr;
  relax: boolean;
  alignBytes?: number;
  loc: SourceLoc;
  /** A call relaxed to jal/c.j/jalr: its rd, for rewriting. */
  rd?: number;
  /** For gprel relocs that came from a pcrel_lo: the target of the matching pcrel_hi. */
  gprelTarget?: { expr: Expr };
}

interface InSection {
  src: ObjSection;
  index: number;
  bytes: Uint8Array;
  size: number;
  relocs: Reloc[];
  lines: { offset: number; file: string; line: number }[];
  addr: bigint;
  out: string;
}

export interface LinkedSection {
  name: string;
  addr: bigint;
  size: number;
  /** Empty for NOBITS sections. */
  data: Uint8Array;
  nobits: boolean;
  write: boolean;
  exec: boolean;
  align: number;
}

export interface LinkedSymbol {
  name: string;
  address: bigint;
  size: bigint;
  isFunction: boolean;
  global: boolean;
  /** The output section's name, or undefined for absolute symbols. */
  section?: string;
}

/** A name the source defines (a label, `.L` ones included, or an `.equ`), with its final value and where. */
export interface SourceName {
  name: string;
  value: bigint;
  /** An `.equ`/`.set` value rather than an address. */
  absolute: boolean;
  loc: SourceLoc;
}

export interface LinkResult {
  entry: bigint;
  sections: LinkedSection[];
  symbols: LinkedSymbol[];
  names: SourceName[];
  lineTable: { address: bigint; file: string; line: number }[];
  errors: AsmDiagnostic[];
  /** The linker script's symbols (__global_pointer$, _end, …) with their values. */
  scriptSymbols: Map<string, bigint>;
}

const VALID_I = (v: bigint) => v >= -2048n && v <= 2047n;
const VALID_J = (v: bigint) => (v & 1n) === 0n && v >= -(1n << 20n) && v < 1n << 20n;
const VALID_CJ = (v: bigint) => (v & 1n) === 0n && v >= -2048n && v <= 2046n;
const hi20 = (v: bigint) => (v + 0x800n) >> 12n;
const alignUp = (v: bigint, a: bigint) => (v + a - 1n) & ~(a - 1n);

/** Output sections in script order; `group` orders input sections inside one (the script's patterns). */
function outputOf(s: ObjSection): { out: string; group: number } {
  const n = s.name;
  const is = (p: string) => n === p || n.startsWith(p + ".");
  if (is(".text.unlikely") || /^\.text\..*_unlikely$/.test(n)) return { out: ".text", group: 0 };
  if (is(".text.exit")) return { out: ".text", group: 1 };
  if (is(".text.startup")) return { out: ".text", group: 2 };
  if (is(".text.hot")) return { out: ".text", group: 3 };
  if (is(".text")) return { out: ".text", group: 5 };
  if (is(".rodata")) return { out: ".rodata", group: 0 };
  if (is(".data")) return { out: ".data", group: 0 };
  if (/^\.srodata\.cst(16|8|4|2)$/.test(n)) return { out: ".sdata", group: [16, 8, 4, 2].indexOf(Number(n.slice(12))) };
  if (is(".srodata")) return { out: ".sdata", group: 4 };
  if (is(".sdata")) return { out: ".sdata", group: 5 };
  if (is(".sbss")) return { out: ".sbss", group: 0 };
  if (is(".bss")) return { out: ".bss", group: 0 };
  // Orphans go after the output section of their kind, under their own name.
  return { out: n, group: 0 };
}

const ORDER = [".text", ".rodata", "|data", ".data", ".sdata", ".sbss", ".bss"];

function orphanAnchor(s: ObjSection): string {
  if (s.exec) return ".text";
  if (!s.write) return ".rodata";
  return s.nobits ? ".bss" : ".data";
}

export interface LinkOptions {
  /** Where errors that belong to no line go (the main file's start). */
  origin: SourceLoc;
  /** Called before each relaxation pass; it may throw to stop the link (the editor's time limit). */
  step?: () => void;
}

export function link(obj: ObjectFile, opts: LinkOptions): LinkResult {
  const errors: AsmDiagnostic[] = [];
  const error = (loc: SourceLoc, message: string) => {
    if (errors.length < 500) errors.push({ ...loc, message });
  };

  const ins: InSection[] = [];
  obj.sections.forEach((s, index) => {
    if (!s.alloc) return;
    const { out } = outputOf(s);
    ins.push({
      src: s,
      index,
      // Relaxation and relocation rewrite the bytes in place: the object file is not used again.
      bytes: s.bytes,
      size: s.size,
      relocs: s.fixups.map((f: Fixup) => ({ ...f })),
      lines: s.lines.map((l) => ({ ...l })),
      addr: 0n,
      out,
    });
  });
  // Output section order: the script's, with orphans after their anchor, in first-seen order.
  const outNames: string[] = [];
  for (const name of ORDER) {
    if (name.startsWith("|")) {
      outNames.push(name);
      continue;
    }
    outNames.push(name);
    for (const s of ins) if (!ORDER.includes(s.out) && orphanAnchor(s.src) === name && !outNames.includes(s.out)) outNames.push(s.out);
  }
  const members = new Map<string, InSection[]>();
  for (const name of outNames) {
    const list = ins.filter((s) => s.out === name);
    list.sort((a, b) => outputOf(a.src).group - outputOf(b.src).group || a.index - b.index);
    members.set(name, list);
  }

  // Symbol values as section + offset; offsets move with relaxation.
  const symSec = new Map<string, InSection | null>();
  const symOff = new Map<string, bigint>();
  const symSize = new Map<string, bigint>();
  const symExpr = new Map<string, Expr>();
  const bySection = new Map<number, InSection>(ins.map((s) => [s.index, s]));
  for (const s of obj.symbols) {
    if (s.section < 0) {
      symSec.set(s.name, null);
      if (s.expr) symExpr.set(s.name, s.expr);
      continue;
    }
    const sec = bySection.get(s.section);
    symSec.set(s.name, sec ?? null);
    symOff.set(s.name, s.value);
  }
  const script = new Map<string, bigint>();
  const outAlign = new Map<string, number>();
  const outAddr = new Map<string, bigint>();
  const outSize = new Map<string, bigint>();

  const layout = () => {
    equValues.clear();
    let dot = TEXT_BASE;
    for (const name of outNames) {
      if (name === "|data") {
        // DATA_SEGMENT_ALIGN(MAXPAGESIZE, COMMONPAGESIZE), both 4 KiB.
        dot = alignUp(dot, PAGE) + (dot & (PAGE - 1n));
        continue;
      }
      if (name === ".data") script.set("__DATA_BEGIN__", alignUp(dot, BigInt(maxAlign(members.get(name)!))));
      if (name === ".sdata") script.set("__SDATA_BEGIN__", alignUp(dot, BigInt(maxAlign(members.get(name)!))));
      if (name === ".sbss") {
        script.set("_edata", dot);
        script.set("__bss_start", dot);
      }
      const list = members.get(name)!;
      const nonEmpty = list.filter((s) => s.size > 0);
      const align = maxAlign(list);
      outAlign.set(name, align);
      if (nonEmpty.length === 0 && !(name === ".bss" && list.length > 0)) {
        outAddr.set(name, dot);
        outSize.set(name, 0n);
        for (const s of list) s.addr = dot;
        continue;
      }
      dot = alignUp(dot, BigInt(align));
      const start = dot;
      for (const s of list) {
        dot = alignUp(dot, BigInt(s.src.align));
        s.addr = dot;
        dot += BigInt(s.size);
      }
      if (name === ".bss" && dot !== 0n) dot = alignUp(dot, 8n);
      outAddr.set(name, start);
      outSize.set(name, dot - start);
    }
    dot = alignUp(dot, 8n);
    script.set("__BSS_END__", dot);
    script.set("_end", dot);
    const sdata = script.get("__SDATA_BEGIN__")!;
    const data = script.get("__DATA_BEGIN__")!;
    const a = data + 0x800n;
    const b = dot - 0x800n;
    const max = a > b ? a : b;
    script.set("__global_pointer$", sdata + 0x800n < max ? sdata + 0x800n : max);
  };

  const scriptAliases: Record<string, string> = { edata: "_edata", end: "_end", __etext: ".text", _etext: ".text", etext: ".text" };
  // `depth`: how deep the symbol expressions being evaluated nest together; the assembler reported
  // deeper ones (and loops), so this only keeps the recursion bounded.
  // Values of `.equ` symbols until addresses move (layout, relaxation): without them a chain of
  // symbols defined by symbols costs exponential time.
  const equValues = new Map<string, bigint | undefined>();
  const lookupAddr = (name: string, depth = 0): bigint | undefined => {
    if (symSec.has(name)) {
      const sec = symSec.get(name);
      if (sec) return sec.addr + symOff.get(name)!;
      if (equValues.has(name)) return equValues.get(name);
      const e = symExpr.get(name);
      if (!e || depth > MAX_SYMBOL_EXPR_DEPTH) return undefined;
      const v = evaluate(e, (n) => {
        const x = lookupAddr(n, depth + exprHeight(e) + 1);
        return x === undefined ? undefined : { sec: null, off: x };
      });
      equValues.set(name, v?.off);
      return v?.off;
    }
    if (script.has(name)) return script.get(name);
    const alias = scriptAliases[name];
    if (alias === ".text") return outAddr.get(".text")! + outSize.get(".text")!;
    if (alias) return script.get(alias);
    return undefined;
  };
  const evalAbs = (e: Expr): bigint | undefined => {
    const v = evaluate(e, (n) => {
      const x = lookupAddr(n);
      return x === undefined ? undefined : { sec: null, off: x };
    });
    return v?.off;
  };
  /** `sym + addend` decomposition of a relocation target (what an ELF relocation holds). */
  const symbolic = (e: Expr): { sym: string; addend: bigint } | undefined => {
    if (e.k === "sym") return { sym: e.name, addend: 0n };
    if (e.k === "bin" && (e.op === "+" || e.op === "-") && e.a.k === "sym") {
      try {
        const c = evaluate(e.b, () => undefined);
        if (c && c.sec === null) return { sym: e.a.name, addend: e.op === "+" ? c.off : -c.off };
      } catch {
        return undefined;
      }
    }
    return undefined;
  };

  // ---- relaxation ------------------------------------------------------------------------------
  const rvc = obj.rvc;
  let maxAlignment = -1n;
  const deleteBytes = (s: InSection, dels: { at: number; count: number }[]) => {
    if (dels.length === 0) return;
    dels.sort((a, b) => a.at - b.at);
    const total = dels.reduce((n, d) => n + d.count, 0);
    const out = new Uint8Array(s.size - total);
    let src = 0;
    let dst = 0;
    for (const d of dels) {
      out.set(s.bytes.subarray(src, d.at), dst);
      dst += d.at - src;
      src = d.at + d.count;
    }
    out.set(s.bytes.subarray(src, s.size), dst);
    // Everything after a deleted range moves down by what was deleted before it (GNU: value > addr).
    const before: number[] = [0];
    for (const d of dels) before.push(before[before.length - 1]! + d.count);
    const shift = (x: number) => {
      let lo = 0;
      let hi = dels.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (dels[mid]!.at < x) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return x;
      const last = dels[lo - 1]!;
      return x - before[lo - 1]! - Math.min(last.count, x - last.at);
    };
    const shiftBig = (x: bigint) => BigInt(shift(Number(x)));
    for (const [name, sec] of symSec) {
      if (sec !== s) continue;
      const v = symOff.get(name)!;
      const size = symSize.get(name);
      if (size !== undefined) {
        const end = shiftBig(v + size);
        symSize.set(name, end - shiftBig(v));
      }
      symOff.set(name, shiftBig(v));
    }
    s.relocs = s.relocs.filter((r) => r.kind !== "none" || r.offset < 0);
    for (const r of s.relocs) r.offset = shift(r.offset);
    for (const l of s.lines) l.offset = shift(l.offset);
    s.bytes = out;
    s.size -= total;
    equValues.clear();
  };

  const read32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  const write32 = (b: Uint8Array, at: number, w: number) => {
    b[at] = w & 0xff;
    b[at + 1] = (w >>> 8) & 0xff;
    b[at + 2] = (w >>> 16) & 0xff;
    b[at + 3] = (w >>> 24) & 0xff;
  };
  const write16 = (b: Uint8Array, at: number, w: number) => {
    b[at] = w & 0xff;
    b[at + 1] = (w >>> 8) & 0xff;
  };

  // .size values feed the relaxation's reserve size, as the ELF st_size would.
  layout();
  for (const s of obj.symbols) {
    if (!s.sizeExpr) continue;
    try {
      const v = evalAbs(s.sizeExpr);
      if (v !== undefined) symSize.set(s.name, v);
    } catch {
      // reported when the sizes are computed for the output
    }
  }

  const relaxPass0 = (s: InSection): boolean => {
    const gp = script.get("__global_pointer$")!;
    if (maxAlignment < 0n) {
      let m = 1;
      for (const a of outAlign.values()) m = Math.max(m, a);
      maxAlignment = BigInt(m);
    }
    const dels: { at: number; count: number }[] = [];
    const pcgpHi = new Map<number, { target: Expr; symval: bigint }>();
    const pcgpLo = new Set<number>();
    let again = false;
    for (const r of s.relocs) {
      if (!r.relax) continue;
      if (r.kind !== "call" && r.kind !== "hi20" && r.kind !== "lo12_i" && r.kind !== "lo12_s" && r.kind !== "pcrel_hi20" && r.kind !== "pcrel_lo12_i" && r.kind !== "pcrel_lo12_s") continue;
      const t = symbolic(r.expr);
      if (!t) continue;
      const base = lookupAddr(t.sym);
      if (base === undefined) continue;
      const symval = base + t.addend;
      const symSection = symSec.get(t.sym) ?? null;
      // GNU as resolves %hi/%lo of an absolute symbol itself (md_apply_fix): no relocation to relax.
      if (!symSection && (r.kind === "hi20" || r.kind === "lo12_i" || r.kind === "lo12_s")) continue;
      const size = symSize.get(t.sym) ?? 0n;
      const reserve = size > t.addend ? size - t.addend : 0n;
      const pc = s.addr + BigInt(r.offset);
      if (r.kind === "call") {
        let foff = symval - pc;
        const nearZero = symval + 0x800n >= 0n && symval + 0x800n < 0x1000n;
        let maxAl = maxAlignment;
        if (VALID_J(foff)) {
          if (symSection && symSection.out === s.out) maxAl = BigInt(outAlign.get(s.out)!);
          foff += foff < 0n ? -maxAl : maxAl;
        }
        if (!VALID_J(foff) && !nearZero) continue;
        const rd = (read32(s.bytes, r.offset + 4) >>> 7) & 31;
        const useC = rvc && VALID_CJ(foff) && rd === 0;
        let len = 4;
        if (useC) {
          write16(s.bytes, r.offset, 0xa001);
          r.kind = "rvc_jump";
          len = 2;
        } else if (VALID_J(foff)) {
          write32(s.bytes, r.offset, encJ(0x6f, rd, 0));
          r.kind = "jal";
        } else {
          write32(s.bytes, r.offset, encI(0x67, rd, 0, 0));
          r.kind = "lo12_i";
        }
        r.relax = false;
        dels.push({ at: r.offset + len, count: 8 - len });
        again = true;
        continue;
      }
      // __global_pointer$ is absolute (nm: A), so ld never narrows this to one section's alignment.
      const maxAl = maxAlignment;
      let target = r.expr;
      let tv = symval;
      if (r.kind === "pcrel_lo12_i" || r.kind === "pcrel_lo12_s") {
        // The lo names the auipc's label; the hi recorded at that offset says where it points.
        const hiOff = Number(symval - (symSection ? symSection.addr : 0n) - t.addend);
        const hi = symSection === s ? pcgpHi.get(hiOff) : undefined;
        if (!hi) {
          pcgpLo.add(hiOff);
          continue;
        }
        target = hi.target;
        tv = hi.symval;
      } else if (r.kind === "pcrel_hi20") {
        if (symSection && symSection.src.exec) continue;
        if (pcgpLo.has(r.offset)) continue;
      } else if (symSection && symSection.src.exec) continue;
      const inRange =
        VALID_I(tv) || (tv >= gp && VALID_I(tv - gp + maxAl + reserve)) || (tv < gp && VALID_I(tv - gp - maxAl - reserve));
      if (inRange) {
        switch (r.kind) {
          case "lo12_i":
          case "pcrel_lo12_i":
            r.kind = "gprel_i";
            r.gprelTarget = { expr: target };
            r.relax = false;
            continue;
          case "lo12_s":
          case "pcrel_lo12_s":
            r.kind = "gprel_s";
            r.gprelTarget = { expr: target };
            r.relax = false;
            continue;
          case "hi20":
          case "pcrel_hi20":
            if (r.kind === "pcrel_hi20") pcgpHi.set(r.offset, { target: r.expr, symval: tv });
            r.kind = "none";
            dels.push({ at: r.offset, count: 4 });
            again = true;
            continue;
        }
      }
      if (r.kind === "hi20" && rvc) {
        const hiPart = (v: bigint) => BigInt.asIntN(64, hi20(v));
        const okLui = (v: bigint) => v !== 0n && v >= -32n && v < 32n;
        if (okLui(hiPart(symval)) && okLui(hiPart(symval + PAGE))) {
          const w = read32(s.bytes, r.offset);
          const rd = (w >>> 7) & 31;
          if (rd === 0 || rd === 2) continue;
          write16(s.bytes, r.offset, 0x6001 | (rd << 7));
          r.kind = "rvc_lui";
          r.relax = false;
          dels.push({ at: r.offset + 2, count: 2 });
          again = true;
        }
      }
    }
    deleteBytes(s, dels);
    return again;
  };

  const relaxAlign = (s: InSection) => {
    const dels: { at: number; count: number }[] = [];
    let deleted = 0;
    for (const r of s.relocs) {
      if (r.kind !== "align") continue;
      const have = r.alignBytes!;
      let alignment = 1;
      while (alignment <= have) alignment *= 2;
      const at = s.addr + BigInt(r.offset - deleted);
      const a = BigInt(alignment);
      const aligned = ((at - 1n) & ~(a - 1n)) + a;
      const need = Number(aligned - at);
      r.kind = "none";
      if (need > have) {
        error(r.loc, `${need} bytes required for alignment to a ${alignment}-byte boundary, but only ${have} present`);
        continue;
      }
      if (need === have) continue;
      // ld writes 4-byte NOPs first and one c.nop last (_bfd_riscv_relax_align), unlike as.
      for (let k = 0; k + 4 <= need; k += 4) write32(s.bytes, r.offset + k, 0x13);
      if (need % 4) write16(s.bytes, r.offset + (need & ~3), 0x0001);
      dels.push({ at: r.offset + need, count: have - need });
      deleted += have - need;
    }
    deleteBytes(s, dels);
  };

  const relaxable = ins.filter((s) => s.relocs.some((r) => r.relax || r.kind === "align"));
  for (let trip = 0; trip < 1000; trip++) {
    let again = false;
    for (const s of relaxable) {
      opts.step?.();
      layout();
      if (relaxPass0(s)) again = true;
    }
    if (!again) break;
  }
  for (const s of relaxable) {
    layout();
    relaxAlign(s);
  }
  layout();

  // ---- relocation ------------------------------------------------------------------------------
  const gp = script.get("__global_pointer$")!;
  for (const s of ins) {
    const hiAt = new Map<number, bigint>();
    for (const r of s.relocs) {
      if (r.kind === "pcrel_hi20" || r.kind === "call") {
        try {
          const v = evalAbs(r.expr);
          if (v !== undefined) hiAt.set(r.offset, v - (s.addr + BigInt(r.offset)));
        } catch {
          // reported below
        }
      }
    }
    for (const r of s.relocs) {
      if (r.kind === "none" || r.kind === "align") continue;
      const pc = s.addr + BigInt(r.offset);
      try {
        applyReloc(s, r, pc);
      } catch (e) {
        if (e instanceof ExprError) error(r.loc, e.message);
        else throw e;
      }
    }
    function applyReloc(s: InSection, r: Reloc, pc: bigint): void {
      const b = s.bytes;
      const target = r.gprelTarget ? r.gprelTarget.expr : r.expr;
      let value: bigint | undefined;
      if (r.kind === "pcrel_lo12_i" || r.kind === "pcrel_lo12_s") {
        const label = evalAbs(r.expr);
        if (label === undefined) return undefinedRef(r);
        const off = hiAt.get(Number(label - s.addr));
        if (off === undefined) {
          error(r.loc, "%pcrel_lo needs the label of an auipc with %pcrel_hi (or of la/lla/call)");
          return;
        }
        value = off;
      } else {
        value = evalAbs(target);
        if (value === undefined) return undefinedRef(r);
      }
      const rel = value - pc;
      const range = (v: bigint, lo: bigint, hi: bigint, what: string) => {
        if (v < lo || v > hi || (v & 1n) !== 0n && what !== "") {
          error(r.loc, `${what} target is out of range (offset ${v}; the instruction reaches ${lo}..${hi})`);
          return false;
        }
        return true;
      };
      const lo12 = (v: bigint) => Number(BigInt.asIntN(12, v));
      switch (r.kind) {
        case "branch":
          if (range(rel, -4096n, 4094n, "branch")) write32(b, r.offset, withBranchOffset(read32(b, r.offset), Number(rel)));
          return;
        case "jal":
        case "rvc_jump":
        case "rvc_branch": {
          if (r.kind === "jal") {
            if (range(rel, -(1n << 20n), (1n << 20n) - 2n, "jump")) write32(b, r.offset, withJalOffset(read32(b, r.offset), Number(rel)));
          } else if (r.kind === "rvc_jump") {
            if (range(rel, -2048n, 2046n, "compressed jump")) write16(b, r.offset, setCJOffset(b[r.offset]! | (b[r.offset + 1]! << 8), Number(rel)));
          } else if (range(rel, -256n, 254n, "compressed branch"))
            write16(b, r.offset, setCBOffset(b[r.offset]! | (b[r.offset + 1]! << 8), Number(rel)));
          return;
        }
        case "call": {
          if (rel < -(1n << 31n) - 0x800n || rel >= (1n << 31n) - 0x800n) {
            error(r.loc, "call target is out of reach of auipc+jalr (±2 GiB)");
            return;
          }
          const hi = Number(BigInt.asUintN(20, hi20(rel)));
          write32(b, r.offset, ((read32(b, r.offset) & 0xfff) | (hi << 12)) >>> 0);
          write32(b, r.offset + 4, ((read32(b, r.offset + 4) & 0xfffff) | ((lo12(rel) & 0xfff) << 20)) >>> 0);
          return;
        }
        case "pcrel_hi20":
        case "hi20": {
          const v = r.kind === "hi20" ? value : rel;
          if (v !== BigInt.asIntN(32, v + 0x800n) - 0x800n && BigInt.asIntN(32, v) !== v) {
            error(r.loc, `%${r.kind === "hi20" ? "hi" : "pcrel_hi"} value 0x${BigInt.asUintN(64, v).toString(16)} does not fit in 32 bits`);
            return;
          }
          const hi = Number(BigInt.asUintN(20, hi20(v)));
          write32(b, r.offset, ((read32(b, r.offset) & 0xfff) | (hi << 12)) >>> 0);
          return;
        }
        case "rvc_lui":
          write16(b, r.offset, setCLuiImm(b[r.offset]! | (b[r.offset + 1]! << 8), Number(BigInt.asUintN(20, hi20(value)))));
          return;
        case "lo12_i":
        case "pcrel_lo12_i":
          write32(b, r.offset, ((read32(b, r.offset) & 0xfffff) | ((lo12(value) & 0xfff) << 20)) >>> 0);
          return;
        case "lo12_s":
        case "pcrel_lo12_s":
          write32(b, r.offset, setS(read32(b, r.offset), lo12(value)));
          return;
        case "gprel_i":
        case "gprel_s": {
          const x0 = VALID_I(value);
          if (!x0 && !VALID_I(value - gp)) {
            error(r.loc, "gp-relative target is out of range");
            return;
          }
          let w = read32(b, r.offset) & ~(31 << 15);
          if (!x0) w |= 3 << 15;
          const imm = lo12(x0 ? value : value - gp);
          w = r.kind === "gprel_i" ? ((w & 0xfffff) | ((imm & 0xfff) << 20)) >>> 0 : setS(w >>> 0, imm);
          write32(b, r.offset, w >>> 0);
          return;
        }
        default: {
          const size = Number(r.kind.slice(4));
          let v = BigInt.asUintN(size * 8, value);
          for (let i = 0; i < size; i++, v >>= 8n) b[r.offset + i] = Number(v & 0xffn);
        }
      }
    }
  }

  function undefinedRef(r: Reloc): void {
    const names = symbolNames(r.gprelTarget?.expr ?? r.expr).filter((n) => lookupAddr(n) === undefined);
    error(r.loc, names.length ? `undefined symbol '${names[0]}'` : "the expression cannot be evaluated");
  }

  // ---- output ----------------------------------------------------------------------------------
  // Sections placed at a large alignment leave gaps inside an output section, which are stored.
  let imageBytes = 0;
  for (const size of outSize.values()) imageBytes += Number(size);
  if (imageBytes > MAX_IMAGE_BYTES) {
    error(opts.origin, imageTooLarge("placing the sections at their alignment", imageBytes));
    return { entry: TEXT_BASE, sections: [], symbols: [], lineTable: [], names: [], errors, scriptSymbols: new Map(script) };
  }
  const sections: LinkedSection[] = [];
  for (const name of outNames) {
    const list = members.get(name);
    if (!list || list.length === 0) continue;
    const size = Number(outSize.get(name)!);
    if (size === 0) continue;
    const start = outAddr.get(name)!;
    const nobits = list.every((s) => s.src.nobits);
    const only = list.length === 1 && list[0]!.size === size ? list[0]! : undefined;
    // One input section is the output section (the usual case): its bytes, not a copy.
    const data = nobits ? new Uint8Array(0) : only ? only.bytes.subarray(0, size) : new Uint8Array(size);
    if (!nobits && !only) for (const s of list) if (!s.src.nobits) data.set(s.bytes.subarray(0, s.size), Number(s.addr - start));
    sections.push({
      name,
      addr: start,
      size,
      data,
      nobits,
      write: list.some((s) => s.src.write),
      exec: list.some((s) => s.src.exec),
      align: outAlign.get(name)!,
    });
  }
  const symbols: LinkedSymbol[] = [];
  for (const s of obj.symbols) {
    if (s.local) continue;
    const address = lookupAddr(s.name);
    if (address === undefined) continue;
    let size = symSize.get(s.name) ?? 0n;
    if (s.sizeExpr) {
      try {
        size = evalAbs(s.sizeExpr) ?? size;
      } catch (e) {
        if (e instanceof ExprError) error(s.loc, `.size of '${s.name}': ${e.message}`);
      }
    }
    const sec = symSec.get(s.name);
    symbols.push({ name: s.name, address, size, isFunction: s.type === "func", global: s.global, section: sec ? sec.out : undefined });
  }
  const names: SourceName[] = [];
  for (const s of obj.symbols) {
    // Numeric local labels (`1:`) and the assembler's own have no name the source could hover.
    if (s.name.includes("\u0001") || s.name.includes("\u0002")) continue;
    const value = lookupAddr(s.name);
    if (value !== undefined) names.push({ name: s.name, value, absolute: s.section < 0, loc: s.loc });
  }
  const lineTable: { address: bigint; file: string; line: number }[] = [];
  for (const s of ins) for (const l of s.lines) if (l.offset < s.size || s.size === 0) lineTable.push({ address: s.addr + BigInt(l.offset), file: l.file, line: l.line });
  lineTable.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const entry = lookupAddr("_start") ?? outAddr.get(".text")!;
  return { entry, sections, symbols, names, lineTable, errors, scriptSymbols: new Map(script) };
}

function maxAlign(list: InSection[]): number {
  let a = 1;
  for (const s of list) a = Math.max(a, s.src.align);
  return a;
}

function setS(w: number, imm: number): number {
  return ((w & ~((0x7f << 25) | (31 << 7))) | (((imm >> 5) & 0x7f) << 25) | ((imm & 31) << 7)) >>> 0;
}

function symbolNames(e: Expr, out: string[] = []): string[] {
  if (e.k === "sym") out.push(e.name);
  else if (e.k === "un" || e.k === "reloc") symbolNames(e.a, out);
  else if (e.k === "bin") {
    symbolNames(e.a, out);
    symbolNames(e.b, out);
  }
  return out;
}
