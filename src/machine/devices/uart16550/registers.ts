import { unnamed } from "../format";

/** The byte registers at offsets 0..7: the same offset is another register for reads and writes. */
const READ = ["RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR"];
const WRITE = ["THR", "IER", "FCR", "LCR", "MCR", "LSR", "MSR", "SCR"];

export function uartRegisterName(offset: number, write: boolean): string {
  return offset < 8 ? (write ? WRITE : READ)[offset] : unnamed(offset);
}
