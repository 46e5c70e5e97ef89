/**
 * The RISC-V disassembler. Its text is byte-for-byte what Debian's `riscv64-unknown-elf-objdump -d`
 * (binutils 2.40) prints: the same aliases, operand spelling, CSR names, `.4byte`/`.2byte` for
 * encodings it does not know, symbolic targets (`<main+0x10>`) and `# address` annotations.
 *
 * - `disassemble(bits, pc, opts)`: one instruction.
 * - `createDisassembler(opts)`: the same, for a stream (carries objdump's address notes along).
 * - `formatRange(read, start, end, opts)`: a stretch of memory as objdump-shaped lines;
 *   `renderObjdumpLine` prints one exactly as objdump does.
 * - `createSymbolizer(symbols)`: objdump's choice of `<symbol+offset>` and of labels.
 */
export {
  createDisassembler,
  DEFAULT_MARCH,
  disassemble,
  encodedLength,
  formatAddress,
  parseMarch,
  type Disassembled,
  type EncodedLength,
  type DisasmOptions,
} from "./disasm_decode";
export { AddressTracker } from "./disasm_operands";
export { addressSkip, formatRange, renderObjdumpLine, type ByteReader, type DisasmLine, type RangeOptions } from "./disasm_range";
export { createSymbolizer, type DisasmSymbol, type Symbolizer } from "./disasm_symbols";
