import { Board, type BoardOptions } from "./board";
import type { ByteSink, ByteSource } from "./device";
import { Htif } from "./devices/htif/model";
import { Plic } from "./devices/plic/model";
import { SifiveTest } from "./devices/sifive_test/model";
import { UART_IRQ, Uart16550 } from "./devices/uart16550/model";

export interface VirtOptions extends BoardOptions {
  /** Where the UART's (and HTIF console's) output goes; discarded when absent. */
  uartOut?: ByteSink;
  /** Where the UART's input comes from; none when absent. */
  uartIn?: ByteSource;
  /** Physical address of the ELF's `tohost` symbol, if it has one: enables HTIF. */
  tohost?: number;
  /** Physical address of the ELF's `fromhost` symbol, where HTIF acknowledges console writes. */
  fromhost?: number;
}

const MEIP = 11;
const SEIP = 9;

/**
 * QEMU's `virt` board with one hart: RAM and CLINT (from Board), the PLIC at 0x0c00_0000 with hart 0's
 * M and S contexts, the NS16550A UART at 0x1000_0000 on PLIC source 10, the SiFive test finisher at
 * 0x10_0000, and HTIF when the program has a `tohost` symbol.
 */
export class VirtBoard extends Board {
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly finisher: SifiveTest;
  readonly htif: Htif | undefined;

  constructor(opts: VirtOptions = {}) {
    super(opts);
    const out = opts.uartOut ?? { write: () => {} };
    this.plic = new Plic([this.irqLine(MEIP), this.irqLine(SEIP)]);
    this.uart = new Uart16550(this.plic.source(UART_IRQ), out, opts.uartIn);
    this.finisher = new SifiveTest(this);
    this.attach(this.plic);
    this.attach(this.uart);
    this.attach(this.finisher);
    this.htif = opts.tohost === undefined ? undefined : new Htif(this, opts.tohost, opts.fromhost, out);
  }
}

export function createVirtBoard(opts: VirtOptions = {}): VirtBoard {
  return new VirtBoard(opts);
}
