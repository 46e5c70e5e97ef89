/**
 * The hashes a record keeps (record_file.ts): of the program's image, the registers and the output.
 * Apart from record_file.ts because node:crypto costs a plain `hyperstep run` about 10 ms to load;
 * only `run --record` and `replay` load this file (main.ts imports replay.ts when they need it).
 */
import { createHash, type Hash } from "node:crypto";
import type { ByteSink } from "../machine/device";
import type { GuestProgram } from "./program";
import type { RecordedEnd } from "./record_file";
import type { FinalState, RunResult } from "./run";

/** The SHA-256 of what a program puts in the machine: its entry, segments and symbols. */
export function imageSha256(image: GuestProgram["image"]): string {
  const h = createHash("sha256");
  h.update(`entry ${image.entry}\n`);
  for (const s of image.segments) {
    h.update(`segment ${s.paddr} ${s.memsz} ${s.data.length}\n`);
    h.update(s.data);
  }
  for (const s of image.symbols) h.update(`symbol ${s.name} ${s.address}\n`);
  return h.digest("hex");
}

/** Keeps the length and SHA-256 of the guest's output, as it passes to stdout (run_stdio.ts). */
export class OutputDigest implements ByteSink {
  private readonly hash: Hash = createHash("sha256");
  private readonly one = new Uint8Array(1);
  bytes = 0;

  write(byte: number): void {
    this.one[0] = byte;
    this.hash.update(this.one);
    this.bytes++;
  }

  digest(): string {
    return this.hash.copy().digest("hex");
  }
}

/** What a record keeps of a run's end. */
export function recordedEnd(result: RunResult, final: FinalState, output: OutputDigest): RecordedEnd {
  const registers = createHash("sha256").update(final.registers.map((r) => r.toString(16).padStart(16, "0")).join(",")).digest("hex");
  return {
    kind: result.end.kind, exitCode: result.exitCode, steps: final.steps, instret: final.instret.toString(), pc: `0x${final.pc.toString(16)}`,
    priv: final.priv, registersSha256: registers, outputBytes: output.bytes, outputSha256: output.digest(),
  };
}
