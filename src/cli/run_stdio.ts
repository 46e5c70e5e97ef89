import type { ByteSink, ByteSource } from "../machine/device";
import type { GuestProgram } from "./program";
import { runProgram, type RunIo, type RunResult, type RunSettings } from "./run";
import { sameDestination, StdoutSink } from "./stdio";

/** The guest's UART input as the run loop takes it: bytes, whether more may come, and a wait for them. */
export interface StdioInput extends ByteSource {
  readonly open: boolean;
  waitForInput(ms: number): Promise<void>;
}

/**
 * Runs the guest on the process's stdout, stderr and signals (`run` and `replay`): the guest's output
 * to stdout (and to `tee` as well, which a record uses to keep its length and hash), traces and the
 * summary to stderr.
 */
export async function runOnStdio(program: GuestProgram, settings: RunSettings, input: StdioInput, tee?: ByteSink): Promise<RunResult> {
  const out = new StdoutSink();
  const result = await runProgram(program, settings, stdioRunIo(out, input, tee));
  await out.drain();
  process.stderr.write(result.summary + "\n");
  return result;
}

/** The run loop's outside world on the process's stdout (through `out`), stderr, stdin and signals. */
export function stdioRunIo(out: StdoutSink, input: StdioInput, tee?: ByteSink): RunIo {
  const output: ByteSink = tee ? { write: (byte) => { tee.write(byte); out.write(byte); } } : out;
  let interrupted = false;
  // The first Ctrl-C ends the run at the next slice with a summary; a second one kills at once.
  process.once("SIGINT", () => (interrupted = true));
  // Where stdout and stderr interleave, a log line starts on a line of its own, not after the
  // guest's unfinished one.
  const shared = sameDestination();
  return {
    out: output,
    input,
    log: (line) => process.stderr.write((shared && out.breakLine() ? "\n" : "") + line + "\n"),
    flush: () => out.flush(),
    inputOpen: () => input.open,
    waitForInput: (ms) => input.waitForInput(ms),
    breathe: () => new Promise((resolve) => setImmediate(resolve)),
    interrupted: () => interrupted,
    now: () => performance.now(),
  };
}
