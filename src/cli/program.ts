import { readFile } from "node:fs/promises";
import { ElfError, findSymbol, parseElf, type ElfImage } from "../asm/elf";
import { AssembleError, assemble } from "./assemble";

/** A guest ready for the board, with the HTIF words it declares. */
export interface GuestProgram {
  image: ElfImage;
  tohost?: number;
  fromhost?: number;
}

/** Why a program could not be read or understood; the message names the file. */
export class ProgramError extends Error {
  override readonly name = "ProgramError";
}

/** Reads an ELF executable, or assembles a .S/.s source, into a GuestProgram. */
export async function loadProgram(file: string): Promise<GuestProgram | ProgramError> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.code === "EACCES" ? "permission denied" : err.message;
    return new ProgramError(`cannot read ${file}: ${why}`);
  }
  const image = /\.[sS]$/.test(file) ? assemble(new TextDecoder().decode(bytes), file) : parseElf(bytes);
  if (image instanceof AssembleError) return new ProgramError(image.message);
  if (image instanceof ElfError) return new ProgramError(`${file}: ${image.message}`);
  return { image, tohost: htifWord(image, "tohost"), fromhost: htifWord(image, "fromhost") };
}

function htifWord(image: ElfImage, name: string): number | undefined {
  const sym = findSymbol(image, name);
  return sym && sym.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sym.value) : undefined;
}
