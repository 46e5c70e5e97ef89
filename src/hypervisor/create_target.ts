import { LoadError, type LoadableProgram } from "../machine/board";
import type { ByteSink, ByteSource } from "../machine/device";
import { createVirtBoard } from "../machine/virt";
import { NativeTarget } from "./native";
import type { Target, TargetSymbol, Technique } from "./target";

/** A guest ready to load: what the ELF reader or the assembler produced. */
export interface GuestProgram extends LoadableProgram {
  symbols: readonly TargetSymbol[];
}

export interface TargetOptions {
  technique: Technique;
  memoryBytes: number;
  uartOut?: ByteSink;
  uartIn?: ByteSource;
}

export type CreateResult = { ok: true; target: Target } | { ok: false; error: string };

/** Builds the board, loads the guest and wraps it in the technique the user chose. */
export function createTarget(program: GuestProgram, opts: TargetOptions): CreateResult {
  if (opts.technique !== "native") return { ok: false, error: `technique "${opts.technique}" is not yet available` };
  const tohost = program.symbols.find((s) => s.name === "tohost")?.address;
  const board = createVirtBoard({
    memoryBytes: opts.memoryBytes,
    uartOut: opts.uartOut,
    uartIn: opts.uartIn,
    tohost: tohost === undefined ? undefined : Number(tohost),
  });
  try {
    board.load(program);
  } catch (e) {
    if (e instanceof LoadError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, target: new NativeTarget(board, program.symbols) };
}
