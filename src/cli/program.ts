import * as path from "node:path";
import { readGuestImage, type GuestProgram as GuestImage } from "../asm/guest_image";
import { readProgramFile, readSourceFile } from "../target/program_file";

// `hyperstep asm` reads included files the same way.
export { readSourceFile };

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

/** Reads an ELF executable, assembles a .S/.s source, or has gcc build a .c source, into a GuestProgram. */
export async function loadProgram(source: string, march?: string): Promise<GuestProgram | ProgramError> {
  let file = source;
  if (source.endsWith(".c")) {
    // Loaded here, not at start-up: c_build.ts brings node:child_process, which costs every run ~20 ms.
    const { buildC } = await import("../target/c_build");
    const built = await buildC(path.resolve(source));
    if (!built.ok) {
      return new ProgramError(built.diagnostics.length ? built.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: error: ${d.message}`).join("\n") : `${source} ${built.error}`);
    }
    file = built.elf;
  }
  const bytes = readProgramFile(file);
  if (typeof bytes === "string") return new ProgramError(`cannot read ${file}: ${bytes}`);
  const result = readGuestImage(path.resolve(file), bytes, readSourceFile, { march });
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

function htifWord(image: GuestImage, name: string): number | undefined {
  const sym = image.symbols.find((s) => s.name === name);
  return sym && sym.address <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sym.address) : undefined;
}
