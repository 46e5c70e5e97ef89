import { div32, div64, mul64, mulhSigned, mulhu64, R } from "./alu64";
import type { Hart } from "./hart";
import { enterCodePage, fillSlot, loadSlow, storeSlow } from "./mem";
import { Op } from "./ops";
import { execSlow } from "./system";

/**
 * The interpreter: executes instructions until `end` (a value of h.retired), or fewer when something
 * needs the board (h.yieldReq: a trap, a CSR write, MMIO, WFI, a hook, a breakpoint). It allocates
 * nothing per instruction. `step()` runs here, and so does all code that is not hot enough to be
 * translated (run.ts decides; translate.ts translates).
 *
 * Registers are lo/hi int32 pairs (hart.ts). Per instruction: find the decoded pair in the current
 * code page's block (refilled out of line when the pc leaves the page), dispatch on the op number,
 * and for loads/stores try the software TLB inline before calling the slow path.
 *
 * Breakpoints: in a page that has some (and only there), each pc is looked up in the page's map of
 * breakpoint slots before its instruction runs; a hit stops the run with { kind: "breakpoint" }.
 * Execution counters (exec_counts.ts) likewise: in a RAM page that has some, a counted slot is
 * bumped once its instruction has been fetched, before it runs.
 *
 * `mode` says when to hand back to the dispatcher early: LEAVE_PAGE when the pc leaves the current
 * (wholly executable) page, BLOCK_END after the next control transfer or out-of-line instruction.
 * Returns false when it stopped because `end` was reached (the pc may be mid-block), else true.
 */
export const enum Mode { Run = 0, LeavePage = 1, BlockEnd = 3 }

const TWO32 = 4294967296;
const PAGE = 1 / 4096;

/** RAM index for `size` bytes at `ea` through a software TLB, or −1 (miss, or crosses the page). */
function ramIndex(tag: Float64Array, add: Float64Array, ea: number, size: number): number {
  const vp = Math.floor(ea * PAGE);
  const i = vp & 255;
  return tag[i] === vp && (ea & 4095) <= 4096 - size ? ea + add[i] : -1;
}

/** The breakpoint slots of the page at `vbase`, when breakpoints are armed and it has some. */
function breakMap(h: Hart, vbase: number): Uint8Array | undefined {
  return h.bpIgnore || h.breakpoints.size === 0 || vbase !== vbase ? undefined : h.breakpoints.pageMap(vbase);
}

export function interpret(h: Hart, end: number, mode: Mode): boolean {
  const x = h.x;
  const ram = h.bus.ram;
  const dv = ram.view;
  const u8 = ram.bytes;
  const tagR = h.tagR, addR = h.addR, tagW = h.tagW, addW = h.addW;
  let pc = h.pcNum;
  let ret = h.retired;
  const leavePage = (mode & Mode.LeavePage) !== 0;
  const blockEnd = mode === Mode.BlockEnd;
  let blk = h.cpBlk;
  let base = h.cpBase;
  let bpm = breakMap(h, base);
  let cm = h.execCounts.page(h.cpRam / 4096);
  loop: while (ret < end) {
    let off = pc - base;
    if (!(off >= 0 && off <= 4094)) {
      if (leavePage && base === base) break;
      h.pcNum = pc;
      h.retired = ret;
      if (!enterCodePage(h, pc)) { pc = h.pcNum; break; }
      blk = h.cpBlk;
      base = h.cpBase;
      off = h.cpOff;
      bpm = breakMap(h, pc - off);
      cm = h.execCounts.page(h.cpRam / 4096);
    }
    if (bpm !== undefined && bpm[off >> 1] !== 0) {
      h.pcNum = pc;
      h.pendingStop = { kind: "breakpoint", pc: h.pc };
      h.yieldReq = true;
      break;
    }
    let w = blk[off];
    let imm = blk[off + 1];
    if (w <= 0) {
      h.pcNum = pc;
      h.retired = ret;
      if (!fillSlot(h, pc, off)) { pc = h.pcNum; break; }
      w = h.fw;
      imm = h.fimm;
    }
    if (cm !== undefined && cm[off >> 1] >= 0) cm[off >> 1]++;
    const rd = (w >>> 7) & 127;
    const rs1 = (w >>> 14) & 127;
    const rs2 = (w >>> 21) & 127;
    const next = pc + (w >>> 28);
    switch (w & 127) {
      case Op.Lui:
        x[rd] = imm; x[rd + 1] = imm >> 31;
        break;
      case Op.Auipc: {
        const v = pc + imm;
        x[rd] = v | 0; x[rd + 1] = Math.floor(v / TWO32) | 0;
        break;
      }
      case Op.Jal:
        x[rd] = next | 0; x[rd + 1] = Math.floor(next / TWO32) | 0;
        pc = pc + imm;
        ret++;
        if (blockEnd) break loop;
        continue;
      case Op.Jalr: {
        const lo = x[rs1], hi = x[rs1 + 1];
        const t = hi * TWO32 + (lo >>> 0) + imm;
        x[rd] = next | 0; x[rd + 1] = Math.floor(next / TWO32) | 0;
        if (hi >= -0x100000 && hi < 0x100000) {
          pc = t - (t & 1);
        } else {
          h.pc = BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo >>> 0)) + BigInt(imm)) & ~1n;
          pc = h.pcNum; // NaN: the fetch faults with the exact address
        }
        ret++;
        if (blockEnd) break loop;
        continue;
      }
      case Op.Beq:
        pc = x[rs1] === x[rs2] && x[rs1 + 1] === x[rs2 + 1] ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      case Op.Bne:
        pc = x[rs1] !== x[rs2] || x[rs1 + 1] !== x[rs2 + 1] ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      case Op.Blt: {
        const a = x[rs1 + 1], b = x[rs2 + 1];
        pc = a < b || (a === b && x[rs1] >>> 0 < x[rs2] >>> 0) ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      }
      case Op.Bge: {
        const a = x[rs1 + 1], b = x[rs2 + 1];
        pc = a > b || (a === b && x[rs1] >>> 0 >= x[rs2] >>> 0) ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      }
      case Op.Bltu: {
        const a = x[rs1 + 1] >>> 0, b = x[rs2 + 1] >>> 0;
        pc = a < b || (a === b && x[rs1] >>> 0 < x[rs2] >>> 0) ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      }
      case Op.Bgeu: {
        const a = x[rs1 + 1] >>> 0, b = x[rs2 + 1] >>> 0;
        pc = a > b || (a === b && x[rs1] >>> 0 >= x[rs2] >>> 0) ? pc + imm : next;
        ret++;
        if (blockEnd) break loop;
        continue;
      }
      case Op.Lb: case Op.Lh: case Op.Lw: case Op.Ld: case Op.Lbu: case Op.Lhu: case Op.Lwu: {
        const op = w & 127;
        const size = op === Op.Lb || op === Op.Lbu ? 1 : op === Op.Lh || op === Op.Lhu ? 2 : op === Op.Ld ? 8 : 4;
        const ri = ramIndex(tagR, addR, x[rs1 + 1] * TWO32 + (x[rs1] >>> 0) + imm, size);
        if (ri >= 0) {
          let lo: number, hi: number;
          switch (op) {
            case Op.Lb: lo = (u8[ri] << 24) >> 24; hi = lo >> 31; break;
            case Op.Lbu: lo = u8[ri]; hi = 0; break;
            case Op.Lh: lo = dv.getInt16(ri, true); hi = lo >> 31; break;
            case Op.Lhu: lo = dv.getUint16(ri, true); hi = 0; break;
            case Op.Lw: lo = dv.getInt32(ri, true); hi = lo >> 31; break;
            case Op.Lwu: lo = dv.getInt32(ri, true); hi = 0; break;
            default: lo = dv.getInt32(ri, true); hi = dv.getInt32(ri + 4, true);
          }
          x[rd] = lo; x[rd + 1] = hi;
          break;
        }
        h.pcNum = pc;
        h.retired = ret;
        if (!loadSlow(h, rs1, imm, size, op === Op.Lb || op === Op.Lh || op === Op.Lw || op === Op.Ld)) {
          pc = h.pcNum;
          break loop;
        }
        x[rd] = h.vlo; x[rd + 1] = h.vhi;
        if (h.yieldReq) { pc = next; ret++; break loop; }
        blk = h.cpBlk; base = h.cpBase;
        break;
      }
      case Op.Sb: case Op.Sh: case Op.Sw: case Op.Sd: {
        const op = w & 127;
        const size = op === Op.Sb ? 1 : op === Op.Sh ? 2 : op === Op.Sw ? 4 : 8;
        const ri = ramIndex(tagW, addW, x[rs1 + 1] * TWO32 + (x[rs1] >>> 0) + imm, size);
        if (ri >= 0) {
          switch (op) {
            case Op.Sb: u8[ri] = x[rs2]; break;
            case Op.Sh: dv.setInt16(ri, x[rs2], true); break;
            case Op.Sw: dv.setInt32(ri, x[rs2], true); break;
            default: dv.setInt32(ri, x[rs2], true); dv.setInt32(ri + 4, x[rs2 + 1], true);
          }
          break;
        }
        h.pcNum = pc;
        h.retired = ret;
        if (!storeSlow(h, rs1, imm, size, x[rs2], x[rs2 + 1])) {
          pc = h.pcNum;
          break loop;
        }
        if (h.yieldReq) { pc = next; ret++; break loop; }
        blk = h.cpBlk; base = h.cpBase;
        break;
      }
      case Op.Addi: {
        const a = x[rs1];
        const s = (a >>> 0) + (imm >>> 0);
        x[rd + 1] = (x[rs1 + 1] + (imm >> 31) + (s > 0xffffffff ? 1 : 0)) | 0;
        x[rd] = s | 0;
        break;
      }
      case Op.Slti: {
        const hi = x[rs1 + 1], ih = imm >> 31;
        x[rd] = hi < ih || (hi === ih && x[rs1] >>> 0 < imm >>> 0) ? 1 : 0; x[rd + 1] = 0;
        break;
      }
      case Op.Sltiu: {
        const hi = x[rs1 + 1] >>> 0, ih = (imm >> 31) >>> 0;
        x[rd] = hi < ih || (hi === ih && x[rs1] >>> 0 < imm >>> 0) ? 1 : 0; x[rd + 1] = 0;
        break;
      }
      case Op.Xori: x[rd + 1] = x[rs1 + 1] ^ (imm >> 31); x[rd] = x[rs1] ^ imm; break;
      case Op.Ori: x[rd + 1] = x[rs1 + 1] | (imm >> 31); x[rd] = x[rs1] | imm; break;
      case Op.Andi: x[rd + 1] = x[rs1 + 1] & (imm >> 31); x[rd] = x[rs1] & imm; break;
      case Op.Slli: shl(x, rd, x[rs1], x[rs1 + 1], imm); break;
      case Op.Srli: shr(x, rd, x[rs1], x[rs1 + 1], imm, false); break;
      case Op.Srai: shr(x, rd, x[rs1], x[rs1 + 1], imm, true); break;
      case Op.Add: {
        const a = x[rs1], b = x[rs2];
        const s = (a >>> 0) + (b >>> 0);
        x[rd + 1] = (x[rs1 + 1] + x[rs2 + 1] + (s > 0xffffffff ? 1 : 0)) | 0;
        x[rd] = s | 0;
        break;
      }
      case Op.Sub: {
        const a = x[rs1], b = x[rs2];
        x[rd + 1] = (x[rs1 + 1] - x[rs2 + 1] - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
        x[rd] = (a - b) | 0;
        break;
      }
      case Op.Sll: shl(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63); break;
      case Op.Srl: shr(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63, false); break;
      case Op.Sra: shr(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63, true); break;
      case Op.Slt: {
        const a = x[rs1 + 1], b = x[rs2 + 1];
        x[rd] = a < b || (a === b && x[rs1] >>> 0 < x[rs2] >>> 0) ? 1 : 0; x[rd + 1] = 0;
        break;
      }
      case Op.Sltu: {
        const a = x[rs1 + 1] >>> 0, b = x[rs2 + 1] >>> 0;
        x[rd] = a < b || (a === b && x[rs1] >>> 0 < x[rs2] >>> 0) ? 1 : 0; x[rd + 1] = 0;
        break;
      }
      case Op.Xor: x[rd + 1] = x[rs1 + 1] ^ x[rs2 + 1]; x[rd] = x[rs1] ^ x[rs2]; break;
      case Op.Or: x[rd + 1] = x[rs1 + 1] | x[rs2 + 1]; x[rd] = x[rs1] | x[rs2]; break;
      case Op.And: x[rd + 1] = x[rs1 + 1] & x[rs2 + 1]; x[rd] = x[rs1] & x[rs2]; break;
      case Op.Addiw: { const v = (x[rs1] + imm) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Slliw: { const v = x[rs1] << imm; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Srliw: { const v = (x[rs1] >>> imm) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Sraiw: { const v = x[rs1] >> imm; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Addw: { const v = (x[rs1] + x[rs2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Subw: { const v = (x[rs1] - x[rs2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Sllw: { const v = x[rs1] << (x[rs2] & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Srlw: { const v = (x[rs1] >>> (x[rs2] & 31)) | 0; x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Sraw: { const v = x[rs1] >> (x[rs2] & 31); x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Mul: mul64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1]); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Mulh: mulhSigned(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], true); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Mulhsu: mulhSigned(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], false); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Mulhu: mulhu64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1]); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Div: div64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], true, false); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Divu: div64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], false, false); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Rem: div64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], true, true); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Remu: div64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1], false, true); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Mulw: { const v = Math.imul(x[rs1], x[rs2]); x[rd] = v; x[rd + 1] = v >> 31; break; }
      case Op.Divw: div32(x[rs1], x[rs2], true, false); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Divuw: div32(x[rs1], x[rs2], false, false); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Remw: div32(x[rs1], x[rs2], true, true); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Remuw: div32(x[rs1], x[rs2], false, true); x[rd] = R[0]; x[rd + 1] = R[1]; break;
      case Op.Fence:
        break;
      default:
        // Op.Slow and Op.Illegal: out of line, with the raw bits.
        h.pcNum = pc;
        h.retired = ret;
        execSlow(h);
        pc = h.pcNum;
        ret = h.retired;
        if (h.yieldReq || blockEnd) break loop;
        blk = h.cpBlk;
        base = h.cpBase;
        bpm = breakMap(h, base);
        cm = h.execCounts.page(h.cpRam / 4096);
        continue;
    }
    pc = next;
    ret++;
  }
  h.pcNum = pc;
  h.retired = ret;
  return ret < end;
}

function shl(x: Int32Array, rd: number, lo: number, hi: number, s: number): void {
  if (s === 0) { x[rd] = lo; x[rd + 1] = hi; }
  else if (s < 32) { x[rd + 1] = (hi << s) | (lo >>> (32 - s)); x[rd] = lo << s; }
  else { x[rd + 1] = lo << (s - 32); x[rd] = 0; }
}

function shr(x: Int32Array, rd: number, lo: number, hi: number, s: number, arith: boolean): void {
  if (s === 0) { x[rd] = lo; x[rd + 1] = hi; }
  else if (s < 32) { x[rd] = (lo >>> s) | (hi << (32 - s)); x[rd + 1] = arith ? hi >> s : hi >>> s; }
  else { x[rd] = arith ? hi >> (s - 32) : hi >>> (s - 32); x[rd + 1] = arith ? hi >> 31 : 0; }
}
