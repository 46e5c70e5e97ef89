/**
 * Seeded random RV64IMAC instruction streams for lockstep testing, as assembly text for the corpus
 * start-up (crt.S): `main` sets every register to an interesting value, runs the stream and passes.
 *
 * Invariants that keep every stream trap-free and terminating:
 *  - s0 and sp point into a 4 KiB scratch buffer and s1 at an 8-aligned word in it; they are never
 *    written, so loads/stores (s0/sp-relative, naturally aligned) and AMOs/LR/SC (at s1) stay inside it.
 *    tp, gp, t5 and t6 are the harness's and never written either.
 *  - Control flow only goes forward, to labels later in the stream.
 *  - An SC directly follows its LR (see below), so every SC succeeds.
 *  - Misaligned loads and stores stay inside the buffer too (QEMU and our hart both perform them).
 *  - Random encodings (a decoder fuzz: reserved funct fields, F/D opcodes, random CSR numbers, compressed
 *    quadrants) are armed like the corpus's TRAP macro: `li tp, 1` before, `li tp, 0` after, so an illegal
 *    one traps into crt.S's handler, which skips it. Their fields are constrained so that a legal one
 *    cannot write a pinned register, reach outside the buffer, change control flow or write a CSR.
 *  - CSR writes go only to CSRs no M-mode code depends on (never mtvec, mscratch, mepc's use by the
 *    handler is harmless, satp, pmpcfg0/pmpaddr0), and never set mstatus.MIE or MPRV, so nothing traps.
 */

const ALU_RR = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw", "subw", "sllw", "srlw",
  "sraw", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw", "divuw", "remw", "remuw"];
const ALU_RI = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"];
const SHIFT_I = ["slli", "srli", "srai"];
const SHIFT_IW = ["slliw", "srliw", "sraiw"];
const LOADS: [string, number][] = [["lb", 1], ["lbu", 1], ["lh", 2], ["lhu", 2], ["lw", 4], ["lwu", 4], ["ld", 8]];
const STORES: [string, number][] = [["sb", 1], ["sh", 2], ["sw", 4], ["sd", 8]];
const BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"];
const AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"];
const ORDER = ["", ".aq", ".rl", ".aqrl"];
/** CSRs a random stream may write, with the mstatus bits it must keep clear. */
const CSR_WRITABLE = ["sscratch", "sepc", "scause", "stval", "stvec", "mtval", "mcause", "medeleg", "mideleg", "mie",
  "mip", "sie", "sip", "mcounteren", "scounteren", "menvcfg", "senvcfg", "mcountinhibit", "mcycle", "minstret",
  "pmpaddr3", "pmpaddr9", "pmpcfg2", "sstatus", "mstatus"];
const MSTATUS_KEEP_CLEAR = (1n << 3n) | (1n << 17n); // MIE, MPRV
/** CSR numbers a random read picks from besides fully random ones: implemented, or near ones. */
const CSR_READ = [0x001, 0x002, 0x003, 0x100, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180,
  0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, 0x30a, 0x310, 0x31a, 0x320, 0x323, 0x33f, 0x340, 0x341, 0x342,
  0x343, 0x344, 0x34a, 0x34b, 0x3a0, 0x3a1, 0x3a2, 0x3a3, 0x3b0, 0x3b5, 0x3bf, 0x3c0, 0x5a8, 0x600, 0x747, 0x7a0,
  0x7a1, 0x7a2, 0x7a5, 0xb00, 0xb02, 0xb03, 0xb1f, 0xc00, 0xc01, 0xc02, 0xc03, 0xc1f, 0xc80, 0xda0, 0xf11, 0xf12,
  0xf13, 0xf14, 0xf15];

/** Registers a random instruction may write: all but x0-as-source-only, sp, gp, tp, s0, s1, t5, t6. */
export const WRITABLE = [1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
export const READABLE = [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
/** The compressed register file x8..x15 minus the pinned s0/s1. */
const C_WRITABLE = [10, 11, 12, 13, 14, 15];
const C_READABLE = [8, 9, 10, 11, 12, 13, 14, 15];

const INTERESTING = [0n, 1n, 2n, -1n, -2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, -0x80000000n, 0x100000000n, 0x7fffffffffffffffn, -0x8000000000000000n, 63n, 64n, 31n, 32n];

/** xorshift128+ over bigint-free 32-bit halves: small, fast and reproducible across platforms. */
export class Rng {
  private s: Uint32Array;
  constructor(seed: number) {
    this.s = new Uint32Array([seed ^ 0x9e3779b9, 0x243f6a88, 0xb7e15162, seed * 2654435761]);
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const s = this.s;
    let t = s[3]!;
    t ^= t << 11;
    t ^= t >>> 8;
    s[3] = s[2]!;
    s[2] = s[1]!;
    s[1] = s[0]!;
    s[0] = (t ^ s[0]! ^ (s[0]! >>> 19)) >>> 0;
    return s[0]!;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

export const reg = (i: number) => `x${i}`;
export const hex64 = (v: bigint) => "0x" + BigInt.asUintN(64, v).toString(16);

export interface StreamOptions {
  length?: number;
}

export function generateStream(seed: number, opts: StreamOptions = {}): string {
  const rng = new Rng(seed);
  const length = opts.length ?? 400;
  const out: string[] = [
    `/* Random RV64IMAC stream, seed ${seed}. Generated by test/oracle/random_stream.ts. */`,
    `#include "guest.h"`,
    "  .text",
    "  .globl main",
    "main:",
    "  .option norvc",
    "  la s0, scratch + 2048",
    "  la sp, scratch + 1024",
    `  la s1, scratch + ${8 * rng.int(128)}`,
  ];
  for (const r of WRITABLE) out.push(`  li ${reg(r)}, ${hex64(interesting(rng))}`);
  let label = 0;
  let pending: { label: number; at: number }[] = [];
  const place = (i: number) => {
    const due = pending.filter((p) => p.at <= i);
    pending = pending.filter((p) => p.at > i);
    for (const p of due) out.push(`.Lt${p.label}:`);
  };
  const forward = () => {
    const l = label++;
    pending.push({ label: l, at: emitted + rng.range(1, 12) });
    return `.Lt${l}`;
  };
  let emitted = 0;
  let compressed = false;
  const mode = (c: boolean) => {
    if (c !== compressed) out.push(c ? "  .option rvc" : "  .option norvc");
    compressed = c;
  };
  for (; emitted < length; emitted++) {
    place(emitted);
    const c = rng.int(3) === 0;
    mode(c);
    out.push("  " + (c ? compressedInsn(rng, forward) : fullInsn(rng, forward)));
  }
  place(Number.MAX_SAFE_INTEGER);
  mode(false);
  out.push("  j pass", "  .data", "  .balign 16", "scratch:");
  for (let i = 0; i < 512; i++) out.push(`  .dword ${hex64(rng.u64())}`);
  return out.join("\n") + "\n";
}

export function interesting(rng: Rng): bigint {
  switch (rng.int(3)) {
    case 0: return rng.pick(INTERESTING);
    case 1: return BigInt.asIntN(32, BigInt(rng.next()));
    default: return rng.u64();
  }
}

function imm12(rng: Rng): number {
  return rng.int(2) ? rng.pick([0, 1, -1, 2047, -2048, 31, 32, 63, -32]) : rng.range(-2048, 2047);
}

function fullInsn(rng: Rng, forward: () => string): string {
  const rd = () => reg(rng.int(16) ? rng.pick(WRITABLE) : 0);
  const rs = () => reg(rng.pick(READABLE));
  switch (rng.int(15)) {
    case 12: return `li tp, 1; ${rng.int(4) ? randomEncoding(rng) : randomCompressed(rng)}; li tp, 0`;
    case 13: return csrInsn(rng, rd(), rs());
    case 14: {
      const [op] = rng.pick([...LOADS, ...STORES]);
      const off = rng.range(-1000, 1000);
      return op.startsWith("s") ? `${op} ${rs()}, ${off}(s0)` : `${op} ${rd()}, ${off}(s0)`;
    }
    case 0: case 1: case 2: return `${rng.pick(ALU_RR)} ${rd()}, ${rs()}, ${rs()}`;
    case 3: case 4: return `${rng.pick(ALU_RI)} ${rd()}, ${rs()}, ${imm12(rng)}`;
    case 5: return rng.int(2) ? `${rng.pick(SHIFT_I)} ${rd()}, ${rs()}, ${rng.int(64)}` : `${rng.pick(SHIFT_IW)} ${rd()}, ${rs()}, ${rng.int(32)}`;
    case 6: return rng.int(2) ? `lui ${rd()}, ${rng.int(1 << 20)}` : `auipc ${rd()}, ${rng.int(1 << 20)}`;
    case 7: {
      const [op, size] = rng.pick(LOADS);
      return `${op} ${rd()}, ${aligned(rng, size)}(${rng.int(2) ? "s0" : "sp"})`;
    }
    case 8: {
      const [op, size] = rng.pick(STORES);
      return `${op} ${rs()}, ${aligned(rng, size)}(${rng.int(2) ? "s0" : "sp"})`;
    }
    case 9: return `${rng.pick(BRANCHES)} ${rs()}, ${rs()}, ${forward()}`;
    case 10: {
      const w = rng.int(2) ? ".w" : ".d";
      const o = rng.pick(ORDER);
      // LR and SC only as an adjacent pair, which must succeed: what an SC does after anything else
      // between it and its LR is implementation-defined (QEMU compares values, the spec reserves).
      switch (rng.int(4)) {
        case 0: return `lr${w}${o} ${rd()}, (s1)`;
        case 1: return `lr${w} ${rd()}, (s1); sc${w}${o} ${rd()}, ${rs()}, (s1)`;
        default: return `${rng.pick(AMOS)}${w}${o} ${rd()}, ${rs()}, (s1)`;
      }
    }
    default:
      switch (rng.int(4)) {
        case 0: return `jal ${rd()}, ${forward()}`;
        case 1: {
          // An indirect forward jump through a scratch register, with a non-zero offset.
          const t = rng.pick(WRITABLE);
          return `la ${reg(t)}, ${forward()} - 4; jalr ${rd()}, 4(${reg(t)})`;
        }
        case 2: return rng.pick(["fence", "fence.i", "fence rw, w", "fence.tso"]);
        default: return `${rng.pick(ALU_RR)} ${rd()}, ${rs()}, ${rs()}`;
      }
  }
}

/** Offsets reaching the 4 KiB buffer from s0 (its middle) or sp (a quarter in), naturally aligned. */
function aligned(rng: Rng, size: number): number {
  return rng.range(-1024 / size, 1023 / size) * size;
}

function compressedInsn(rng: Rng, forward: () => string): string {
  const rd = () => reg(rng.pick(WRITABLE));
  const rs = () => reg(rng.pick(READABLE.filter((r) => r !== 0)));
  const cd = () => reg(rng.pick(C_WRITABLE));
  const cs = () => reg(rng.pick(C_READABLE));
  const nz6 = () => rng.pick([-32, -1, 1, 31, rng.range(1, 31), -rng.range(1, 32)]);
  switch (rng.int(22)) {
    case 0: return `c.addi ${rd()}, ${nz6()}`;
    case 1: return `c.addiw ${rd()}, ${rng.range(-32, 31)}`;
    case 2: return `c.li ${rd()}, ${rng.range(-32, 31)}`;
    case 3: {
      let r = rng.pick(WRITABLE);
      if (r === 2) r = 10;
      const v = nz6();
      return `c.lui ${reg(r)}, ${v < 0 ? v & 0xfffff : v}`;
    }
    case 4: return `c.slli ${rd()}, ${rng.range(1, 63)}`;
    case 5: return `${rng.pick(["c.srli", "c.srai"])} ${cd()}, ${rng.range(1, 63)}`;
    case 6: return `c.andi ${cd()}, ${rng.range(-32, 31)}`;
    case 7: return `${rng.pick(["c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"])} ${cd()}, ${cs()}`;
    case 8: return `c.mv ${rd()}, ${rs()}`;
    case 9: return `c.add ${rd()}, ${rs()}`;
    case 10: return `c.lw ${cd()}, ${4 * rng.int(32)}(s0)`;
    case 11: return `c.ld ${cd()}, ${8 * rng.int(32)}(s0)`;
    case 12: return `c.sw ${cs()}, ${4 * rng.int(32)}(s0)`;
    case 13: return `c.sd ${cs()}, ${8 * rng.int(32)}(s0)`;
    case 14: return `c.lwsp ${rd()}, ${4 * rng.int(64)}(sp)`;
    case 15: return `c.ldsp ${rd()}, ${8 * rng.int(64)}(sp)`;
    case 16: return `c.swsp ${rs()}, ${4 * rng.int(64)}(sp)`;
    case 17: return `c.sdsp ${rs()}, ${8 * rng.int(64)}(sp)`;
    case 18: return `c.addi4spn ${cd()}, sp, ${4 * rng.range(1, 255)}`;
    case 19: {
      // sp is pinned, so c.addi16sp comes with its inverse.
      const v = 16 * rng.pick([-31, -1, 1, 31]);
      return `c.addi16sp sp, ${v}; c.addi16sp sp, ${-v}`;
    }
    case 20: return rng.int(2) ? `${rng.pick(["c.beqz", "c.bnez"])} ${cs()}, ${forward()}` : `c.j ${forward()}`;
    default: {
      const t = rng.pick([10, 11, 12, 13, 14, 15, 16, 17]);
      const target = forward();
      return rng.int(2) ? `la ${reg(t)}, ${target}; c.jr ${reg(t)}` : `la ${reg(t)}, ${target}; c.jalr ${reg(t)}`;
    }
  }
}

const hex = (v: number, digits: number) => "0x" + (v >>> 0).toString(16).padStart(digits, "0");

/** A destination register field value that no legal encoding may turn into a pinned register. */
function safeRd(rng: Rng): number {
  return rng.int(8) ? rng.pick(WRITABLE) : 0;
}

/**
 * A random 32-bit encoding in an opcode whose legal members are harmless here (see the header).
 * Returned as `.word`, so that the assembler cannot refuse it.
 */
function randomEncoding(rng: Rng): string {
  const rd = safeRd(rng), rs1 = rng.int(32), rs2 = rng.int(32), f3 = rng.int(8);
  const f7 = rng.pick([0, 0x20, 0x01, rng.int(128)]);
  const r = (op: number, funct7: number, b: number, a: number, d: number, funct3: number) =>
    ((funct7 << 25) | (b << 20) | (a << 15) | (funct3 << 12) | (d << 7) | op) >>> 0;
  const imm12 = rng.pick([rng.int(4096), rng.int(64), 0x400 | rng.int(64), 0xfc0 | rng.int(64)]);
  let w: number;
  switch (rng.int(11)) {
    case 0: w = r(0x33, f7, rs2, rs1, rd, f3); break; // OP
    case 1: w = r(0x3b, f7, rs2, rs1, rd, f3); break; // OP-32
    case 2: w = ((imm12 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x13) >>> 0; break; // OP-IMM
    case 3: w = ((imm12 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x1b) >>> 0; break; // OP-IMM-32
    case 4: { // LOAD from s0 with any funct3 (7 is reserved)
      const off = rng.range(-1000, 1000) & 0xfff;
      w = ((off << 20) | (8 << 15) | (f3 << 12) | (rd << 7) | 0x03) >>> 0;
      break;
    }
    case 5: { // STORE to s0 with any funct3 (4..7 are reserved)
      const off = rng.range(-1000, 1000) & 0xfff;
      w = (((off >> 5) << 25) | (rs2 << 20) | (8 << 15) | (f3 << 12) | ((off & 31) << 7) | 0x23) >>> 0;
      break;
    }
    case 6: { // AMO at s1 with any funct5 but SC's (an SC must follow its own LR) and any funct3
      const f5 = rng.pick([0, 1, 2, 4, 8, 12, 16, 20, 24, 28, rng.int(32)]);
      w = r(0x2f, ((f5 === 3 ? 2 : f5) << 2) | rng.int(4), rs2, 9, rd, rng.pick([2, 3, f3]));
      break;
    }
    case 7: // F and D: LOAD-FP, STORE-FP, OP-FP, FMADD/FMSUB/FNMSUB/FNMADD
      w = r(rng.pick([0x07, 0x27, 0x53, 0x43, 0x47, 0x4b, 0x4f]), rng.int(128), rs2, rs1, rng.int(32), f3); break;
    case 8: // MISC-MEM: fences with random fields, fence.i, and reserved funct3
      w = ((rng.int(4096) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x0f) >>> 0; break;
    case 9: { // a CSR read of a random or listed number: csrrs/csrrc with rs1 = x0, or csrrsi/csrrci with 0
      const csr = rng.int(2) ? rng.int(4096) : rng.pick(CSR_READ);
      w = ((csr << 20) | (rng.pick([2, 3, 6, 7]) << 12) | (rd << 7) | 0x73) >>> 0;
      break;
    }
    default: // SYSTEM funct3 = 4 (reserved; hypervisor loads/stores, illegal without H)
      w = r(0x73, rng.int(128), rs2, rs1, rd, 4);
  }
  return `.word ${hex(w, 8)}`;
}

/** A random 16-bit encoding from the quadrants' harmless forms (no jumps, branches, or pinned writes). */
function randomCompressed(rng: Rng): string {
  const rdp = rng.range(2, 7); // x10..x15
  const full = () => safeRd(rng);
  const bits = (n: number) => rng.int(1 << n);
  let h: number;
  switch (rng.int(12)) {
    case 0: h = (bits(8) << 5) | (rdp << 2); break; // c.addi4spn (imm 0 is reserved)
    case 1: h = (rng.pick([1, 2, 3, 4, 5, 6, 7]) << 13) | (bits(3) << 10) | (rng.int(2) << 7) | (bits(2) << 5) | (rdp << 2); break; // loads/stores at s0/s1, FP forms, reserved 4
    case 2: h = (0 << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 1; break; // c.addi
    case 3: h = (1 << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 1; break; // c.addiw (rd 0 reserved)
    case 4: h = (2 << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 1; break; // c.li
    case 5: h = (3 << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 1; break; // c.lui (imm 0 reserved)
    case 6: h = (4 << 13) | (bits(3) << 10) | (rdp << 7) | (bits(5) << 2) | 1; break; // c.srli … c.addw, reserved
    case 7: h = (0 << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 2; break; // c.slli
    case 8: h = (rng.pick([1, 2, 3]) << 13) | (bits(1) << 12) | (full() << 7) | (bits(5) << 2) | 2; break; // c.fldsp, c.lwsp, c.ldsp
    case 9: h = (4 << 13) | (bits(1) << 12) | (full() << 7) | ((1 + rng.int(31)) << 2) | 2; break; // c.mv, c.add
    case 10: h = (rng.pick([5, 6, 7]) << 13) | (bits(6) << 7) | (bits(5) << 2) | 2; break; // c.fsdsp, c.swsp, c.sdsp
    default: h = (bits(16) & ~((7 << 2) | 3)) | (rdp << 2); break; // quadrant 0, anything
  }
  if ((h & 3) === 0 && ((h >> 13) & 7) !== 0) h = (h & ~(7 << 7)) | (rng.int(2) << 7); // loads/stores: base s0 or s1
  return `.hword ${hex(h, 4)}`;
}

/** A CSR write (WARL probe) followed by reading the CSR back. */
function csrInsn(rng: Rng, rd: string, rs: string): string {
  const csr = rng.pick(CSR_WRITABLE);
  const op = rng.pick(["csrrw", "csrrs", "csrrc"]);
  if (csr === "mstatus" || csr === "sstatus") {
    const v = rng.u64() & ~MSTATUS_KEEP_CLEAR;
    const t = reg(rng.pick(WRITABLE));
    return `li ${t}, ${hex64(v)}; ${op === "csrrc" ? "csrrs" : op} ${rd}, ${csr}, ${t}; csrr ${rd}, ${csr}`;
  }
  return `${op} ${rd}, ${csr}, ${rs}; csrr ${rd}, ${csr}`;
}
