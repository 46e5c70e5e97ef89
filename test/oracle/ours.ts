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

export function loadGuest(elfPath: string): LoadedGuest {
  const image = parseElf(readFileSync(elfPath));
  if (image instanceof ElfError) throw new Error(`${elfPath}: ${image.message}`);
  let out = "";
  const tohost = findSymbol(image, "tohost");
  const board = createVirtBoard({
    uartOut: { write: (b) => (out += String.fromCharCode(b)) },
    tohost: tohost === undefined ? undefined : Number(tohost.value),
  });
  board.load(image);
  return { board, entry: image.entry, uart: () => out };
}
