/**
 * Lockstep comparison of Hyperstep's machine against QEMU's per-instruction state trace.
 *
 * QEMU runs the guest with `-singlestep -d cpu,nochain -icount shift=0` and streams the state before
 * every instruction; our board runs the same ELF one `step()` at a time, and after every instruction pc,
 * x1..x31 and the CSRs QEMU prints must agree. The first disagreement throws a Divergence that shows the
 * instruction just executed (pc, bits, disassembly) and both states side by side.
 *
 * Where the two may legitimately differ, we follow QEMU (copy its value into our hart, as Spike's DiffTest
 * does for MMIO reads) and log the fact. The complete list:
 *  1. Reset: QEMU's records before the ELF entry are its reset ROM (6 instructions at 0x1000) and are skipped. At the
 *     entry QEMU has t0 = the entry (the ROM's jump register), a1 = the device-tree address and a2 = the
 *     fw_dynamic info address; our board has 0 there, so t0, a1 and a2 are copied from QEMU. a0 (hartid)
 *     is compared.
 *  2. mip.MTIP is not compared: QEMU's mtimecmp resets to 0 and it raises MTIP up to ~100 instructions
 *     after mtime reaches mtimecmp. A `csrr` of mip whose result differs only in MTIP takes QEMU's value.
 *  3. Time and counters: a read of cycle/time/instret/mcycle/minstret (QEMU's icount includes the reset
 *     ROM's 6 instructions, and its clock jumps ahead through WFI) and an MMIO read of the CLINT's mtime take QEMU's value.
 *  4. Interrupts: our hart runs with autoInterrupts = false and takes an interrupt (takeTrap) exactly
 *     where the trace shows QEMU taking one.
 *  5. AMO faults: QEMU 7.2 reports a misaligned or unmapped AMO as a load fault (cause 4 or 5); the spec
 *     says store/AMO (6 or 7). Our hart must report 6/7; QEMU's cause is then copied into ours.
 */
import type { Readable } from "node:stream";
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
const CSR_MASK: Record<string, bigint> = { mip: ~(1n << 7n) };
const COUNTER_CSRS = new Set([0xc00, 0xc01, 0xc02, 0xb00, 0xb02]);
const MIP = 0x344;
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
  board.bus.onMmio = (_dev, off, _w, isWrite) => {
    if (!isWrite && _dev.base + off >= CLINT_MTIME && _dev.base + off < CLINT_MTIME + 8) mtimeRead = true;
  };
  const fail = (msg: string, q: TraceRecord | undefined, prev: TraceRecord | undefined, n: number): never => {
    throw new Divergence(report(elfPath, guest, msg, q, prev, n, opts.context));
  };

  let prev: TraceRecord | undefined;
  let n = 0;
  let halted: (StopReason & { kind: "halt" }) | undefined;
  for await (const q of readTrace(trace)) {
    if (!prev && q.pc !== entry) continue; // rule 1: QEMU's reset ROM
    if (!prev) {
      for (const i of [5, 11, 12]) hart.setReg(i, q.x[i]!);
    } else {
      if (halted) fail("our board halted but QEMU ran on", q, prev, n);
      const wrong = followQemu(guest, prev, q, mtimeRead, followed, n);
      if (wrong) fail(wrong, q, prev, n);
    }
    const diff = differences(guest, q);
    if (diff.length) fail(`state differs in ${diff.join(", ")}`, q, prev, n);
    if (n >= max) fail(`no exit within ${max} instructions`, q, prev, n);
    mtimeRead = false;
    const r = board.step();
    n++;
    if (r.kind === "halt") {
      halted = r;
    } else if (r.kind !== "budget" && r.kind !== "idle") {
      fail(`unexpected stop ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v))}`, q, prev, n);
    }
    prev = q;
  }
  if (!prev) throw new Divergence(`${elfPath}: QEMU's trace never reached the entry 0x${entry.toString(16)}`);
  if (!halted) fail("QEMU exited here but our board did not halt", undefined, prev, n);
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
  const insn = fetch(g, prev.pc);
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
  if (isCsr && csr === MIP && ((hart.getReg(rd) ^ q.x[rd]!) & ~(1n << 7n)) === 0n) copyRd("mip.MTIP timing");
  if (mtimeRead) copyRd("mtime read");

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

  // Rule 5: AMO fault causes.
  const isAmo = (insn & 0x7f) === 0x2f && insn >>> 27 !== 2;
  if (isAmo) {
    for (const [name, num] of [["mcause", 0x342], ["scause", 0x142]] as const) {
      const ours = hart.readCsr(num)!;
      const theirs = q.csr.get(name)!;
      if (theirs === prev.csr.get(name) && ours === prev.csr.get(name)) continue;
      if ((theirs === 4n || theirs === 5n) && ours === theirs) {
        return `an AMO fault must report store/AMO cause ${theirs + 2n} (the spec), ours says ${ours} like QEMU 7.2`;
      }
      if ((theirs === 4n || theirs === 5n) && ours === theirs + 2n) {
        log.push(`${at}: ${name} = QEMU's ${theirs} (ours ${ours}, the spec's store/AMO cause)`);
        hart.writeCsr(num, theirs);
      }
    }
  }
  return undefined;
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

function differences(g: LoadedGuest, q: TraceRecord): string[] {
  const hart = g.board.hart;
  const out: string[] = [];
  if (hart.pc !== q.pc) out.push("pc");
  for (let i = 1; i < 32; i++) if (hart.getReg(i) !== q.x[i]) out.push(ABI[i]!);
  for (const [name, num] of TRACED_CSRS) {
    const mask = CSR_MASK[name] ?? -1n;
    if (((hart.readCsr(num) ?? -1n) & mask) !== (q.csr.get(name)! & mask)) out.push(name);
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
    const bad = theirs === undefined || ours === undefined || (theirs & mask) !== (ours & mask);
    lines.push(`  ${name.padEnd(9)}${h(theirs).padEnd(20)}${h(ours)}${bad ? "  <<" : ""}`);
  };
  row("pc", q?.pc, hart.pc);
  for (let i = 1; i < 32; i++) row(ABI[i]!, q?.x[i], hart.getReg(i));
  for (const [name, num] of TRACED_CSRS) row(name, q?.csr.get(name), hart.readCsr(num), CSR_MASK[name]);
  return lines.join("\n");
}
