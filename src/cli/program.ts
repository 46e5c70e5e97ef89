import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { readGuestImage, type GuestProgram as GuestImage } from "../asm/guest_image";

/** A guest ready for the board, with the HTIF words it declares. */
export interface GuestProgram {
  image: GuestImage;
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
  const result = readGuestImage(path.resolve(file), bytes, readSourceFile);
  if (!result.ok) {
    // Assembly errors already carry file:line:col; list them all, as a compiler would.
    const lines = result.diagnostics?.length
      ? result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: error: ${d.message}`).join("\n")
      : `${file}: ${result.error}`;
    return new ProgramError(lines);
  }
  const image = result.program;
  return { image, tohost: htifWord(image, "tohost"), fromhost: htifWord(image, "fromhost") };
}

/** Included files of an assembly source; undefined when they cannot be read. */
export function readSourceFile(p: string): string | undefined {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

function htifWord(image: GuestImage, name: string): number | undefined {
  const sym = image.symbols.find((s) => s.name === name);
  return sym && sym.address <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sym.address) : undefined;
}
