import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { Uart16550 } from "../../../../../src/machine/devices/uart16550/model";

const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

describe("NS16550A UART", () => {
  let irq: boolean;
  let out: number[];
  let input: number[];
  let uart: Uart16550;
  beforeEach(() => {
    irq = false;
    out = [];
    input = [];
    uart = new Uart16550({ set: (l) => (irq = l) }, { write: (b) => out.push(b) }, { read: () => input.shift() ?? -1 });
  });
  const feed = (s: string) => input.push(...Buffer.from(s));

  it("transmits THR writes to the sink and always reports THR empty", () => {
    for (const b of Buffer.from("hi\n")) uart.write(THR, 1, b);
    assert.equal(Buffer.from(out).toString(), "hi\n");
    assert.equal(uart.read(LSR, 1), 0x60, "THRE | TEMT, no data");
    assert.equal(uart.read(IIR, 1), 0x01, "no interrupt, FIFOs off");
  });

  it("banks the divisor latch behind LCR.DLAB and keeps LCR, MCR, SCR", () => {
    uart.write(LCR, 1, 0x80);
    uart.write(DLL, 1, 0x03);
    uart.write(DLM, 1, 0x01);
    assert.equal(uart.read(DLL, 1), 0x03);
    assert.equal(uart.read(DLM, 1), 0x01);
    assert.deepEqual(out, [], "a DLL write is not a transmission");
    uart.write(LCR, 1, 0x03);
    assert.equal(uart.read(IER, 1), 0, "IER is separate from DLM");
    assert.equal(uart.read(LCR, 1), 0x03);
    uart.write(MCR, 1, 0x0b);
    assert.equal(uart.read(MCR, 1), 0x0b);
    uart.write(SCR, 1, 0x5a);
    assert.equal(uart.read(SCR, 1), 0x5a);
    const st = uart.state();
    assert.equal(st.registers.divisor, 0x103);
    assert.equal(st.decoded.frame, "8N1");
    assert.equal(st.decoded.dlab, false);
  });

  it("receives into the FIFO when the guest polls LSR, and reads it back through RBR", () => {
    uart.write(FCR, 1, 0x07);
    feed("ab");
    assert.equal(uart.read(LSR, 1) & 0x01, 1, "LSR.DR");
    assert.deepEqual(uart.state().rxFifo, [0x61, 0x62]);
    assert.equal(uart.read(RBR, 1), 0x61);
    assert.equal(uart.read(RBR, 1), 0x62);
    assert.equal(uart.read(LSR, 1) & 0x01, 0);
    assert.equal(uart.state().rxCount, 2);
  });

  it("pulls no more input than the FIFO holds (16 bytes, 1 with FIFOs off)", () => {
    feed("0123456789abcdefXYZ");
    uart.read(LSR, 1);
    assert.equal(uart.state().rxFifo.length, 1, "FIFOs off: one holding register");
    uart.write(FCR, 1, 0x01);
    assert.equal(uart.state().rxFifo.length, 0, "enabling the FIFO empties it");
    uart.read(LSR, 1);
    assert.equal(uart.state().rxFifo.length, 16);
    assert.equal(uart.read(LSR, 1) & 0x02, 0, "no overrun");
    let got = "";
    while (uart.read(LSR, 1) & 1) got += String.fromCharCode(uart.read(RBR, 1));
    assert.equal(got, "123456789abcdefXYZ", "the rest arrives as the guest drains the FIFO");
  });

  it("leaves input in the source until the guest reads LSR or RBR or enables RX interrupts", () => {
    feed("ab");
    uart.poll();
    uart.write(FCR, 1, 0x07); // a guest setting up its UART resets the FIFO
    assert.deepEqual(uart.state().rxFifo, [], "nothing was pulled, so nothing was lost");
    assert.equal(uart.read(RBR, 1), 0x61);
    uart.write(IER, 1, 0x01);
    uart.poll();
    assert.deepEqual(uart.state().rxFifo, [0x62]);
  });

  it("raises RX-data interrupts per IER, with the timeout id below the trigger level", () => {
    uart.write(FCR, 1, 0x81); // FIFO on, trigger level 8
    uart.write(IER, 1, 0x01);
    feed("abc");
    uart.poll();
    assert.equal(irq, true);
    assert.equal(uart.read(IIR, 1), 0xcc, "character timeout, FIFOs enabled");
    feed("defghij");
    uart.poll();
    assert.equal(uart.read(IIR, 1), 0xc4, "trigger level reached: received data available");
    while (uart.read(LSR, 1) & 1) uart.read(RBR, 1);
    assert.equal(irq, false);
    assert.equal(uart.read(IIR, 1), 0xc1);
    uart.write(IER, 1, 0);
    feed("z");
    uart.poll();
    assert.equal(irq, false, "masked by IER");
  });

  it("raises THR-empty when enabled and after each byte; reading IIR acknowledges it", () => {
    uart.write(IER, 1, 0x02);
    assert.equal(irq, true, "THR is empty when the interrupt is enabled");
    assert.equal(uart.read(IIR, 1), 0x02);
    assert.equal(irq, false);
    assert.equal(uart.read(IIR, 1), 0x01, "acknowledged");
    uart.write(THR, 1, 0x41);
    assert.equal(irq, true, "empty again after transmitting");
    uart.write(IER, 1, 0x00);
    assert.equal(irq, false);
  });

  it("identifies received data ahead of THR empty", () => {
    uart.write(IER, 1, 0x03);
    feed("x");
    uart.poll();
    assert.equal(uart.read(IIR, 1), 0x04);
    uart.read(RBR, 1);
    assert.equal(uart.read(IIR, 1), 0x02);
    assert.equal(uart.state().interrupt, "none");
  });

  it("loops transmitted bytes back and mirrors MCR into MSR in loopback mode", () => {
    assert.equal(uart.read(MSR, 1), 0xb0, "DCD, DSR, CTS with no modem");
    uart.write(MCR, 1, 0x10 | 0x0a); // loop, RTS, OUT2
    assert.equal(uart.read(MSR, 1), 0x90, "CTS and DCD, as Linux's 8250 probe expects");
    uart.write(THR, 1, 0x55);
    assert.deepEqual(out, []);
    assert.equal(uart.read(RBR, 1), 0x55);
  });

  it("reads unknown offsets as zero and ignores writes to LSR and MSR", () => {
    uart.write(LSR, 1, 0);
    uart.write(MSR, 1, 0);
    assert.equal(uart.read(LSR, 1), 0x60);
    assert.equal(uart.read(0x40, 1), 0);
  });

  it("lets a reader that does not use the registers pull input whatever IER says, and take it as RBR reads would", () => {
    feed("abc");
    uart.poll();
    assert.deepEqual(input, [97, 98, 99], "IER is 0: poll leaves the input where it is");
    assert.equal(uart.pull(), 1, "pull takes what the receiver holds (FIFOs off: one byte)");
    assert.deepEqual(input, [98, 99]);
    assert.deepEqual(uart.take(2), [97, 98]);
    assert.equal(uart.received, 2);
    feed("d");
    assert.deepEqual(uart.take(8), [99, 100], "the FIFO first, then what waits in the source");
    assert.deepEqual(uart.take(8), []);
    assert.equal(uart.read(LSR, 1) & 1, 0, "no data left");
    assert.equal(irq, false, "no interrupt: RX interrupts are off");
  });
});
