import type { Clint } from "../machine/devices/clint/model";
import type { PlicState } from "../machine/devices/plic/model";
import type { UartState } from "../machine/devices/uart16550/model";
import type { DeviceNode, DeviceState } from "./inspect";

/**
 * The `virt` board's device models as the Devices view shows them: registers with their decoded
 * fields, the RX FIFO, and interrupt state. Natively these are the board's models; under the VMM the
 * guest's emulated ones. Both call the same functions, so the view cannot tell them apart.
 */

const hex = (v: number | bigint, digits = 2) => `0x${v.toString(16).padStart(digits, "0")}`;
const yes = (b: boolean) => (b ? "yes" : "no");
const list = (xs: readonly number[]) => (xs.length ? xs.join(", ") : "none");

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

export function clintView(c: Clint): DeviceState {
  const mtime = c.mtime();
  return {
    id: "clint",
    label: "CLINT",
    base: BigInt(c.base),
    nodes: [
      { label: "mtime", value: `${hex(mtime, 1)} (${mtime})`, tooltip: `advances once every ${c.instructionsPerTick} retired instructions` },
      { label: "mtimecmp", value: c.mtimecmp === (1n << 64n) - 1n ? `${hex(c.mtimecmp, 1)} (never)` : `${hex(c.mtimecmp, 1)} (${c.mtimecmp})` },
      { label: "MTIP", value: yes(c.mtip()), tooltip: "mtime ≥ mtimecmp" },
      { label: "msip", value: c.msip ? "1" : "0", tooltip: "machine software interrupt pending (drives MSIP)" },
    ],
  };
}

export function plicView(s: PlicState, base: number): DeviceState {
  const priority = new Map(s.priorities.map((p) => [p.source, p.priority]));
  // Sources worth a row: any with a priority, a raised line, a pending or claimed request, or an enable.
  const sources = new Set<number>([...priority.keys(), ...s.levels, ...s.pending, ...s.claimed, ...s.contexts.flatMap((c) => c.enabled)]);
  const source = (n: number): DeviceNode => ({
    label: `source ${n}${n === 10 ? " (UART)" : ""}`,
    value: `priority ${priority.get(n) ?? 0}${s.pending.includes(n) ? ", pending" : ""}${s.claimed.includes(n) ? ", claimed" : ""}`,
    children: [
      { label: "priority", value: String(priority.get(n) ?? 0) },
      { label: "line", value: s.levels.includes(n) ? "high" : "low" },
      { label: "pending", value: yes(s.pending.includes(n)) },
      { label: "claimed", value: yes(s.claimed.includes(n)) },
      ...s.contexts.map((c) => ({ label: `enabled for ${c.mode}-mode`, value: yes(c.enabled.includes(n)) })),
    ],
  });
  return {
    id: "plic",
    label: "PLIC",
    base: BigInt(base),
    nodes: [
      { label: "sources", value: `${sources.size} in use`, children: [...sources].sort((a, b) => a - b).map(source) },
      ...s.contexts.map((c, i): DeviceNode => ({
        label: `context ${i} (${c.mode}-mode)`,
        value: `threshold ${c.threshold}${c.asserted ? ", asserted" : ""}`,
        children: [
          { label: "threshold", value: String(c.threshold) },
          { label: "enabled", value: list(c.enabled) },
          { label: "claimable", value: c.best ? `source ${c.best}` : "none", tooltip: "what a claim would return now" },
          { label: `${c.mode === "M" ? "MEIP" : "SEIP"} asserted`, value: yes(c.asserted) },
        ],
      })),
      { label: "claimed", value: list(s.claimed), tooltip: "claimed and not yet completed" },
    ],
  };
}
