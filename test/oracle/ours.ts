/** Loads a guest ELF onto Hyperstep's `virt` board, as the oracle comparisons need it. */
import { readFileSync } from "node:fs";
import { ElfError, findSymbol, parseElf } from "../../src/asm/elf";
import { createVirtBoard, type VirtBoard } from "../../src/machine/virt";

export interface LoadedGuest {
  board: VirtBoard;
  entry: bigint;
  /** Everything the guest has written to the UART so far (latin1). */
  uart(): string;
}

/**
 * `input` feeds the guest's UART, one byte per read, all of it available from the start; `hypervisor`
 * gives the hart the H extension (as QEMU_CPU_H does QEMU's); `memoryBytes` is the RAM size (as
 * QEMU's `-m`; default the board's 128 MiB); `fpu` false takes F and D away (as QEMU_CPU_NOFP does).
 */
export function loadGuest(elfPath: string, input = "", hypervisor = false, memoryBytes?: number, fpu = true): LoadedGuest {
  const image = parseElf(readFileSync(elfPath));
  if (image instanceof ElfError) throw new Error(`${elfPath}: ${image.message}`);
  let out = "";
  let next = 0;
  const tohost = findSymbol(image, "tohost");
  const board = createVirtBoard({
    uartOut: { write: (b) => (out += String.fromCharCode(b)) },
    uartIn: { read: () => (next < input.length ? input.charCodeAt(next++) & 0xff : -1) },
    tohost: tohost === undefined ? undefined : Number(tohost.value),
    hypervisorExtension: hypervisor,
    f: fpu,
    d: fpu,
    memoryBytes,
  });
  board.load(image);
  return { board, entry: image.entry, uart: () => out };
}
