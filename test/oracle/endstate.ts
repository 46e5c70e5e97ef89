/**
 * End-state comparison: runs a guest to completion on QEMU and on our board and compares UART output,
 * exit code and (optionally) the final GPRs. Cheaper than lockstep for long guests such as sample-guests/.
 *
 * QEMU's final GPRs come from the last record of its state trace, which is the state before the finisher
 * store; a store changes no register, so they must equal ours after our board has halted.
 */
import { loadGuest } from "./ours";
import { runQemu } from "./qemu";
import { readTrace, type TraceRecord } from "./trace";

export interface EndState {
  exitCode: number;
  uart: string;
  /** x0..x31, when registers were requested. */
  x?: bigint[];
  instructions?: bigint;
}

export interface EndStateOptions {
  /** Also compare the final registers (single-steps QEMU with a trace: ~100k instructions/s). */
  registers?: boolean;
  maxInstructions?: number;
  timeoutMs?: number;
}

export async function qemuEndState(elf: string, opts: EndStateOptions = {}): Promise<EndState> {
  let last: TraceRecord | undefined;
  const run = await runQemu(elf, {
    timeoutMs: opts.timeoutMs,
    onTrace: opts.registers
      ? async (t) => {
          for await (const r of readTrace(t)) last = r;
        }
      : undefined,
  });
  if (run.timedOut) throw new Error(`${elf}: QEMU did not finish in time`);
  return { exitCode: run.exitCode, uart: run.uart, x: last?.x };
}

export function ourEndState(elf: string, opts: EndStateOptions = {}): EndState {
  const g = loadGuest(elf);
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

/** Differences between the two end states, as readable lines (empty when they agree). */
export async function compareEndStates(elf: string, opts: EndStateOptions = {}): Promise<string[]> {
  const [q, o] = [await qemuEndState(elf, opts), ourEndState(elf, opts)];
  const out: string[] = [];
  if (q.exitCode !== o.exitCode) out.push(`exit code: QEMU ${q.exitCode}, ours ${o.exitCode}`);
  if (q.uart !== o.uart) out.push(`UART: QEMU ${JSON.stringify(q.uart)}, ours ${JSON.stringify(o.uart)}`);
  if (q.x && o.x) {
    for (let i = 1; i < 32; i++) {
      if (q.x[i] !== o.x[i]) out.push(`x${i}: QEMU 0x${q.x[i]!.toString(16)}, ours 0x${o.x[i]!.toString(16)}`);
    }
  }
  return out;
}
