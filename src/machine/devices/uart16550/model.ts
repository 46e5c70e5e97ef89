import type { AccessWidth, ByteSink, ByteSource, DeviceState, IrqLine, MmioDevice, Width } from "../../device";
import { uartRegisterName } from "./registers";
import { uartView } from "./view";

/**
 * The NS16550A UART of QEMU's `virt` board: byte registers at offsets 0..7, IRQ 10 on the PLIC.
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the sink, so THR is always
 * empty when the guest looks (LSR.THRE and TEMT stay set) and the THR-empty interrupt fires again
 * after every write, as on QEMU. Received bytes are pulled from the source into the RX FIFO when the
 * guest reads LSR or RBR, and when the board calls `poll()` while RX interrupts are enabled. Input
 * thus waits in the source until the guest shows interest, so bytes that arrive before the guest
 * sets the UART up are not lost to its FIFO reset. Bytes are never pulled beyond the FIFO's room,
 * so the receiver never overruns.
 *
 * Received-data timing is deterministic: below the FIFO trigger level, the character-timeout
 * interrupt (IIR 0x0C) is raised at once instead of after four character times.
 */
export const UART_BASE = 0x1000_0000;
export const UART_SIZE = 0x100;
const UART_REGISTERS = 8;
export const UART_IRQ = 10;
const FIFO_DEPTH = 16;

// IER bits
const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;
// IIR values
const IIR_NONE = 0x01;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_TIMEOUT = 0x0c;
const IIR_FIFO_ENABLED = 0xc0;
// LSR bits
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_ERRORS = 0x1e;
// MCR / MSR
const MCR_LOOP = 0x10;
const MCR_OUT2 = 0x08;
/** With no modem attached QEMU reports carrier, data-set-ready and clear-to-send. */
const MSR_IDLE = 0xb0;
const LCR_DLAB = 0x80;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export interface UartState {
  registers: {
    ier: number; iir: number; fcr: number; lcr: number; mcr: number; lsr: number; msr: number; scr: number;
    divisor: number;
  };
  decoded: {
    dlab: boolean;
    /** Data bits, parity, stop bits, e.g. "8N1". */
    frame: string;
    fifoEnabled: boolean;
    rxTrigger: number;
    loopback: boolean;
    interruptsEnabled: { rxData: boolean; thrEmpty: boolean; lineStatus: boolean; modemStatus: boolean };
  };
  rxFifo: number[];
  /** Which interrupt IIR would identify now. */
  interrupt: "none" | "line-status" | "rx-data" | "rx-timeout" | "thr-empty";
  irqAsserted: boolean;
  txCount: number;
  rxCount: number;
}

export class Uart16550 implements MmioDevice {
  readonly name = "uart";
  readonly size = UART_SIZE;
  /** QEMU's serial_mm takes any access, even 8 bytes, as one access to the byte register at its offset. */
  readonly wideAccess = "one-register";

  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  /** OUT2 set, as QEMU's serial_reset leaves it (PC firmware expects the interrupt gate open). */
  private mcr = MCR_OUT2;
  private lsrErrors = 0;
  private scr = 0;
  private divisor = 0;
  private readonly rx: number[] = [];
  private thrPending = false;
  private irqLevel = false;
  private txCount = 0;
  private rxCount = 0;

  constructor(
    private readonly irq: IrqLine,
    private readonly out: ByteSink,
    private readonly input: ByteSource = { read: () => -1 },
    readonly base: number = UART_BASE,
  ) {}

  /** Its eight registers answer every width; the rest of its region, nothing (QEMU maps only 8 bytes). */
  accepts(offset: number, width: AccessWidth): boolean {
    return offset + width <= UART_REGISTERS;
  }

  read(offset: number, _width: Width): number {
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.readRbr();
      case 1:
        if (this.lcr & LCR_DLAB) return this.divisor >> 8;
        return this.ier;
      case 2: {
        const iir = this.identify();
        // Reading IIR acknowledges a THR-empty interrupt it reports.
        if (iir === IIR_THRI) {
          this.thrPending = false;
          this.update();
        }
        return iir | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: {
        this.fill();
        const lsr = this.lsr();
        // Reading LSR clears the error bits it reports.
        if (this.lsrErrors) {
          this.lsrErrors = 0;
          this.update();
        }
        return lsr;
      }
      case 6: return this.msr();
      case 7: return this.scr;
      default: return 0;
    }
  }

  write(offset: number, _width: Width, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.transmit(v);
        break;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0xff) | (v << 8);
        } else {
          // Enabling the THR-empty interrupt while THR is empty raises it at once (QEMU does the same).
          if (v & IER_THRI && !(this.ier & IER_THRI)) this.thrPending = true;
          this.ier = v & 0x0f;
          this.update();
        }
        break;
      case 2: {
        const wasEnabled = this.fifoEnabled;
        this.fcr = v & 0xc9; // bits 1 and 2 are self-clearing actions
        // Changing the FIFO enable bit, or the reset bits, empties the FIFOs.
        if ((v & 0x02) || this.fifoEnabled !== wasEnabled) this.rx.length = 0;
        this.update();
        break;
      }
      case 3: this.lcr = v; break;
      case 4: this.mcr = v & 0x1f; break;
      case 7: this.scr = v; break;
      default: break; // LSR and MSR are read-only
    }
  }

  registerName(offset: number, write: boolean): string {
    return uartRegisterName(offset, write);
  }

  view(): DeviceState {
    return uartView(this.state(), this.base);
  }

  /** Pulls waiting input into the RX FIFO if the guest wants RX interrupts; the run loop calls this between slices. */
  poll(): void {
    if (this.ier & IER_RDI) this.fill();
  }

  /**
   * For a reader that does not use the registers (a VMM's console backend, reading the line for a
   * paravirtual guest): pulls waiting input into the RX FIFO whatever IER says, and says how many
   * bytes wait there.
   */
  pull(): number {
    this.fill();
    return this.rx.length;
  }

  /** For the same reader: up to `max` received bytes, taken as reads of RBR would take them. */
  take(max: number): number[] {
    const out: number[] = [];
    while (out.length < max) {
      if (this.rx.length === 0) this.fill();
      const b = this.rx.shift();
      if (b === undefined) break;
      out.push(b);
    }
    this.update();
    return out;
  }

  private fill(): void {
    if (this.loopback) return;
    let got = false;
    while (this.rx.length < this.capacity) {
      const b = this.input.read();
      if (b < 0) break;
      this.rx.push(b & 0xff);
      this.rxCount++;
      got = true;
    }
    if (got) this.update();
  }

  /** Bytes taken from the source so far. */
  get received(): number {
    return this.rxCount;
  }

  state(): UartState {
    const iir = this.identify();
    const parity = this.lcr & 0x08 ? "OESM"[(this.lcr >> 4) & 3] : "N";
    return {
      registers: {
        ier: this.ier, iir: iir | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0), fcr: this.fcr, lcr: this.lcr,
        mcr: this.mcr, lsr: this.lsr(), msr: this.msr(), scr: this.scr, divisor: this.divisor,
      },
      decoded: {
        dlab: (this.lcr & LCR_DLAB) !== 0,
        frame: `${5 + (this.lcr & 3)}${parity}${this.lcr & 4 ? (this.lcr & 3 ? "2" : "1.5") : "1"}`,
        fifoEnabled: this.fifoEnabled,
        rxTrigger: this.trigger,
        loopback: this.loopback,
        interruptsEnabled: {
          rxData: (this.ier & IER_RDI) !== 0, thrEmpty: (this.ier & IER_THRI) !== 0,
          lineStatus: (this.ier & IER_RLSI) !== 0, modemStatus: (this.ier & IER_MSI) !== 0,
        },
      },
      rxFifo: [...this.rx],
      interrupt: IIR_NAMES[iir],
      irqAsserted: this.irqLevel,
      txCount: this.txCount,
      rxCount: this.rxCount,
    };
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & 1) !== 0;
  }
  private get capacity(): number {
    return this.fifoEnabled ? FIFO_DEPTH : 1;
  }
  private get trigger(): number {
    return this.fifoEnabled ? TRIGGER_LEVELS[this.fcr >> 6] : 1;
  }
  private get loopback(): boolean {
    return (this.mcr & MCR_LOOP) !== 0;
  }

  private readRbr(): number {
    if (this.rx.length === 0) this.fill();
    const b = this.rx.shift() ?? 0;
    this.update();
    return b;
  }

  private transmit(b: number): void {
    this.txCount++;
    if (this.loopback) {
      if (this.rx.length < this.capacity) this.rx.push(b);
      else this.lsrErrors |= LSR_OE;
    } else {
      this.out.write(b);
    }
    this.thrPending = true;
    this.update();
  }

  private lsr(): number {
    return (this.rx.length > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
  }

  /** Modem status. No modem line ever changes, so the delta bits and the modem-status interrupt never arise. */
  private msr(): number {
    if (!this.loopback) return MSR_IDLE;
    // Loopback wires RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD; Linux's 8250 probe checks this.
    const m = this.mcr;
    return ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4);
  }

  /** The highest-priority pending interrupt, in the 16550's order. */
  private identify(): number {
    const ier = this.ier;
    if (ier & IER_RLSI && this.lsrErrors & LSR_ERRORS) return IIR_RLSI;
    if (ier & IER_RDI && this.rx.length > 0) return this.rx.length >= this.trigger ? IIR_RDI : IIR_TIMEOUT;
    if (ier & IER_THRI && this.thrPending) return IIR_THRI;
    return IIR_NONE;
  }

  /**
   * Drives the line at every event that may change it, raised or not, as QEMU's serial_update_irq
   * does: its PLIC takes each raise as a new request (plic/model.ts).
   */
  private update(): void {
    this.irqLevel = this.identify() !== IIR_NONE;
    this.irq.set(this.irqLevel);
  }
}

const IIR_NAMES: Record<number, UartState["interrupt"]> = {
  [IIR_NONE]: "none", [IIR_RLSI]: "line-status", [IIR_RDI]: "rx-data", [IIR_TIMEOUT]: "rx-timeout",
  [IIR_THRI]: "thr-empty",
};
