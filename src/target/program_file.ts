/**
 * Reading a guest program from disk, for every path that does: `hyperstep run` and `hyperstep asm`,
 * the debugger's launch, and the editor's files included by the one being checked. Only a regular file
 * of at most MAX_PROGRAM_FILE_BYTES is read: /dev/zero would never end, a FIFO would wait for a writer
 * forever, and a huge file would take the memory. The open does not block, so a FIFO is seen for what
 * it is.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/** The largest program file (ELF or source) read: as large as the assembler's largest image. */
export const MAX_PROGRAM_FILE_BYTES = 256 * 2 ** 20;

/** Why a program file of `bytes` is not read. */
function programFileTooLarge(bytes: number): string {
  const mib = (n: number) => `${Number((n / 2 ** 20).toFixed(1))} MiB`;
  return `is ${mib(bytes)}; program files are limited to ${mib(MAX_PROGRAM_FILE_BYTES)}`;
}

/** A program file's bytes (the guest, or a file it includes), or why it cannot be read. */
export function readProgramFile(file: string): Uint8Array | string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return "it is a directory";
    if (!st.isFile()) return `it is not a regular file but ${kindOf(st)}`;
    if (st.size > MAX_PROGRAM_FILE_BYTES) return `it ${programFileTooLarge(st.size)}`;
    // Exactly the size it had: a file that grows meanwhile is read up to there.
    const bytes = new Uint8Array(st.size);
    let at = 0;
    for (let n = 1; at < bytes.length && n > 0; at += n) n = readSync(fd, bytes, at, bytes.length - at, at);
    return bytes.subarray(0, at);
  } catch (e) {
    return (e as Error).message;
  } finally {
    closeSync(fd);
  }
}

/** A source file an assembly includes, as text; undefined when it cannot be read (readProgramFile's limits). */
export function readSourceFile(p: string): string | undefined {
  const bytes = readProgramFile(p);
  return typeof bytes === "string" ? undefined : new TextDecoder().decode(bytes);
}

function kindOf(st: Stats): string {
  return st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "a special file";
}
