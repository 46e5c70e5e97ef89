import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Clint } from "../../../../src/machine/devices/clint/model";
import { Plic } from "../../../../src/machine/devices/plic/model";
import { SifiveTest } from "../../../../src/machine/devices/sifive_test/model";
import { Uart16550 } from "../../../../src/machine/devices/uart16550/model";
import { virtioRegisterName } from "../../../../src/machine/devices/virtio/registers";

// Exit records and their filters (`register == "THR"`) spell registers this way; changing a name breaks saved filters.
describe("device register names", () => {
  const plic = new Plic([{ set: () => {} }, { set: () => {} }]);

  it("UART: the same offset is another register for reads and writes", () => {
    const uart = new Uart16550(plic.source(10), { write: () => {} });
    assert.deepEqual([0, 2, 5].map((o) => uart.registerName(o, false)), ["RBR", "IIR", "LSR"]);
    assert.deepEqual([0, 2, 5].map((o) => uart.registerName(o, true)), ["THR", "FCR", "LSR"]);
    assert.equal(uart.registerName(0x10, true), "+0x10");
  });

  it("CLINT: msip, and the halves of mtimecmp and mtime", () => {
    const clint = new Clint(() => 0, 100, () => {});
    assert.deepEqual([0, 0x4000, 0x4004, 0xbff8, 0xbffc, 0x1000].map((o) => clint.registerName(o, true)),
      ["msip", "mtimecmp", "mtimecmp+4", "mtime", "mtime+4", "+0x1000"]);
  });

  it("PLIC: priority, pending and enable words, and each context's threshold and claim/complete", () => {
    assert.deepEqual([40, 0x1004, 0x2080, 0x20_1000, 0x20_1004].map((o) => plic.registerName(o, false)),
      ["priority[10]", "pending[1]", "enable[ctx 1]", "threshold[ctx 1]", "claim/complete[ctx 1]"]);
  });

  it("virtio-mmio: the spec's register names, and offsets into the configuration space", () => {
    assert.deepEqual([0, 0x10, 0x44, 0x50, 0x64, 0x70, 0x90, 0x100, 0x114, 0x0c0].map((o) => virtioRegisterName(o, false)),
      ["MagicValue", "DeviceFeatures", "QueueReady", "QueueNotify", "InterruptACK", "Status", "QueueDriverLow", "config+0x0", "config+0x14", "+0xc0"]);
  });

  it("finisher: its status word", () => {
    assert.equal(new SifiveTest({ halt: () => {} }).registerName(0, true), "status");
  });
});
