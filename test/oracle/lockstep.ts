/**
 * Lockstep comparison of Hyperstep's machine against QEMU's per-instruction state trace.
 *
 * QEMU runs the guest with `-singlestep -d cpu,nochain -icount shift=0` and streams the state before
 * every instruction; our board runs the same ELF one `step()` at a time, and after every instruction pc,
 * x1..x31 and the CSRs QEMU prints must agree. The first disagreement throws a Divergence that shows the
 * instruction just executed (pc, bits, disassembly) and both states side by side.
 *
 * Where the two may legitimately differ, we follow QEMU (copy its value into our hart, as Spike's DiffTest
 * does for MMIO reads) and log the fact. This is the complete list; where QEMU 7.2 deviates from the spec
 * the rule says so, and our hart follows the spec (endstate.ts applies rules 1 and 3 to end states):
 *  1. Reset: QEMU's records before the ELF entry are its reset ROM (6 instructions at 0x1000) and are skipped.
 *     At the entry QEMU has t0 = the entry (the ROM's jump register), a1 = the device-tree address and a2 =
 *     the fw_dynamic info address; our board has 0 there, so t0, a1 and a2 are copied from QEMU. a0 (hartid)
 *     is compared.
 *  2. mip.MTIP is not compared: QEMU's mtimecmp resets to 0 and it raises MTIP up to ~100 instructions
 *     after mtime reaches mtimecmp. A `csrr` of mip whose result differs only in MTIP takes QEMU's value
 *     (the mechanism of rule 9).
 *  3. Time and counters: a read of cycle/time/instret/mcycle/minstret and an MMIO read of the CLINT's
 *     mtime take QEMU's value. QEMU's icount includes the reset ROM's 6 instructions and the reading
 *     instruction itself, its clock jumps ahead through WFI, and it counts ecall, ebreak and other
 *     instructions that trap as retired. QEMU deviates from the spec there: privileged spec 1.12, 3.3.1
 *     ("As ECALL and EBREAK cause synchronous exceptions, they are not considered to retire, and should not
 *     increment the minstret CSR"); our hart counts only retired instructions.
 *  4. Interrupts: our hart runs with autoInterrupts = false and takes an interrupt (takeTrap) exactly
 *     where the trace shows QEMU taking one.
 *  5. AMO faults: QEMU 7.2 reports a misaligned or faulting AMO as a load fault (cause 4, 5 or 13). That
 *     deviates from the spec: an AMO's exceptions are store/AMO exceptions (privileged spec 1.12, 3.1.15,
 *     table 3.6: 6 "Store/AMO address misaligned", 7 "Store/AMO access fault", 15 "Store/AMO page fault";
 *     unprivileged spec 20191213, 8.4). Our hart must report 6, 7 or 15; QEMU's cause is then copied into ours.
 *  6. Re-execution: under -icount, QEMU abandons an instruction and runs it again, logging its record twice,
 *     when it accesses anything but RAM (a device, or an address nothing decodes) without being known to be
 *     the last of its TB (cpu_io_recompile), and when the icount budget runs out at its TB's start (every
 *     2^16 instructions, and at timer deadlines). When QEMU's next record repeats the previous one exactly
 *     (pc, GPRs, CSRs) and our hart has moved on from that state, the repeat is skipped: the instruction
 *     retired (or trapped) once. Not an architectural difference.
 *  7. Fetch faults: QEMU logs a record when it executes a translated block, and a block whose first fetch
 *     faults never executes, so the trap entry has no record of its own: the record after a jump to an
 *     unfetchable address is already the handler's. When QEMU's next record is a fetch fault (cause 1 or 12)
 *     taken at our new pc, our board takes that step too before comparing. Not an architectural difference.
 *  8. A record lacks the CSRs QEMU's dump could not read: satp in S-mode with mstatus.TVM = 1 (its access
 *     predicate says illegal). A CSR missing from a record is not compared.
 *  9. WARL bits QEMU 7.2 keeps (for our CPU model, without H, F, D) where our hart has read-only zero or
 *     keeps the old value. These bits (IGNORED_BITS) are not compared in the trace, and a CSR read whose
 *     result differs from QEMU's only there takes QEMU's value:
 *     - mstatus/sstatus VS (10:9) and the SD bit that summarizes it: writable in QEMU without V. Not a
 *       deviation: "If S-mode is implemented but the V extension is not, VS may optionally be read-only
 *       zero" (privileged spec 1.12, 3.1.6.6); our hart keeps VS at 0.
 *     - mstatus/sstatus UXL (33:32): QEMU lets software choose U-mode's XLEN and also stores the reserved
 *       values 0 and 3 (a deviation: 3.1.6.2 and table 3.1). Our hart supports only XLEN 64 there, so UXL
 *       is read-only 2 (3.1.6.2 allows a read-only UXL).
 *     - mstatus MPV (39) and GVA (38): writable in QEMU without H, a deviation (they are defined by the
 *       hypervisor extension, 8.2.x; without it they are WPRI, 3.1.6).
 *     - mstatus MPP = 2: QEMU stores the reserved encoding, a deviation (MPP is WARL, 3.1.6.1; a write of 2
 *       leaves our MPP unchanged). Ignored only while QEMU's MPP is 2.
 *     - mepc/sepc bit 0: QEMU keeps a written 1, a deviation ("mepc[0] is always zero" with IALIGN = 16,
 *       3.1.14; sepc likewise, 4.1.7).
 *     - mie/mip/mideleg (and the sie/sip views) bits 2, 6, 10, 12 (VS*, SGEI: hypervisor only) and 13 (LCOFI: Sscofpmf only):
 *       writable in QEMU without H, a deviation (without H they are read-only zero, figures 3.14–3.15 of
 *       3.1.9; mideleg, 3.1.8).
 *     - medeleg bits 10 (ecall from VS), 20–23 (guest page faults), which exist only with H, and 11 (ecall
 *       from M): writable in QEMU, a deviation ("medeleg[11] … hardwired to zero", 3.1.8; the others are
 *       H's, 8.x).
 *     - mhpmcounter3–31, hpmcounter3–31, mhpmevent3–31: QEMU stores writes (and may count); our hart makes
 *       them read-only zero, which the spec allows ("a legal implementation is to make both the counter and
 *       its corresponding event selector be read-only 0", 3.1.10). Not compared at all.
 *     - mvendorid, marchid, mimpid: QEMU reports its own build (mimpid 0x70216 for Debian's 7.2); our hart
 *       reports 0, "not implemented", which the spec allows (3.1.2–3.1.4). Not compared at all.
 *     - pmpcfg bits 6:5 of each entry: QEMU stores them, a deviation (reserved, "0 (WARL)", figure 3.27 in 3.7.1).
 *     - pmpaddr bits 63:54: QEMU stores them, a deviation (RV64 pmpaddr holds address bits 55:2; bits 63:54
 *       are WARL zero, figure 3.26 in 3.7.1).
 * 10. csrrs/csrrc whose rs1 is not x0 but holds 0, on a read-only CSR: QEMU 7.2 decides "write or not" by
 *     the value, so it reads without trapping. That deviates from the spec: with rs1 ≠ x0 the instruction
 *     writes (the unmodified value) and a write to a read-only CSR raises illegal instruction (unprivileged
 *     spec 20191213, 9.1: "if rs1 specifies a register holding a zero value other than x0, the instruction
 *     will still attempt to write the unmodified value back to the CSR"; privileged spec 1.12, 2.1). Our
 *     hart traps; when QEMU went on, its trap is undone and rd takes QEMU's value.
 */
import type { Readable } from "node:stream";
import { expandCompressed } from "../../src/isa/compressed";
import type { StopReason } from "../../src/machine/board";
import { disassembleAt } from "./disasm";
import { loadGuest, type LoadedGuest } from "./ours";
import { runQemu } from "./qemu";
import { readTrace, type TraceRecord } from "./trace";

/** The CSRs QEMU prints for a hart without H, with their numbers. */
export const TRACED_CSRS: ReadonlyArray<readonly [string, number]> = [
  ["mhartid", 0xf14], ["mstatus", 0x300], ["mip", 0x344], ["mie", 0x304], ["mideleg", 0x303],
  ["medeleg", 0x302], ["mtvec", 0x305], ["stvec", 0x105], ["mepc", 0x341], ["sepc", 0x141],
  ["mcause", 0x342], ["scause", 0x142], ["mtval", 0x343], ["stval", 0x143], ["mscratch", 0x340],
  ["sscratch", 0x140], ["satp", 0x180],
];
/** Rules 2 and 9: for a CSR number, the bits not compared given QEMU's value. */
const VS_SD_UXL = (3n << 9n) | (1n << 63n) | (3n << 32n);
const H_LCOF_IRQS = (1n << 2n) | (1n << 6n) | (1n << 10n) | (1n << 12n) | (1n << 13n);
const IGNORED_BITS = new Map<number, (theirs: bigint) => bigint>([
  [0x300, (v) => VS_SD_UXL | (3n << 38n) | (((v >> 11n) & 3n) === 2n ? 3n << 11n : 0n)],
  [0x100, () => VS_SD_UXL],
  [0x341, () => 1n], [0x141, () => 1n],
  [0x344, () => H_LCOF_IRQS | (1n << 7n)], [0x304, () => H_LCOF_IRQS], [0x303, () => H_LCOF_IRQS],
  [0x104, () => H_LCOF_IRQS], [0x144, () => H_LCOF_IRQS],
  [0x302, () => 0xf00c00n],
  [0xf11, () => -1n], [0xf12, () => -1n], [0xf13, () => -1n],
  ...[0xb03, 0xc03, 0x323].flatMap((first) => Array.from({ length: 29 }, (_, i) => [first + i, () => -1n] as [number, (v: bigint) => bigint])),
  [0x3a0, () => 0x6060606060606060n], [0x3a2, () => 0x6060606060606060n],
  ...Array.from({ length: 16 }, (_, i) => [0x3b0 + i, () => ~((1n << 54n) - 1n)] as [number, (v: bigint) => bigint]),
]);
const ignoredBits = (num: number, theirs: bigint) => IGNORED_BITS.get(num)?.(theirs) ?? 0n;
/** Rule 5: QEMU's load cause for an AMO → the spec's store/AMO cause. */
const AMO_CAUSE: Record<string, bigint> = { 4: 6n, 5: 7n, 13: 15n };
const COUNTER_CSRS = new Set([0xc00, 0xc01, 0xc02, 0xb00, 0xb02]);
const CLINT_MTIME = 0x200bff8;
const ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

export class Divergence extends Error {}

export interface LockstepOptions {
  /** Stop with an error after this many instructions (default 2,000,000). */
  maxInstructions?: number;
  timeoutMs?: number;
  /** Extra context for a divergence report, e.g. the random seed. */
  context?: string;
}

export interface LockstepResult {
  instructions: number;
  exitCode: number;
  uart: string;
  /** Each time a rule above made us follow QEMU. */
  followed: string[];
}

export async function lockstep(elfPath: string, opts: LockstepOptions = {}): Promise<LockstepResult> {
  const guest = loadGuest(elfPath);
  let result: Awaited<ReturnType<typeof compare>> | undefined;
  const qemu = await runQemu(elfPath, {
    timeoutMs: opts.timeoutMs ?? 120_000,
    onTrace: async (trace) => {
      result = await compare(elfPath, guest, trace, opts);
    },
  });
  if (qemu.timedOut) throw new Divergence(`${elfPath}: QEMU did not finish in time\n${qemu.stderr}`);
  const ours = result!.haltCode;
  if ((ours & 0xff) !== qemu.exitCode) {
    throw new Divergence(`${elfPath}: exit code differs: QEMU ${qemu.exitCode}, ours ${ours}`);
  }
  if (guest.uart() !== qemu.uart) {
    throw new Divergence(`${elfPath}: UART output differs:\nQEMU: ${JSON.stringify(qemu.uart)}\nours: ${JSON.stringify(guest.uart())}`);
  }
  return { instructions: result!.instructions, followed: result!.followed, exitCode: qemu.exitCode, uart: qemu.uart };
}

async function compare(elfPath: string, guest: LoadedGuest, trace: Readable, opts: LockstepOptions) {
  const { board, entry } = guest;
  const hart = board.hart;
  hart.autoInterrupts = false;
  const max = opts.maxInstructions ?? 2_000_000;
  const followed: string[] = [];
  let mtimeRead = false;
  board.bus.onMmio = (dev, off, _w, isWrite) => {
    if (!isWrite && dev.base + off >= CLINT_MTIME && dev.base + off < CLINT_MTIME + 8) mtimeRead = true;
  };
  const fail = (msg: string, q: TraceRecord | undefined, prev: TraceRecord | undefined, n: number): never => {
    throw new Divergence(report(elfPath, guest, msg, q, prev, n, opts.context));
  };

  let prev: TraceRecord | undefined;
  let prevUndo: TrapState | undefined;
  let n = 0;
  let halted: (StopReason & { kind: "halt" }) | undefined;
  for await (const q of readTrace(trace)) {
    if (!prev && q.pc !== entry) continue; // rule 1: QEMU's reset ROM
    if (prev && sameRecord(prev, q) && !hartIs(hart, q)) continue; // rule 6
    if (!prev) {
      for (const i of [5, 11, 12]) hart.setReg(i, q.x[i]!);
    } else {
      if (halted) fail("our board halted but QEMU ran on", q, prev, n);
      if (prevUndo) undoTrap(guest, prevUndo, prev, q, followed, n);
      const wrong = followQemu(guest, prev, q, mtimeRead, followed, n);
      if (wrong) fail(wrong, q, prev, n);
    }
    const diff = differences(guest, q);
    if (diff.length) fail(`state differs in ${diff.join(", ")}`, q, prev, n);
    if (n >= max) fail(`no exit within ${max} instructions`, q, prev, n);
    mtimeRead = false;
    const undo = zeroWriteOfReadOnlyCsr(guest, q) ? saveTrapState(hart) : undefined; // rule 10
    const r = board.step();
    n++;
    if (r.kind === "halt") {
      halted = r;
    } else if (r.kind !== "budget" && r.kind !== "idle") {
      fail(`unexpected stop ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v))}`, q, prev, n);
    }
    prev = q;
    prevUndo = undo;
  }
  if (!prev) throw new Divergence(`${elfPath}: QEMU's trace never reached the entry 0x${entry.toString(16)}`);
  if (!halted) throw new Divergence(report(elfPath, guest, "QEMU exited here but our board did not halt", undefined, prev, n, opts.context));
  board.bus.onMmio = undefined;
  return { instructions: n, followed, haltCode: halted.code };
}

/**
 * Applies rules 2–5 after our hart has executed the instruction at `prev.pc` and QEMU is at `q`.
 * Returns what is wrong when our hart broke a rule's own condition.
 */
function followQemu(g: LoadedGuest, prev: TraceRecord, q: TraceRecord, mtimeRead: boolean, log: string[],
  n: number): string | undefined {
  const hart = g.board.hart;
  const raw = fetch(g, prev.pc);
  const insn = (raw & 3) === 3 ? raw : expandCompressed(raw & 0xffff); // rd and funct fields of the 32-bit form
  const at = `#${n} pc=0x${prev.pc.toString(16)}`;
  const rd = (insn >>> 7) & 31;
  const copyRd = (why: string) => {
    if (rd !== 0 && hart.getReg(rd) !== q.x[rd]) {
      log.push(`${at}: ${ABI[rd]} = QEMU's 0x${q.x[rd]!.toString(16)} (ours 0x${hart.getReg(rd).toString(16)}): ${why}`);
      hart.setReg(rd, q.x[rd]!);
    }
  };
  const isCsr = (insn & 0x7f) === 0x73 && ((insn >>> 12) & 7) !== 0 && ((insn >>> 12) & 7) !== 4;
  const csr = insn >>> 20;
  if (isCsr && COUNTER_CSRS.has(csr)) copyRd(`counter 0x${csr.toString(16)} read`);
  if (isCsr && rd !== 0 && IGNORED_BITS.has(csr) && ((hart.getReg(rd) ^ q.x[rd]!) & ~ignoredBits(csr, q.x[rd]!)) === 0n) {
    copyRd(`CSR 0x${csr.toString(16)} read: bits QEMU keeps (rules 2, 9)`);
  }
  if (mtimeRead) copyRd("mtime read");

  // Rule 7: QEMU's record is already the handler of a fault on fetching our next instruction.
  if (hart.pc !== q.pc) {
    for (const [cause, tvec, epc] of [["mcause", "mtvec", "mepc"], ["scause", "stvec", "sepc"]] as const) {
      const c = q.csr.get(cause);
      if ((c === 1n || c === 12n) && q.csr.get(epc) === hart.pc && q.pc === vector(q.csr.get(tvec)!, c)) {
        log.push(`${at}: fetch fault ${c} at 0x${hart.pc.toString(16)} taken in the same step, as QEMU logs it`);
        g.board.step();
        break;
      }
    }
  }

  // Rule 4: QEMU entered a trap vector with an interrupt cause where we simply went on.
  if (hart.pc !== q.pc) {
    for (const [cause, tvec, epc] of [["mcause", "mtvec", "mepc"], ["scause", "stvec", "sepc"]] as const) {
      const c = q.csr.get(cause)!;
      if (c >> 63n && q.csr.get(epc) === hart.pc && q.pc === vector(q.csr.get(tvec)!, c)) {
        log.push(`${at}: interrupt 0x${c.toString(16)} taken where QEMU took it`);
        hart.takeTrap(c, 0n);
        break;
      }
    }
  }

  // Rule 5: AMO fault causes (SC included: its faults are store/AMO faults too).
  const isAmo = (insn & 0x7f) === 0x2f && insn >>> 27 !== 2;
  if (isAmo) {
    for (const [name, num] of [["mcause", 0x342], ["scause", 0x142]] as const) {
      const ours = hart.readCsr(num)!;
      const theirs = q.csr.get(name)!;
      if (theirs === prev.csr.get(name) && ours === prev.csr.get(name)) continue;
      const spec = AMO_CAUSE[String(theirs)];
      if (spec === undefined) continue;
      if (ours === theirs) return `an AMO fault must report store/AMO cause ${spec} (the spec), ours says ${ours} like QEMU 7.2`;
      if (ours === spec) {
        log.push(`${at}: ${name} = QEMU's ${theirs} (ours ${ours}, the spec's store/AMO cause)`);
        hart.writeCsr(num, theirs);
      }
    }
  }
  return undefined;
}

/** What a trap changes in our hart (rule 10 puts it back). */
interface TrapState {
  priv: number;
  pc: bigint;
  csrs: [number, bigint][];
}
const TRAP_CSRS = [0x300, 0x341, 0x342, 0x343, 0x141, 0x142, 0x143];

/** Whether the instruction at q.pc is csrrs/csrrc with rs1 ≠ x0 holding 0, on a read-only CSR (rule 10). */
function zeroWriteOfReadOnlyCsr(g: LoadedGuest, q: TraceRecord): boolean {
  const insn = fetch(g, q.pc);
  if ((insn & 3) !== 3 || (insn & 0x7f) !== 0x73) return false;
  const f3 = (insn >>> 12) & 7, rs1 = (insn >>> 15) & 31;
  return (f3 === 2 || f3 === 3) && rs1 !== 0 && q.x[rs1] === 0n && insn >>> 30 === 3;
}

function saveTrapState(hart: LoadedGuest["board"]["hart"]): TrapState {
  return { priv: hart.priv, pc: hart.pc, csrs: TRAP_CSRS.map((n) => [n, hart.readCsr(n)!]) };
}

/** Rule 10: our hart trapped on the instruction at prev.pc; QEMU went on to q. */
function undoTrap(g: LoadedGuest, saved: TrapState, prev: TraceRecord, q: TraceRecord, log: string[], n: number): void {
  const hart = g.board.hart;
  if (q.pc !== saved.pc + 4n || hart.pc === q.pc) return;
  hart.priv = saved.priv;
  for (const [num, v] of saved.csrs) hart.writeCsr(num, v);
  hart.pc = q.pc;
  hart.retired++;
  const rd = (fetch(g, prev.pc) >>> 7) & 31;
  hart.setReg(rd, q.x[rd]!);
  log.push(`#${n} pc=0x${prev.pc.toString(16)}: QEMU read the read-only CSR without trapping (rule 10)`);
}

function vector(tvec: bigint, cause: bigint): bigint {
  const base = tvec & ~3n;
  return (tvec & 3n) === 1n ? base + 4n * (cause & 0xffn) : base;
}

/** The instruction bits at a (virtual, identity-mapped in the corpus) pc, or -1 if unreadable. */
function fetch(g: LoadedGuest, pc: bigint): number {
  const t = g.board.hart.translate(pc, "x");
  if ("fault" in t) return -1;
  const lo = g.board.bus.load(t.pa, 2);
  if (lo === undefined) return -1;
  if ((lo & 3n) !== 3n) return Number(lo);
  const hi = g.board.bus.load(t.pa + 2, 2) ?? 0n;
  return Number(lo | (hi << 16n)) >>> 0;
}

/** Whether two records hold the same state (rule 6's repeat). */
function sameRecord(a: TraceRecord, b: TraceRecord): boolean {
  if (a.pc !== b.pc || a.csr.size !== b.csr.size) return false;
  for (let i = 1; i < 32; i++) if (a.x[i] !== b.x[i]) return false;
  for (const [name, v] of a.csr) if (b.csr.get(name) !== v) return false;
  return true;
}

/** Whether our hart's pc and GPRs are those of the record (the CSRs do not matter for rule 6). */
function hartIs(hart: LoadedGuest["board"]["hart"], q: TraceRecord): boolean {
  if (hart.pc !== q.pc) return false;
  for (let i = 1; i < 32; i++) if (hart.getReg(i) !== q.x[i]) return false;
  return true;
}

function differences(g: LoadedGuest, q: TraceRecord): string[] {
  const hart = g.board.hart;
  const out: string[] = [];
  if (hart.pc !== q.pc) out.push("pc");
  for (let i = 1; i < 32; i++) if (hart.getReg(i) !== q.x[i]) out.push(ABI[i]!);
  for (const [name, num] of TRACED_CSRS) {
    const theirs = q.csr.get(name);
    if (theirs === undefined) continue; // rule 8
    const mask = ~ignoredBits(num, theirs);
    if (((hart.readCsr(num) ?? -1n) & mask) !== (theirs & mask)) out.push(name);
  }
  return out;
}

function report(elf: string, g: LoadedGuest, msg: string, q: TraceRecord | undefined, prev: TraceRecord | undefined,
  n: number, context: string | undefined): string {
  const hart = g.board.hart;
  const h = (v: bigint | undefined) => (v === undefined ? "(none)" : "0x" + v.toString(16).padStart(16, "0"));
  const lines = [`lockstep ${elf}: ${msg}, after ${n} instructions${context ? ` (${context})` : ""}`];
  if (prev) {
    const bits = fetch(g, prev.pc);
    lines.push(`  last instruction: pc=${h(prev.pc)} bits=0x${(bits >>> 0).toString(16).padStart(bits >>> 0 < 0x10000 && (bits & 3) !== 3 ? 4 : 8, "0")}  ${disassembleAt(elf, prev.pc)}`);
  }
  lines.push(`  ${"".padEnd(9)}${"QEMU".padEnd(20)}ours          (our priv ${hart.priv})`);
  const row = (name: string, theirs: bigint | undefined, ours: bigint | undefined, mask = -1n) => {
    const bad = theirs !== undefined && (ours === undefined || (theirs & mask) !== (ours & mask));
    lines.push(`  ${name.padEnd(9)}${h(theirs).padEnd(20)}${h(ours)}${bad ? "  <<" : ""}`);
  };
  row("pc", q?.pc, hart.pc);
  for (let i = 1; i < 32; i++) row(ABI[i]!, q?.x[i], hart.getReg(i));
  for (const [name, num] of TRACED_CSRS) {
    const theirs = q?.csr.get(name);
    row(name, theirs, hart.readCsr(num), theirs === undefined ? -1n : ~ignoredBits(num, theirs));
  }
  return lines.join("\n");
}
