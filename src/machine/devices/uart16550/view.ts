import type { DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { UartState } from "./model";

function byte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : hex(c);
}

export function uartView(s: UartState, base: number): DeviceState {
  const r = s.registers;
  const d = s.decoded;
  const ie = d.interruptsEnabled;
  return {
    id: "uart",
    label: "UART (NS16550A)",
    base: BigInt(base),
    nodes: [
      {
        label: "registers",
        children: [
          { label: "IER", value: hex(r.ier), tooltip: "interrupt enable", children: [
            { label: "rx data", value: yes(ie.rxData) }, { label: "THR empty", value: yes(ie.thrEmpty) },
            { label: "line status", value: yes(ie.lineStatus) }, { label: "modem status", value: yes(ie.modemStatus) },
          ] },
          { label: "IIR", value: hex(r.iir), tooltip: "interrupt identification (as the guest would read it now)" },
          { label: "FCR", value: hex(r.fcr), tooltip: "FIFO control", children: [
            { label: "FIFO enabled", value: yes(d.fifoEnabled) }, { label: "rx trigger", value: String(d.rxTrigger) },
          ] },
          { label: "LCR", value: hex(r.lcr), tooltip: "line control", children: [
            { label: "frame", value: d.frame }, { label: "DLAB", value: yes(d.dlab) },
          ] },
          { label: "MCR", value: hex(r.mcr), tooltip: "modem control", children: [{ label: "loopback", value: yes(d.loopback) }] },
          { label: "LSR", value: hex(r.lsr), tooltip: "line status: data ready (bit 0), THR empty (bit 5), transmitter empty (bit 6)" },
          { label: "MSR", value: hex(r.msr), tooltip: "modem status" },
          { label: "SCR", value: hex(r.scr), tooltip: "scratch" },
          { label: "divisor", value: hex(r.divisor, 4), tooltip: "baud-rate divisor (DLL/DLM)" },
        ],
      },
      {
        label: "rx FIFO",
        value: `${s.rxFifo.length} byte${s.rxFifo.length === 1 ? "" : "s"}`,
        children: s.rxFifo.map((c, i) => ({ label: `[${i}]`, value: byte(c) })),
      },
      {
        label: "interrupt",
        value: s.interrupt,
        children: [{ label: "IRQ 10 asserted", value: yes(s.irqAsserted) }],
      },
      { label: "bytes sent", value: String(s.txCount) },
      { label: "bytes received", value: String(s.rxCount) },
    ],
  };
}
