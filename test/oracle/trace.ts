/**
 * Parser for QEMU's `-d cpu` state trace: one record per instruction, the state *before* it executes.
 *
 * With the CPU model of ./qemu a record is `pc`, then the CSRs QEMU 7.2 prints for a hart without H
 * (mhartid mstatus mip mie mideleg medeleg mtvec stvec mepc sepc mcause scause mtval stval mscratch
 * sscratch satp), then x0..x31 four to a line. For a hart with H (QEMU_CPU_H) the record starts with
 * `V = n`, the virtualization mode, and has the H CSRs QEMU prints among the others (see
 * lockstep.ts, H_TRACED_CSRS). QEMU does not print the privilege level. With `-d fpu` (qemu.ts asks
 * for it) f0..f31 follow x31; a parser told `fpu` ends each record there (fcsr is not printed).
 */
import type { Readable } from "node:stream";

export interface TraceRecord {
  /** The virtualization mode V, for a hart with H (undefined without). */
  v?: number;
  pc: bigint;
  csr: Map<string, bigint>;
  x: bigint[];
  /** f0..f31, when the trace has them. */
  f?: bigint[];
}

export class TraceFormatError extends Error {}

/** Parses a whole trace held in memory (`fpu`: its records end with f0..f31). */
export function parseTrace(text: string, fpu = false): TraceRecord[] {
  const out: TraceRecord[] = [];
  const p = new TraceParser((r) => out.push(r), fpu);
  p.push(text);
  p.end();
  return out;
}

/** Yields the records of a streamed trace as they arrive. */
export async function* readTrace(stream: Readable, fpu = false): AsyncGenerator<TraceRecord> {
  const queue: TraceRecord[] = [];
  const p = new TraceParser((r) => queue.push(r), fpu);
  stream.setEncoding("latin1");
  for await (const chunk of stream) {
    p.push(chunk as string);
    while (queue.length) yield queue.shift()!;
  }
  p.end();
  while (queue.length) yield queue.shift()!;
}

/** Incremental line parser; a record ends with x31, or with f31 for an `fpu` trace. */
export class TraceParser {
  private rest = "";
  private cur: TraceRecord | undefined;
  private line = 0;
  private v: number | undefined;

  constructor(private readonly emit: (r: TraceRecord) => void, private readonly fpu = false) {}

  push(text: string): void {
    const data = this.rest + text;
    let start = 0;
    for (;;) {
      const nl = data.indexOf("\n", start);
      if (nl < 0) break;
      this.parseLine(data.slice(start, nl));
      start = nl + 1;
    }
    this.rest = data.slice(start);
  }

  /** Ends the stream; a record cut short (QEMU exiting mid-write) is dropped. */
  end(): void {
    if (this.rest) this.parseLine(this.rest);
    this.rest = "";
  }

  private parseLine(line: string): void {
    this.line++;
    const t = line.trim().split(/\s+/);
    if (t.length < 2) return;
    if (t[0] === "V") {
      // `V      =   1`, printed before pc by harts with H
      const v = t[t.length - 1]!;
      if (v !== "0" && v !== "1") throw new TraceFormatError(`trace line ${this.line}: bad V "${line.trim()}"`);
      this.v = Number(v);
      return;
    }
    if (t[0] === "pc") {
      this.cur = { pc: hex(t[1]!, this.line), csr: new Map(), x: [] };
      if (this.v !== undefined) this.cur.v = this.v;
      this.v = undefined;
      return;
    }
    const cur = this.cur;
    if (!cur) return; // anything QEMU logs before the first record
    if (t[0]!.startsWith("x0/")) {
      if (cur.x.length !== 0) throw new TraceFormatError(`trace line ${this.line}: x0 twice in one record`);
    }
    if (/^x\d+\//.test(t[0]!)) {
      for (let i = 0; i + 1 < t.length; i += 2) {
        const n = Number(t[i]!.slice(1, t[i]!.indexOf("/")));
        if (n !== cur.x.length) throw new TraceFormatError(`trace line ${this.line}: expected x${cur.x.length}, got ${t[i]}`);
        cur.x.push(hex(t[i + 1]!, this.line));
      }
      if (cur.x.length === 32 && !this.fpu) {
        this.emit(cur);
        this.cur = undefined;
      }
      return;
    }
    if (/^f\d+\//.test(t[0]!)) {
      const f = (cur.f ??= []);
      for (let i = 0; i + 1 < t.length; i += 2) {
        const n = Number(t[i]!.slice(1, t[i]!.indexOf("/")));
        if (n !== f.length || cur.x.length !== 32) throw new TraceFormatError(`trace line ${this.line}: expected ${cur.x.length === 32 ? `f${f.length}` : "x registers"}, got ${t[i]}`);
        f.push(hex(t[i + 1]!, this.line));
      }
      if (f.length === 32) {
        this.emit(cur);
        this.cur = undefined;
      }
      return;
    }
    if (t.length === 2 && /^[0-9a-f]+$/.test(t[1]!)) cur.csr.set(t[0]!, hex(t[1]!, this.line));
  }
}

function hex(s: string, line: number): bigint {
  if (!/^[0-9a-f]{1,16}$/.test(s)) throw new TraceFormatError(`trace line ${line}: bad hex value "${s}"`);
  return BigInt("0x" + s);
}
