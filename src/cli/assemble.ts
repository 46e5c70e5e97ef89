import type { ElfImage } from "../asm/elf";

/** A source file could not become a program. */
export class AssembleError extends Error {
  override readonly name = "AssembleError";
}

/**
 * Assembles a `.S`/`.s` guest into a loadable image. Hyperstep's assembler is a later piece of work;
 * until it lands this reports that plainly, and `loadProgram` needs no change when it does.
 */
export function assemble(_source: string, file: string): ElfImage | AssembleError {
  return new AssembleError(`${file}: assembling .S files needs Hyperstep's assembler, which is not built yet; pass an ELF`);
}
