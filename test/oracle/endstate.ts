/**
 * End-state comparison: runs a guest to completion on QEMU and on our board and compares UART output,
 * exit code and (optionally) the final GPRs. Cheaper than lockstep for long guests such as sample-guests/.
 *
 * QEMU's final GPRs come from the last record of its state trace, which is the state before the finisher
 * (or `tohost`) store; a store changes no register, so they must equal ours after our board has halted.
 * The rules of lockstep.ts that apply to end states:
 *  - rule 1: our board starts with QEMU's t0, a1 and a2 at the entry (taken from QEMU's trace when
 *    registers are compared), so a guest that never overwrites them ends with the same values;
 *  - rule 3: a guest that prints a counter or the time prints QEMU's clock, not ours.
 * Output the spec leaves to the implementation (a counter's value, a read through a stale TLB entry) is named
 * by `openLines`: on a line that matches one of the patterns, only the text up to the end of the match is
 * compared.
 * A guest with a `tohost` symbol ends through HTIF, which QEMU has only on its `spike` board.
 */
import { readFileSync } from "node:fs";
import { ElfError, findSymbol, parseElf } from "../../src/asm/elf";
import { loadGuest } from "./ours";
import { runQemu } from "./qemu";
import { readTrace, type TraceRecord } from "./trace";

export interface EndState {
  exitCode: number;
  uart: string;
  /** x0..x31, when registers were requested. */
  x?: bigint[];
  /** QEMU only: x0..x31 at the ELF entry, when registers were requested. */
  entryX?: bigint[];
  instructions?: bigint;
}

export interface EndStateOptions {
  /** Also compare the final registers (single-steps QEMU with a trace: ~100k instructions/s). */
  registers?: boolean;
  /** Output lines whose text after the matched prefix is implementation-defined (see the header). */
  openLines?: RegExp[];
  maxInstructions?: number;
  timeoutMs?: number;
  /** What to type into the guest's UART (both machines get the same bytes). */
  input?: string;
  /** The hart has the H extension (QEMU's `-cpu rv64,h=true`). */
  hypervisor?: boolean;
  /** RAM in bytes, a whole number of MiB (QEMU's `-m`); default 128 MiB. */
  memoryBytes?: number;
}

/** Rule 1's registers: the ones QEMU's reset ROM leaves at the entry (t0, a1, a2). */
const ROM_REGISTERS = [5, 11, 12];

function hasTohost(elf: string): boolean {
  const image = parseElf(readFileSync(elf));
  if (image instanceof ElfError) throw new Error(`${elf}: ${image.message}`);
  return findSymbol(image, "tohost") !== undefined;
}

export async function qemuEndState(elf: string, opts: EndStateOptions = {}): Promise<EndState> {
  let last: TraceRecord | undefined;
  let atEntry: TraceRecord | undefined;
  const entry = loadGuest(elf).entry;
  const run = await runQemu(elf, {
    machine: hasTohost(elf) ? "spike" : "virt",
    hypervisor: opts.hypervisor,
    memory: opts.memoryBytes === undefined ? undefined : `${opts.memoryBytes / (1 << 20)}M`,
    timeoutMs: opts.timeoutMs,
    input: opts.input,
    onTrace: opts.registers
      ? async (t) => {
          for await (const r of readTrace(t)) {
            if (!atEntry && r.pc === entry) atEntry = r;
            last = r;
          }
        }
      : undefined,
  });
  if (run.timedOut) throw new Error(`${elf}: QEMU did not finish in time`);
  if (opts.registers && !atEntry) throw new Error(`${elf}: QEMU's trace never reached the entry 0x${entry.toString(16)}`);
  return { exitCode: run.exitCode, uart: run.uart, x: last?.x, entryX: atEntry?.x };
}

/** Runs our board to its halt; `entryX` (QEMU's registers at the entry) supplies rule 1's values. */
export function ourEndState(elf: string, opts: EndStateOptions = {}, entryX?: bigint[]): EndState {
  const g = loadGuest(elf, opts.input, opts.hypervisor, opts.memoryBytes);
  if (entryX) for (const i of ROM_REGISTERS) g.board.hart.setReg(i, entryX[i]!);
  const max = opts.maxInstructions ?? 500_000_000;
  for (;;) {
    const r = g.board.run(1_000_000);
    if (r.kind === "halt") {
      const x = Array.from({ length: 32 }, (_, i) => g.board.hart.getReg(i));
      return { exitCode: r.code & 0xff, uart: g.uart(), x: opts.registers ? x : undefined, instructions: g.board.instret };
    }
    if (r.kind !== "budget") throw new Error(`${elf}: our board stopped: ${r.kind}`);
    if (g.board.instret >= BigInt(max)) throw new Error(`${elf}: no exit within ${max} instructions`);
  }
}

/** The UART text with what follows each open line's matched prefix cut off. */
function closeLines(uart: string, patterns: RegExp[] | undefined): string {
  if (!patterns) return uart;
  return uart.split("\n").map((l) => {
    for (const p of patterns) {
      const m = p.exec(l);
      if (m) return l.slice(0, m.index + m[0].length) + "…";
    }
    return l;
  }).join("\n");
}

/** Differences between the two end states, as readable lines (empty when they agree). */
export async function compareEndStates(elf: string, opts: EndStateOptions = {}): Promise<string[]> {
  const q = await qemuEndState(elf, opts);
  const o = ourEndState(elf, opts, q.entryX);
  const out: string[] = [];
  if (q.exitCode !== o.exitCode) out.push(`exit code: QEMU ${q.exitCode}, ours ${o.exitCode}`);
  const [qu, ou] = [closeLines(q.uart, opts.openLines), closeLines(o.uart, opts.openLines)];
  if (qu !== ou) out.push(`UART: QEMU ${JSON.stringify(q.uart)}, ours ${JSON.stringify(o.uart)}`);
  if (q.x && o.x) {
    for (let i = 1; i < 32; i++) {
      if (q.x[i] !== o.x[i]) out.push(`x${i}: QEMU 0x${q.x[i]!.toString(16)}, ours 0x${o.x[i]!.toString(16)}`);
    }
  }
  return out;
}
