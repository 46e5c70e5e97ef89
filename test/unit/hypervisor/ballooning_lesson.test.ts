import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { balloonCommand } from "../../../src/debug/repl_balloon";
import { hostCommand } from "../../../src/debug/repl_vmm";
import { createTarget } from "../../../src/target/create_target";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, loadGuest, makeVm } from "./equivalence";

const LESSON = join(ROOT, "sample-guests/ballooning/ballooning.S");
/** Guest RAM as the lesson's launch.json has it, and host memory for the VMM's pools and 1.25 MiB of it (320 frames). */
const MEMORY = 2 << 20;
const POOLS = { "trap-and-emulate": 8 << 20, "hardware-assisted": (8 << 20) + 17 * 4096 };
const GUEST_FRAMES = 320;
/** The pool's top 64 pages, which the driver gives first. */
const BALLOONED = "GPA 0x800c6000–0x80105fff";

const OUTPUT = (zero: number) => [
  "touched 256 free pages (1024 KiB)",
  "balloon driver ready (virtio-mmio slot 6): waiting for the host",
  "target 64 pages: inflated 64, the balloon holds 64 pages",
  "target 0 pages: deflated 64, the balloon holds 0 pages",
  `64 pages back: ${zero} read as zero, 64 usable`,
  "the balloon is empty: done",
  "",
].join("\n");

describe("the ballooning lesson", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`under ${technique}: inflating 256K frees 64 host frames, deflating and touching the pages takes 64 back, and the guest reads them as zero`, () => {
      let out = "";
      const program = loadGuest(LESSON);
      const vm = makeVm({ technique, memoryBytes: MEMORY, hostMemoryBytes: POOLS[technique] + GUEST_FRAMES * 4096, balloon: true, uartOut: { write: (c) => (out += String.fromCharCode(c)) } });
      vm.load(program);
      const target = new VmTarget(vm, technique, program.symbols);
      const ctx = { target } as unknown as Parameters<typeof hostCommand>[0];
      const at = (name: string) => program.symbols.find((s) => s.name === name)!.address;
      const free = () => vm.hostFrames.census().free;
      const hex = (n: number) => `0x${n.toString(16)}`;
      const guest = 0x8080_0000 + POOLS[technique] - (8 << 20);
      const run = (label: string) => assert.deepEqual(vm.run(10_000_000), { kind: "breakpoint", pc: at(label) });
      for (const name of ["waiting", "inflated", "deflated"]) vm.board.hart.breakpoints.add(at(name));

      // The guest has touched its code, data, first queue pages and pool: 259 of its 512 pages have frames.
      run("waiting");
      assert.equal(free(), 61);
      assert.equal(vm.p2m.backedPages, 259);
      assert.deepEqual(hostCommand(ctx).split("\n").slice(-4), [
        `  ${`${hex(guest + 0x2000)}–${hex(guest + 0x101fff)}`.padEnd(23)}     256  guest RAM, GPA 0x80006000–0x80105fff`,
        `  ${hex(guest + 0x102000).padEnd(23)}       1  guest RAM, GPA 0x80003000`,
        `  ${`${hex(guest + 0x103000)}–${hex(guest + GUEST_FRAMES * 4096 - 1)}`.padEnd(23)}      61  free`,
        "ballooned: no guest pages; 0 host frames freed by inflating so far",
      ]);
      assert.equal(balloonCommand("256K", target), [
        "balloon target set to 64 pages (256 KiB) (num_pages 64): the driver hears of it by a configuration-change interrupt when the guest runs",
        "guest pages in the balloon: 0",
        "host frames freed by inflated pages: 0 frames (0 KiB)",
      ].join("\n"));
      vm.board.hart.breakpoints.delete(at("waiting")); // the guest waits there again after each change

      // The driver gave the pool's top 64 pages: their frames are zeroed and free, and the p2m has none
      // for them. Two pages it touched for the first time on the way took two frames: its frame-number
      // array (GPA 0x80004000) and its stack (0x80005000).
      run("inflated");
      assert.equal(free(), 61 + 64 - 2);
      assert.equal(vm.p2m.backedPages, 259 - 64 + 2);
      for (let gpa = 0x800c_6000; gpa < 0x8010_6000; gpa += 4096) assert.equal(vm.p2m.peekHpa(gpa), -1, hex(gpa));
      assert.deepEqual(hostCommand(ctx).split("\n").slice(-7), [
        `  ${`${hex(guest + 0x2000)}–${hex(guest + 0xc1fff)}`.padEnd(23)}     192  guest RAM, GPA 0x80006000–0x800c5fff`,
        `  ${`${hex(guest + 0xc2000)}–${hex(guest + 0x101fff)}`.padEnd(23)}      64  free`,
        `  ${hex(guest + 0x102000).padEnd(23)}       1  guest RAM, GPA 0x80003000`,
        `  ${hex(guest + 0x103000).padEnd(23)}       1  guest RAM, GPA 0x80005000`,
        `  ${hex(guest + 0x104000).padEnd(23)}       1  guest RAM, GPA 0x80004000`,
        `  ${`${hex(guest + 0x105000)}–${hex(guest + GUEST_FRAMES * 4096 - 1)}`.padEnd(23)}      59  free`,
        `ballooned: 64 guest pages (256 KiB), ${BALLOONED}; 64 host frames freed by inflating so far`,
      ]);
      const ram = vm.board.ram;
      assert.equal(ram.bytes.subarray(guest + 0xc2000 - ram.base, guest + 0x102000 - ram.base).some((b) => b !== 0), false, "the freed frames hold zeros");
      assert.equal(balloonCommand("", target), [
        "balloon target 64 pages (256 KiB); the driver says it holds 64 pages (256 KiB) (actual)",
        `guest pages in the balloon: 64, ${BALLOONED}`,
        "host frames freed by inflated pages: 64 frames (256 KiB)",
      ].join("\n"));

      // Deflating costs the VMM nothing; the guest's check then touches the 64 pages, lowest first, and
      // each gets the lowest free frame, zeroed, on that first touch: the frames they had.
      balloonCommand("0", target);
      run("deflated");
      assert.equal(free(), 123);
      assert.deepEqual(vm.run(10_000_000), { kind: "halt", code: 0, how: "finisher" });
      assert.equal(free(), 59);
      assert.equal(vm.p2m.backedPages, 261);
      assert.equal(vm.p2m.peekHpa(0x800c_6000), guest + 0xc2000);
      assert.equal(hostCommand(ctx).split("\n").at(-1), "ballooned: no guest pages; 64 host frames freed by inflating so far");
      assert.equal(out, OUTPUT(64));
    });
  }

  it("natively the device only records the pages: they come back as the guest left them; binary translation and the split model free them as the others do", () => {
    const program = loadGuest(LESSON);
    const at = (name: string) => program.symbols.find((s) => s.name === name)!.address;
    const split = { vm: "split", perDevice: {} } as const;
    for (const [technique, zero, deviceModels] of [["native", 0, undefined], ["binary-translation", 64, undefined], ["trap-and-emulate", 64, split]] as const) {
      let out = "";
      const created = createTarget(program, { technique, memoryBytes: MEMORY, balloon: true, deviceModels, historyBytes: 0, uartOut: { write: (c) => (out += String.fromCharCode(c)) } });
      assert.ok(created.ok);
      const target = created.target;
      target.setBreakpoints([at("waiting")]);
      assert.equal(target.run(10_000_000).kind, "breakpoint");
      target.balloon!.setTarget(64);
      target.setBreakpoints([at("inflated")]);
      assert.equal(target.run(10_000_000).kind, "breakpoint");
      assert.equal(balloonCommand("", target).split("\n").at(-1), technique === "native"
        ? "natively there is no VMM: the pages stay in RAM, only the device records them"
        : "host frames freed by inflated pages: 64 frames (256 KiB)");
      target.balloon!.setTarget(0);
      target.setBreakpoints([]);
      assert.deepEqual(target.run(10_000_000), { kind: "halt", code: 0, how: "finisher" });
      assert.equal(out, OUTPUT(zero), technique);
    }
  });

  it("time travel puts the frames, the p2m and the balloon back as they were at the stop", () => {
    const program = loadGuest(LESSON);
    const at = (name: string) => program.symbols.find((s) => s.name === name)!.address;
    const created = createTarget(program, { technique: "hardware-assisted", memoryBytes: MEMORY, balloon: true });
    assert.ok(created.ok);
    const target = created.target as VmTarget;
    const state = () => [target.vm.hostFrames.freeFrames, target.vm.p2m.peekHpa(0x800c_6000), target.balloon!.status().pages.length];
    target.setBreakpoints([at("waiting")]);
    assert.equal(target.run(10_000_000).kind, "breakpoint");
    target.balloon!.setTarget(64);
    target.setBreakpoints([at("inflated")]);
    assert.equal(target.run(10_000_000).kind, "breakpoint");
    const inflated = Number(target.instret);
    assert.deepEqual(state(), [64, -1, 64]);
    target.balloon!.setTarget(0);
    target.setBreakpoints([]);
    target.run(3000);
    assert.deepEqual(state().slice(2), [0], "deflated");
    assert.ok(target.history.travelToInstret(inflated));
    assert.deepEqual(state(), [64, -1, 64]);
  });

  it("says what is wrong with a size, and that there is no balloon without the launch attribute", () => {
    const program = loadGuest(LESSON);
    const created = createTarget(program, { technique: "trap-and-emulate", memoryBytes: MEMORY, balloon: true, historyBytes: 0 });
    assert.ok(created.ok);
    for (const bad of ["3M", "100", "-1", "lots"]) {
      assert.throws(() => balloonCommand(bad, created.target), { message: `balloon: '${bad}' is not a balloon size: give the balloon's target size in whole 4 KiB pages, such as 256K or 1M, at most the guest's RAM (2,048 KiB), or 0 to give every page back` });
    }
    assert.equal(balloonCommand("2M", created.target).split("\n")[0], "balloon target set to 512 pages (2,048 KiB) (num_pages 512): the driver hears of it by a configuration-change interrupt when the guest runs");
    assert.equal(balloonCommand("2M", created.target).split("\n")[0], "balloon target set to 512 pages (2,048 KiB) (num_pages 512): the same target as before: no interrupt");
    const plain = createTarget(program, { technique: "native", memoryBytes: MEMORY, historyBytes: 0 });
    assert.ok(plain.ok);
    assert.equal(balloonCommand("256K", plain.target), "there is no balloon: the launch attribute \"balloon\": true (CLI --balloon) puts a virtio-balloon in virtio-mmio slot 6");
  });

  it("a shared page the balloon takes leaves its share first; the VMM refuses a balloon under paravirtual and with passthrough", () => {
    const program = loadGuest(LESSON);
    const vm = makeVm({ technique: "trap-and-emulate", memoryBytes: MEMORY, balloon: true, pageSharing: { scanPagesPerTick: 64 } });
    vm.load(program);
    vm.board.hart.breakpoints.add(program.symbols.find((s) => s.name === "waiting")!.address);
    assert.equal(vm.run(10_000_000).kind, "breakpoint");
    const untouched = 0x8015_0000;
    assert.equal(vm.p2m.isShared(untouched), true, "a zero page the guest never touched is shared");
    const shared = vm.sharing!.stats().pagesShared;
    const free = vm.hostFrames.census().free;
    vm.balloon!.reclaim(untouched);
    assert.equal(vm.p2m.peekHpa(untouched), -1);
    assert.equal(vm.sharing!.stats().pagesShared, shared - 1);
    assert.equal(vm.hostFrames.census().free, free, "its copy was freed at once: a shared page cost no frame of its own");
    assert.deepEqual(vm.balloon!.stats(), { framesFreed: 1, unbacked: 0 });
    vm.balloon!.reclaim(untouched);
    assert.deepEqual(vm.balloon!.stats(), { framesFreed: 1, unbacked: 1 }, "a page with no frame has nothing to free");

    assert.throws(() => makeVm({ technique: "paravirtual", balloon: true }), /^VmOptionsError: balloon is not available under this technique: direct paging hands the guest kernel its machine frames/);
  });
});
