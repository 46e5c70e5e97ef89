import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { HostFrames, HostMemoryExhausted } from "../../../src/hypervisor/mm/host_frames";
import { P2m } from "../../../src/hypervisor/mm/p2m";
import { VmOptionsError } from "../../../src/hypervisor/vm";
import type { Technique } from "../../../src/target/techniques";
import { ROOT, asmGuest, assertEquivalent, loadGuest, makeVm } from "./equivalence";

const MIB = 1 << 20;
const GUEST_RAM = 16 * MIB;
const SHADOW = join(ROOT, "sample-guests/shadow-paging/shadow_paging.S");

/** Host memory for the VMM's pools under `technique` (what a VM of 16 MiB gets beside its guest RAM by default). */
function vmmBytes(technique: Technique): number {
  return makeVm({ technique, memoryBytes: GUEST_RAM }).board.ram.size - GUEST_RAM;
}

describe("host frames", () => {
  it("reserves the VMM's pools, hands guest pages the lowest free frame, and takes them back", () => {
    const host = new HostFrames(0x8000_0000, 8 * 4096);
    host.reserve(0x8000_0000, 2 * 4096, "shadow-pool");
    assert.equal(host.allocate(), 0x8000_2000);
    assert.equal(host.allocate(), 0x8000_3000);
    host.release(0x8000_2000);
    assert.equal(host.allocate(), 0x8000_2000, "the lowest free frame again");
    assert.deepEqual(host.census(), { free: 4, "shadow-pool": 2, "technique-pool": 0, "io-pool": 0, guest: 2, shared: 0 });
    assert.equal(host.ownerAt(0x8000_1234), "shadow-pool");
    assert.throws(() => host.reserve(0x8000_3000, 4096, "io-pool"), /already guest/);
    assert.throws(() => host.release(0x8000_0000), /not a guest page/);
    for (let i = 0; i < 4; i++) host.allocate();
    assert.throws(() => host.allocate(), (e: Error) => e instanceof HostMemoryExhausted && /all 8 host frames/.test(e.message));
  });
});

describe("the per-page p2m", () => {
  it("backs a page on first touch, never on a look, and maps frames back to guest pages", () => {
    const host = new HostFrames(0x1000_0000, 4 * 4096);
    const p2m = new P2m(0x8000_0000, 16 * 4096, host);
    assert.equal(p2m.peekHpa(0x8000_5008), -1);
    assert.equal(p2m.backedPages, 0);
    assert.equal(p2m.toHpa(0x8000_5008, 8), 0x1000_0008);
    assert.equal(p2m.toHpa(0x8000_1000), 0x1000_1000);
    assert.equal(p2m.peekHpa(0x8000_5ff0), 0x1000_0ff0);
    assert.equal(p2m.toGpa(0x1000_1004), 0x8000_1004);
    assert.equal(p2m.toGpa(0x1000_2000), -1, "a free frame backs nothing");
    assert.equal(p2m.toHpa(0x8001_0000), -1, "past guest RAM");
    // GPA pages 5 and 6 lie in frames 0 and 2: not adjacent, so no one host address covers both.
    assert.equal(p2m.toHpa(0x8000_5ffc, 8), -1);
    assert.equal(p2m.peekHpa(0x8000_6000), 0x1000_2000);
    assert.deepEqual(p2m.regions(), [
      { gpa: 0x8000_1000, hpa: 0x1000_1000, size: 4096, kind: "ram" },
      { gpa: 0x8000_5000, hpa: 0x1000_0000, size: 4096, kind: "ram" },
      { gpa: 0x8000_6000, hpa: 0x1000_2000, size: 4096, kind: "ram" },
    ]);
    assert.equal(p2m.wholeRun(), -1);
  });
});

describe("host memory smaller than guest RAM", () => {
  for (const technique of ["trap-and-emulate", "binary-translation", "hardware-assisted"] as const) {
    it(`runs the shadow-paging guest exactly as natively under ${technique}, backing only the pages it touches`, () => {
      const hostMemoryBytes = vmmBytes(technique) + MIB;
      const { vm } = assertEquivalent(SHADOW, loadGuest(SHADOW), { technique, memoryBytes: GUEST_RAM, hostMemoryBytes });
      const vmx = vm.target.vm;
      assert.equal(vmx.board.ram.size, hostMemoryBytes);
      const census = vmx.hostFrames.census();
      assert.equal(census.guest, vmx.p2m.backedPages);
      assert.ok(census.guest > 0 && census.guest <= 256, `${census.guest} guest frames within the 1 MiB left`);
      assert.equal(census.free + census.guest, 256);
    });
  }

  it("powers off a guest that touches more than host memory holds, saying why", () => {
    // Stores one word in each of 300 pages: more than the 256 frames 1 MiB of host memory holds.
    const toucher = asmGuest(`
      .globl _start
      _start:
        li t0, 0x80100000
        li t1, 300
      1: sd t1, 0(t0)
        li t2, 4096
        add t0, t0, t2
        addi t1, t1, -1
        bnez t1, 1b
      2: j 2b
    `, "toucher.S");
    const vm = makeVm({ memoryBytes: GUEST_RAM, hostMemoryBytes: vmmBytes("trap-and-emulate") + MIB });
    vm.load(toucher);
    assert.deepEqual(vm.run(100_000), { kind: "halt", code: 1, how: "host-memory" });
    const frames = vm.board.ram.size / 4096;
    assert.equal(vm.powerOffReason, `host memory is exhausted: all ${frames} host frames of 4 KiB are in use, so a guest page touched for the first time has no host frame (give the VM a larger hostMemory)`);
    assert.equal(vm.p2m.backedPages, 256, "every frame the pools left");
    assert.deepEqual(vm.run(10), { kind: "halt", code: 1, how: "host-memory" }, "it stays off");
  });

  it("refuses host memory that cannot hold the VMM's pools, and what cannot be overcommitted", () => {
    const pools = vmmBytes("trap-and-emulate");
    assert.throws(() => makeVm({ memoryBytes: GUEST_RAM, hostMemoryBytes: pools }), (e: Error) => e instanceof VmOptionsError && /above the VMM's own 8M/.test(e.message));
    assert.throws(() => makeVm({ memoryBytes: GUEST_RAM, hostMemoryBytes: pools + GUEST_RAM + 4096 }), /at most that plus guest RAM, 24M/);
    assert.throws(() => makeVm({ technique: "paravirtual", memoryBytes: GUEST_RAM, hostMemoryBytes: pools + MIB }), /paravirtual: direct paging gives the guest its machine frames as one run, so host memory must hold all of guest RAM/);
  });
});
