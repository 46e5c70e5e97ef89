import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VmOptionsError, type Vm } from "../../../src/hypervisor/vm";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { CSR } from "../../../src/isa/csrs";
import { THRASH_LIMIT } from "../../../src/hypervisor/mm/host_swap";
import { VmTarget } from "../../../src/target/vm_target";
import { hostCommand, sharingCommand, swapCommand } from "../../../src/debug/repl_vmm";
import { hostBody } from "../../../src/debug/custom_requests";
import { exitFilters } from "../../../src/debug/exit_filters";
import type { Technique } from "../../../src/target/techniques";
import { asmGuest, makeVm } from "./equivalence";

const MIB = 1 << 20;
const GUEST_RAM = 16 * MIB;
const CODE = 0x8000_0000;
const DATA = 0x8010_0000;
const D = (n: number) => DATA + n * 4096;

/**
 * Writes its page number at two offsets of each of 5 data pages, reads all of them back, and tells
 * the test finisher 0x5555 (pass) or code 1 (a word came back wrong). On 4 host frames for guest
 * RAM, its code page and 5 data pages cannot all be in host memory.
 */
const PATTERN = asmGuest(`
  .globl _start
_start:
  li t0, ${DATA}
  li t1, 0
  li t3, 5
1: sd t1, 0(t0)
  sd t1, 2040(t0)
  li t2, 4096
  add t0, t0, t2
  addi t1, t1, 1
  blt t1, t3, 1b
  li t0, ${DATA}
  li t1, 0
2: ld t4, 0(t0)
  bne t4, t1, fail
  ld t4, 2040(t0)
  bne t4, t1, fail
  li t2, 4096
  add t0, t0, t2
  addi t1, t1, 1
  blt t1, t3, 2b
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
3: j 3b
fail:
  li t0, 0x100000
  li t1, 0x13333
  sw t1, 0(t0)
  j fail
`, "swap_pattern.S");

/** The VMM's pools under `technique` with 16 MiB of guest RAM: host memory must hold them first. */
function pools(technique: Technique): number {
  return makeVm({ technique, memoryBytes: GUEST_RAM }).board.ram.size - GUEST_RAM;
}

/** A VM of `technique` whose host memory leaves `frames` frames for guest pages, with `swapPages` pages of swap. */
function swappingVm(technique: Technique, frames: number, swapPages: number): Vm {
  // Under hardware assistance the guest boots in S-mode so that it runs in VS-mode, behind the G stage.
  return makeVm({
    technique, memoryBytes: GUEST_RAM, hostMemoryBytes: pools(technique) + frames * 4096, hostSwapBytes: swapPages * 4096,
    boot: technique === "hardware-assisted" ? "supervisor" : "machine",
  });
}

const pageOf = (gpa: bigint | undefined) => Number(gpa ?? -1n) - (Number(gpa ?? -1n) % 4096);

describe("hypervisor swapping", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`pages guest memory out first in, first out and back on access under ${technique}, the guest none the wiser`, () => {
      const vm = swappingVm(technique, 4, 16);
      vm.load(PATTERN);
      assert.deepEqual(vm.run(100_000), { kind: "halt", code: 0, how: "finisher" }, "every word read back as written");
      // Loading backs the code page C; D0–D2 fill the 4 frames. D3 evicts C (the oldest); the
      // store's retried fetch brings C back, evicting D0; D4 evicts D1. Reading D0 evicts D2, D1
      // evicts D3, D2 evicts C, whose fetch evicts D4; D3 evicts D0, D4 evicts D1.
      const log = vm.log.query({ reasons: ["host-swap-out", "host-swap-in"], count: 100 }).exits;
      const outs = log.filter((e) => e.reason === "host-swap-out").map((e) => pageOf(e.details.gpa));
      const ins = log.filter((e) => e.reason === "host-swap-in").map((e) => pageOf(e.details.gpa));
      assert.deepEqual(outs, [CODE, D(0), D(1), D(2), D(3), CODE, D(4), D(0), D(1)]);
      assert.deepEqual(ins, [CODE, D(0), D(1), D(2), CODE, D(3), D(4)]);
      assert.deepEqual(vm.swap!.stats(), { pagesOut: 2, swapOuts: 9, swapIns: 7, vmmSwapIns: 0, usedBytes: 8192, sizeBytes: 16 * 4096 });
      assert.deepEqual(vm.swap!.swapped(), [D(0), D(1)]);
      assert.equal(vm.p2m.backedPages, 4);
      assert.equal(vm.hostFrames.census().free, 0);
      // Each swap-out is a page written to disk; each swap-in a page read plus the page fault the guest took.
      const stats = vm.log.stats();
      assert.deepEqual(stats.find((s) => s.reason === "host-swap-out"), { reason: "host-swap-out", count: 9, cycles: 9 * SEED_COSTS.diskPage });
      assert.deepEqual(stats.find((s) => s.reason === "host-swap-in"), { reason: "host-swap-in", count: 7, cycles: 7 * (SEED_COSTS.diskPage + SEED_COSTS.pageFault) });
    });
  }

  it("lets the debugger read a swapped-out page without swapping it in", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    vm.run(100_000);
    const exits = vm.log.stats().reduce((n, s) => n + s.count, 0);
    const before = vm.swap!.stats();
    assert.ok(vm.swap!.holds(D(1)));
    const bytes = vm.readGuestPhysical(D(1), 2048)!;
    assert.equal(new DataView(bytes.buffer).getBigUint64(0, true), 1n);
    assert.equal(new DataView(bytes.buffer).getBigUint64(2040, true), 1n);
    const target = new VmTarget(vm, "trap-and-emulate", PATTERN.symbols);
    assert.deepEqual([...target.readMemory("gpa", BigInt(D(0)), 8)!], [0, 0, 0, 0, 0, 0, 0, 0], "D0 holds page number 0");
    assert.deepEqual([...target.readMemory("gpa", BigInt(D(1)), 8)!], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(vm.swap!.holds(D(0)) && vm.swap!.holds(D(1)), "both still in the swap area");
    assert.deepEqual(vm.swap!.stats(), before);
    assert.equal(vm.log.stats().reduce((n, s) => n + s.count, 0), exits, "no exit");
    assert.equal(vm.p2m.peekHpa(D(1)), -1);
  });

  it("walks a guest page table in a swapped-out page for the debugger without swapping it in", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    vm.run(100_000);
    // Make D1 (swapped out; its word 0 is 1: a valid non-leaf PTE to PPN 0) the vCPU's Sv39 root.
    vm.vcpu.state.writeCsr(CSR.satp, (8n << 60n) | BigInt(D(1) / 4096));
    vm.vcpu.state.writeCsr(CSR.pmpaddr0, -1n);
    vm.vcpu.state.writeCsr(CSR.pmpcfg0, 0x1fn);
    const target = new VmTarget(vm, "trap-and-emulate", PATTERN.symbols);
    const exits = vm.log.stats().reduce((n, s) => n + s.count, 0);
    const t = target.translate(0n, "r", 1);
    // The root's entry 0 points below RAM, so the walk ends with a load access fault at level 1.
    assert.deepEqual(t, { ok: false, cause: 5n, steps: [{ level: 2, pteAddr: BigInt(D(1)), pte: 1n }] });
    assert.equal(vm.readPte(D(1)), 1n, "the Page Tables panel's read");
    assert.ok(vm.swap!.holds(D(1)), "still in the swap area");
    assert.equal(vm.log.stats().reduce((n, s) => n + s.count, 0), exits, "no exit");
  });

  it("shows the swap area in the Debug Console's swap, host and sharing", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    vm.run(100_000);
    const ctx = { target: new VmTarget(vm, "trap-and-emulate", PATTERN.symbols) } as unknown as Parameters<typeof swapCommand>[0];
    assert.deepEqual(swapCommand(ctx).split("\n"), [
      "swap area: 8 KiB of 64 KiB used (2 of 16 pages)",
      "guest pages: 4 of 4096 in host frames (0 free), 2 swapped out",
      "swap-outs: 9; swap-ins: 7 (0 by the VMM's own accesses)",
      "2 guest pages swapped out: GPA 0x80100000, 0x80101000",
    ]);
    assert.equal(hostCommand(ctx).split("\n").at(-1), "swap area (the host's disk): 2 guest pages swapped out: GPA 0x80100000, 0x80101000");
    assert.equal(sharingCommand(ctx).split("\n")[1], "guest pages: 4 of 4096 backed, 2 swapped out");
    // The Host view's request carries the swap area beside the host's RAM.
    assert.deepEqual(hostBody(ctx.target).swap, { usedBytes: 8192, sizeBytes: 65536, swapped: ["0x80100000", "0x80101000"] });
    const off = makeVm({ memoryBytes: GUEST_RAM });
    const offCtx = { target: new VmTarget(off, "trap-and-emulate", PATTERN.symbols) } as unknown as Parameters<typeof swapCommand>[0];
    assert.equal(swapCommand(offCtx), "hypervisor swapping is off (launch attributes hostMemory and hostSwap)");
    assert.equal(hostBody(offCtx.target).swap, undefined);
  });

  it("swaps a page in for the VMM's own accesses (its read of a guest PTE, a store through the guest's bus as DMA makes it), each a host-swap-in of the VMM's", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    vm.run(100_000);
    const at = vm.pteOffset(D(1) + 2040);
    assert.equal(vm.ramView.getBigUint64(at, true), 1n);
    assert.equal(vm.swap!.holds(D(1)), false);
    const last = vm.log.query({ reasons: ["host-swap-in"], count: 100 }).exits.at(-1)!;
    assert.deepEqual([last.details.gpa, last.details.op, last.cycles], [BigInt(D(1)), "vmm", SEED_COSTS.diskPage]);
    assert.deepEqual(vm.swap!.stats(), { pagesOut: 2, swapOuts: 10, swapIns: 8, vmmSwapIns: 1, usedBytes: 8192, sizeBytes: 16 * 4096 });
    assert.deepEqual(vm.swap!.swapped(), [D(0), D(2)], "D2, the oldest in the queue, made room");
    // A store through the guest's bus, as a device's DMA makes it, brings D2 back before it writes.
    vm.devices.bus.writeBytes(D(2) + 8, new Uint8Array([0xaa]));
    assert.deepEqual([...vm.readGuestPhysical(D(2), 9)!], [2, 0, 0, 0, 0, 0, 0, 0, 0xaa], "the page's own words, and the byte written");
    assert.equal(vm.readGuestPhysical(D(2) + 2040, 1)![0], 2);
    assert.deepEqual(vm.swap!.stats(), { pagesOut: 2, swapOuts: 11, swapIns: 9, vmmSwapIns: 2, usedBytes: 8192, sizeBytes: 16 * 4096 });
  });

  it("powers the VM off when the swap area is full too, saying so", () => {
    // One page of swap: D3 sends C out, filling it. Bringing C back needs a frame, and the victim has
    // nowhere to go: C's page leaves the swap area only once it is in a frame.
    const vm = swappingVm("trap-and-emulate", 4, 1);
    vm.load(PATTERN);
    assert.deepEqual(vm.run(100_000), { kind: "halt", code: 1, how: "host-memory" });
    const frames = vm.board.ram.size / 4096;
    assert.equal(vm.powerOffReason, `host memory is exhausted and so is the swap area: all ${frames} host frames of 4 KiB are in use, and all 1 pages of hostSwap hold swapped-out guest pages (give the VM a larger hostMemory or hostSwap)`);
    assert.deepEqual(vm.swap!.swapped(), [CODE]);
    assert.deepEqual(vm.swap!.stats(), { pagesOut: 1, swapOuts: 1, swapIns: 0, vmmSwapIns: 0, usedBytes: 4096, sizeBytes: 4096 });
  });

  it("powers the VM off when one frame cannot hold what an instruction needs, rather than thrash for ever", () => {
    // With one frame, the store's data page and its code page take it from each other in turn.
    const vm = swappingVm("trap-and-emulate", 1, 16);
    vm.load(PATTERN);
    assert.deepEqual(vm.run(100_000), { kind: "halt", code: 1, how: "host-memory" });
    assert.equal(vm.powerOffReason, `host memory is thrashing: ${THRASH_LIMIT} swap-ins in a row brought pages back while the guest retired no instruction, so the 1 host frame left for guest pages cannot hold the pages one instruction needs (give the VM a larger hostMemory)`);
    assert.equal(vm.swap!.stats().swapIns, THRASH_LIMIT);
  });

  it("never picks a page the VMM watches", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    // A data breakpoint on the code page keeps it where it is (the watch is on its host frame).
    vm.board.watchData(vm.p2m.toHpa(CODE), 4, { read: true });
    vm.run(100_000);
    const outs = vm.log.query({ reasons: ["host-swap-out"], count: 100 }).exits.map((e) => pageOf(e.details.gpa));
    // C stays: D3 and D4 evict D0 and D1; reading D0–D4 evicts D2, D3, D4, D0, D1, each the oldest left.
    assert.deepEqual(outs, [D(0), D(1), D(2), D(3), D(4), D(0), D(1)]);
  });

  it("forgets a swapped-out page the balloon takes: its next touch is a first touch, of zeros", () => {
    const vm = swappingVm("trap-and-emulate", 4, 16);
    vm.load(PATTERN);
    vm.run(100_000);
    vm.swap!.discard(D(1));
    assert.deepEqual(vm.swap!.swapped(), [D(0)]);
    assert.deepEqual([...vm.readGuestPhysical(D(1), 8)!], [0, 0, 0, 0, 0, 0, 0, 0], "not its page number, 1");
    const before = vm.swap!.stats();
    vm.devices.bus.writeBytes(D(1) + 8, new Uint8Array([7]));
    assert.deepEqual([...vm.readGuestPhysical(D(1) + 2040, 1)!], [0], "a zeroed frame, not the old contents");
    assert.equal(vm.swap!.stats().swapIns, before.swapIns, "no swap-in");
  });

  it("offers an exception filter per swap exit, as for every exit reason", () => {
    const labels = exitFilters().filter((f) => f.filter.startsWith("vm-exit-host-swap-")).map((f) => [f.filter, f.label]);
    assert.deepEqual(labels, [["vm-exit-host-swap-in", "VM exit: host swap-in"], ["vm-exit-host-swap-out", "VM exit: host swap-out"]]);
  });

  it("is refused without hostMemory, with a technique that cannot take a page away, or with a bad size", () => {
    assert.throws(() => makeVm({ memoryBytes: GUEST_RAM, hostSwapBytes: MIB }), (e: Error) => e instanceof VmOptionsError && /hostSwap is where the VMM pages guest memory out when host memory runs out: it needs hostMemory/.test(e.message));
    for (const technique of ["binary-translation", "paravirtual"] as const) {
      assert.throws(() => makeVm({ technique, memoryBytes: GUEST_RAM, hostMemoryBytes: pools(technique) + GUEST_RAM, hostSwapBytes: MIB }),
        /hostSwap needs trap-and-emulate or hardware-assisted: this technique's memory virtualization cannot take a page away from the guest and catch its next access/);
    }
    assert.throws(() => makeVm({ memoryBytes: GUEST_RAM, hostMemoryBytes: pools("trap-and-emulate") + MIB, hostSwapBytes: 100 }), /hostSwap must be a whole number of 4 KiB pages, at least one, not 100 bytes/);
  });
});
