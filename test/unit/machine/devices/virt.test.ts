import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createVirtBoard } from "../../../../src/machine/virt";

const MIP = 0x344;
const MEIP = 1n << 11n, SEIP = 1n << 9n;

function board(input: number[] = []) {
  const out: number[] = [];
  const b = createVirtBoard({ memoryBytes: 1 << 20, uartOut: { write: (x) => out.push(x) }, uartIn: { read: () => input.shift() ?? -1 } });
  return { b, out, mip: () => b.hart.readCsr(MIP)! };
}

describe("the virt board's wiring", () => {
  it("decodes the devices at QEMU's addresses", () => {
    const { b } = board();
    assert.equal(b.bus.deviceAt(0x0200_0000, 4)?.name, "clint");
    assert.equal(b.bus.deviceAt(0x0c00_0000, 4)?.name, "plic");
    assert.equal(b.bus.deviceAt(0x1000_0000, 1)?.name, "uart");
    assert.equal(b.bus.deviceAt(0x10_0000, 4)?.name, "finisher");
    assert.equal(b.htif, undefined, "no HTIF without a tohost symbol");
  });

  it("lists its devices once: on the bus, in the Devices panel's order, and with their views", () => {
    const { b } = board();
    const virtio = Array.from({ length: 8 }, (_, i) => `virtio${i}`);
    assert.deepEqual(b.devices.mmio.map((d) => d.name), ["uart", "clint", "plic", "finisher", ...virtio]);
    assert.deepEqual(b.bus.devices.map((d) => d.name), ["uart", "clint", "plic", "finisher", ...virtio]);
    assert.equal(b.devices.clint, b.clint, "the run loop keeps time with the set's CLINT");
    assert.deepEqual(b.devices.views().map((v) => [v.id, v.base]), [["uart", 0x1000_0000n], ["clint", 0x0200_0000n], ["plic", 0x0c00_0000n]], "empty virtio slots have no view");
    assert.equal(b.devices.deviceAt(0x1000_0005, 1), b.uart);
  });

  it("routes UART interrupts through PLIC source 10 to MEIP (context 0) and SEIP (context 1)", () => {
    const { b, mip } = board([0x41]);
    b.bus.store(0x0c00_0000 + 4 * 10, 4, 1n);
    b.bus.store(0x1000_0001, 1, 1n); // IER: RX data
    b.uart.poll();
    assert.equal(mip() & (MEIP | SEIP), 0n, "source not enabled in any context");
    b.bus.store(0x0c00_2000, 4, 1n << 10n);
    assert.equal(mip() & MEIP, MEIP);
    b.bus.store(0x0c00_2080, 4, 1n << 10n);
    assert.equal(mip() & SEIP, SEIP);
    assert.equal(b.bus.load(0x0c20_0004, 4), 10n, "M context claims source 10");
    assert.equal(mip() & (MEIP | SEIP), 0n, "claimed: neither context sees it");
    assert.equal(b.bus.load(0x1000_0000, 1), 0x41n);
    b.bus.store(0x0c20_0004, 4, 10n);
    assert.equal(mip() & (MEIP | SEIP), 0n, "line low after the byte was read");
  });

  it("ends the run through the finisher", () => {
    const { b } = board();
    b.bus.store(0x10_0000, 4, (7n << 16n) | 0x3333n);
    assert.equal(b.finisher.outcome, "fail");
  });

  it("enables HTIF on the tohost word when given", () => {
    const b = createVirtBoard({ memoryBytes: 1 << 20, tohost: 0x8000_1000, fromhost: 0x8000_1040 });
    assert.equal(b.htif?.tohost, 0x8000_1000);
    assert.equal(b.htif?.fromhost, 0x8000_1040);
    // Guest stores reach it through the hart's write watch; test/unit/cli/run.test.ts runs an HTIF guest.
  });
});
