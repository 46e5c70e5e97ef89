import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BinaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { createVirtBoard } from "../../../src/machine/virt";
import { VmTarget } from "../../../src/target/vm_target";
import { asmGuest, makeVm } from "./equivalence";
import { HALT } from "./small_guests";

/** A loop in the guest's M-mode that stores its counter to memory on another page, three times. */
const STORES = asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  la t0, counter
  li s0, 0
  li s1, 3
1:addi s0, s0, 1
  sd s0, 0(t0)
  csrw mscratch, s0
  blt s0, s1, 1b
${HALT}
  .data
  .align 12
counter:
  .dword 0
`, "bt_data_breakpoint.S");

function watched(technique: "trap-and-emulate" | "binary-translation") {
  const vm = makeVm({ technique });
  vm.load(STORES);
  new VmTarget(vm, technique, STORES.symbols).watchPhysical(counter, 8, { read: false, write: true });
  return vm;
}
const counter = STORES.symbols.find((s) => s.name === "counter")!.address;

describe("debugging through translation: data breakpoints", () => {
  it("a data breakpoint on a store in translated code stops as under trap-and-emulate, after the same instructions as natively", () => {
    const native = createVirtBoard({ memoryBytes: 16 << 20 });
    native.load(STORES);
    native.watchData(Number(counter), 8, { write: true });
    const te = watched("trap-and-emulate");
    const bt = watched("binary-translation");
    for (let hit = 1; hit <= 3; hit++) {
      const n = native.run(1000), t = te.run(1000), b = bt.run(1000);
      assert.equal(n.kind, "watchpoint");
      assert.deepEqual(b, t, `hit ${hit}: the stop trap-and-emulate reports (the guest pc after the store)`);
      assert.equal(bt.pc, native.hart.pc, `hit ${hit}: the guest's pc, never the TC's`);
      assert.equal(bt.instret, native.instret, `hit ${hit}: instructions retired`);
      assert.equal(bt.board.hart.getReg(8), BigInt(hit), "s0");
    }
    assert.ok((bt.technique as BinaryTranslation).tcStats().translated > 0, "the loop ran from the translation cache");
    assert.equal(bt.run(1000).kind, native.run(1000).kind);
  });
});
