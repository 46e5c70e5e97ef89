import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { assemble } from "../asm/assemble";
import { ElfWriteError, elfFromAssembly } from "../asm/elf_writer";
import type { AsmCommand } from "./args";
import { EXIT_LOAD_ERROR } from "./exit_status";
import { readSourceFile } from "./program";

/** `hyperstep asm`: assembles and writes the ELF; returns the exit status, messages through `log`. */
export async function assembleToElf(command: AsmCommand, log: (line: string) => void): Promise<number> {
  const source = path.resolve(command.source);
  const result = assemble(source, readSourceFile, { march: command.march });
  if (result.errors.length > 0) {
    for (const e of result.errors) log(`${e.file}:${e.line}:${e.column}: error: ${e.message}`);
    return EXIT_LOAD_ERROR;
  }
  const elf = elfFromAssembly(result, command.march);
  if (elf === undefined || elf instanceof ElfWriteError) {
    log(`hyperstep: ${command.source}: ${elf?.message ?? "nothing to write"}`);
    return EXIT_LOAD_ERROR;
  }
  try {
    writeFileSync(command.output, elf);
  } catch (e) {
    log(`hyperstep: cannot write ${command.output}: ${(e as Error).message}`);
    return EXIT_LOAD_ERROR;
  }
  return 0;
}
