import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Clint } from "../../../../src/machine/devices/clint/model";
import { Plic } from "../../../../src/machine/devices/plic/model";
import { SifiveTest } from "../../../../src/machine/devices/sifive_test/model";
import { Uart16550 } from "../../../../src/machine/devices/uart16550/model";

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

  it("finisher: its status word", () => {
    assert.equal(new SifiveTest({ halt: () => {} }).registerName(0, true), "status");
  });
});
