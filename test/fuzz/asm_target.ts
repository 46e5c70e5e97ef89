/**
 * The assembler under fuzzing: one source (with the files it may include) through every path that
 * assembles in the product: `assemble` and the ELF writer (`hyperstep asm`), the loader
 * (`hyperstep run`, the debugger's launch) and the editor's Problems panel.
 *
 * The promise checked: a program or located errors, never an exception; an image within the limit;
 * an ELF that the ELF reader reads back with the same entry and contents.
 */
import { assemble } from "../../src/asm/assemble";
import { parseElf } from "../../src/asm/elf";
import { elfFromAssembly } from "../../src/asm/elf_writer";
import { readGuestImage } from "../../src/asm/guest_image";
import { MAX_IMAGE_BYTES } from "../../src/asm/limits";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { assembleForEditor } from "../../src/extension/diagnostics";
import { asmCase, loadAsmCorpus } from "./asm_cases";
import type { FuzzTarget, Verdict } from "./target";
import { badDiagnostic, badMessage } from "./verdicts";

export interface AsmInput {
  /** The file to assemble: a key of `files`. */
  main: string;
  /** Every file the case has, by path. */
  files: Record<string, string>;
  march?: string;
}

export interface AsmReport {
  /** The first errors, in the assembler's order. */
  errors: { file: string; line: number; column: number; message: string }[];
  errorCount: number;
  /** Bytes the image occupies (every segment's memory size), when it assembled. */
  imageBytes?: number;
  /** The bytes of the ELF written for it, or why there is none. */
  elf: number | string;
  /** What the loader (run, launch) made of the source. */
  loader: { ok: true } | { ok: false; error: string };
  /** How many problems the editor showed. */
  problems: number;
}

const SHOWN_ERRORS = 20;

export const asmTarget: FuzzTarget<AsmInput, AsmReport> = {
  run: runAsm,
  cases() {
    const corpus = loadAsmCorpus();
    return (rng) => asmCase(rng, corpus);
  },
  save(input, base) {
    const source = `${base}${path.extname(input.main)}`;
    writeFileSync(source, input.files[input.main] ?? "");
    // Every file of the case, for the included ones: `--index` regenerates it too.
    writeFileSync(`${base}.json`, JSON.stringify(input));
    return [source, `${base}.json`];
  },
};

function runAsm(input: AsmInput): Verdict<AsmReport> {
  const read = (p: string) => input.files[p];
  const problems: string[] = [];
  const files = new Set(Object.keys(input.files));
  const result = assemble(input.main, read, { march: input.march });
  for (const d of result.errors) {
    const bad = badDiagnostic(d, files);
    if (bad) problems.push(bad);
  }
  if (!result.program && result.errors.length === 0) problems.push("neither a program nor an error");
  let imageBytes: number | undefined;
  let elf: number | string = "no program";
  if (result.program) {
    imageBytes = result.program.segments.reduce((n, s) => n + s.memsz, 0);
    if (imageBytes > MAX_IMAGE_BYTES) problems.push(`the image occupies ${imageBytes} bytes, over the limit of ${MAX_IMAGE_BYTES}`);
    elf = roundTrip(result, input.march, problems);
  }
  const text = input.files[input.main] ?? "";
  const image = readGuestImage(input.main, new TextEncoder().encode(text), read, { march: input.march });
  if (!image.ok) {
    const bad = badMessage(image.error, "the loader's error");
    if (bad) problems.push(bad);
  } else if (!result.program) problems.push("the loader loaded a program that does not assemble");
  const editor = assembleForEditor(input.main, text, read, { march: input.march }).problems;
  for (const p of editor) {
    const bad = badMessage(p.message, `the editor's problem at ${p.file}:${p.range.line + 1}`);
    if (bad) problems.push(bad);
  }
  const report: AsmReport = {
    errors: result.errors.slice(0, SHOWN_ERRORS).map(({ file, line, column, message }) => ({ file, line, column, message })),
    errorCount: result.errors.length,
    imageBytes,
    elf,
    loader: image.ok ? { ok: true } : { ok: false, error: image.error },
    problems: editor.length,
  };
  return { report, problems };
}

/** Writes the ELF and reads it back: the same entry, and every segment's bytes where they were. */
function roundTrip(result: ReturnType<typeof assemble>, march: string | undefined, problems: string[]): number | string {
  const elf = elfFromAssembly(result, march);
  if (elf === undefined) return "no program";
  if (elf instanceof Error) {
    const bad = badMessage(elf.message, "the ELF writer's error");
    if (bad) problems.push(bad);
    return elf.message;
  }
  const back = parseElf(elf);
  if (back instanceof Error) {
    problems.push(`the ELF written for the program does not read back: ${back.message}`);
    return back.message;
  }
  if (back.entry !== result.program!.entry) problems.push(`the ELF's entry 0x${back.entry.toString(16)} is not the program's`);
  for (const s of result.program!.segments) {
    const seg = back.segments.find((b) => b.paddr === s.paddr);
    if (!seg || seg.memsz !== s.memsz || !sameBytes(seg.data, s.data)) problems.push(`the ELF's segment at 0x${s.paddr.toString(16)} differs from the program's`);
  }
  return elf.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
