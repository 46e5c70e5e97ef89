/**
 * The ELF loader under fuzzing: a file's bytes through what `hyperstep run` and the debugger's launch
 * do with them: the ELF reader, its symbols and DWARF line table (`readGuestImage`), then the board or
 * the VM that places the segments in guest RAM (`createTarget`).
 *
 * The promise checked: a loaded guest or an error message, never an exception; segments that lie
 * where their sizes say.
 */
import { readGuestImage } from "../../src/asm/guest_image";
import { createTarget } from "../../src/target/create_target";
import type { Technique } from "../../src/target/techniques";
import { writeFileSync } from "node:fs";
import { buildElfSeeds, elfCase } from "./elf_cases";
import type { FuzzTarget, Verdict } from "./target";
import { badMessage } from "./verdicts";

export interface ElfInput {
  bytes: Uint8Array;
  technique: Technique;
}

export interface ElfReport {
  /** Why the reader refused the file, or how many segments and line-table rows it found. */
  read: { ok: false; error: string } | { ok: true; segments: number; lines: number; lineTableError?: string };
  /** Why the board or VM refused the image, when the reader accepted it. */
  load?: { ok: true } | { ok: false; error: string };
}

const GUEST_RAM = 128 << 20;

export const elfTarget: FuzzTarget<ElfInput, ElfReport> = {
  run: runElf,
  cases() {
    const seeds = buildElfSeeds();
    return (rng) => elfCase(rng, seeds);
  },
  save(input, base) {
    const file = `${base}-${input.technique}.elf`;
    writeFileSync(file, input.bytes);
    return [file];
  },
};

function runElf(input: ElfInput): Verdict<ElfReport> {
  const problems: string[] = [];
  const note = (bad: string | undefined) => bad && problems.push(bad);
  const image = readGuestImage("fuzz.elf", input.bytes);
  if (!image.ok) {
    note(badMessage(image.error, "the reader's error"));
    return { report: { read: { ok: false, error: image.error } }, problems };
  }
  const p = image.program;
  for (const s of p.segments) {
    if (!(s.data.length <= s.memsz && Number.isSafeInteger(s.paddr + s.memsz))) problems.push(`a segment at 0x${s.paddr.toString(16)} has ${s.data.length} file bytes in ${s.memsz} bytes of memory`);
  }
  if (p.lineTableError !== undefined) note(badMessage(p.lineTableError, "the line table's error"));
  const created = createTarget(p, { technique: input.technique, memoryBytes: GUEST_RAM });
  if (!created.ok) note(badMessage(created.error, "the board's error"));
  return {
    report: {
      read: { ok: true, segments: p.segments.length, lines: p.lineTable?.length ?? 0, lineTableError: p.lineTableError },
      load: created.ok ? { ok: true } : { ok: false, error: created.error },
    },
    problems,
  };
}
