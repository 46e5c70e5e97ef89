import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleToElf } from "../../../src/cli/asm";
import { describe, it } from "node:test";
import { swapCommand } from "../../../src/debug/repl_vmm";
import { VmTarget } from "../../../src/target/vm_target";
import { createTarget } from "../../../src/target/create_target";
import { machineGraph, visibleState } from "../../support/target_state";
import { ROOT, assertEquivalent, loadGuest, makeVm, runNative } from "./equivalence";

const LESSON = join(ROOT, "sample-guests/double-paging/double_paging.S");
/** As the lesson's launch.json has it: host memory for the VMM's pools and 6 guest pages, 16 pages of swap. */
const OPTS = {
  "trap-and-emulate": { memoryBytes: 1 << 20, hostMemoryBytes: 8216 * 1024, hostSwapBytes: 64 * 1024 },
  "hardware-assisted": { memoryBytes: 1 << 20, hostMemoryBytes: 8284 * 1024, hostSwapBytes: 64 * 1024 },
} as const;
const hex = (n: number) => `0x${n.toString(16)}`;

describe("the double-paging lesson", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`under ${technique}: the VMM swaps out the guest's page 0, and the guest's pageout reads it back only to write it to its own disk`, () => {
      const program = loadGuest(LESSON);
      const vm = makeVm({ technique, ...OPTS[technique] });
      vm.load(program);
      const target = new VmTarget(vm, technique, program.symbols);
      const ctx = { target } as unknown as Parameters<typeof swapCommand>[0];
      const at = (name: string) => program.symbols.find((s) => s.name === name)!.address;
      const page = (n: number) => Number(at("pages")) + n * 4096;
      assert.equal(vm.hostFrames.census().free + vm.p2m.backedPages, 6, "host memory holds 6 guest pages");
      for (const name of ["pageout", "paged_out"]) vm.board.hart.breakpoints.add(at(name));

      assert.deepEqual(vm.run(1_000_000), { kind: "breakpoint", pc: at("pageout") });
      // The code page and pages 0-4 filled the 6 frames. Page 5 took the code page's frame, whose
      // next fetch took page 0's; pages 6 and 7 took those of pages 1 and 2.
      assert.deepEqual(swapCommand(ctx).split("\n"), [
        "swap area: 12 KiB of 64 KiB used (3 of 16 pages)",
        "guest pages: 6 of 256 in host frames (0 free), 3 swapped out",
        "swap-outs: 4; swap-ins: 1 (0 by the VMM's own accesses)",
        `3 guest pages swapped out: GPA ${hex(page(0))}, ${hex(page(1))}, ${hex(page(2))}`,
      ]);
      // The debugger sees page 0 as the guest wrote it (word j = j), read from the swap area, which keeps it.
      const word1 = new DataView(target.readMemory("gpa", BigInt(page(0)) + 8n, 8)!.buffer).getBigUint64(0, true);
      assert.equal(word1, 1n);
      assert.ok(vm.swap!.holds(page(0)));

      // The exception filter on host-swap-in stops at the pageout's first load from page 0.
      vm.exitFilter = (e) => e.reason === "host-swap-in";
      const stop = vm.run(1_000_000);
      assert.equal(stop.kind, "trap");
      const exit = vm.stoppedExit!;
      assert.deepEqual([exit.details.gpa, exit.details.access], [BigInt(page(0)), "read"]);
      assert.ok(exit.pc >= at("pageout") && exit.pc < at("paged_out"), "in the pageout's copy loop");
      const mapped = technique === "hardware-assisted" ? ", and mapped it in the G stage again" : "";
      assert.equal(exit.action, `read GPA ${hex(page(0))} back from the swap area into host frame HPA ${hex(vm.p2m.peekHpa(page(0)))}, which a swap-out freed${mapped}; the guest retries`);
      vm.exitFilter = undefined;

      assert.deepEqual(vm.run(1_000_000), { kind: "breakpoint", pc: at("paged_out") });
      // Page 0 came back at the cost of page 3's frame, and the kernel's disk page, touched for the
      // first time, took page 4's: three disk transfers for a page that is overwritten next.
      assert.deepEqual(swapCommand(ctx).split("\n"), [
        "swap area: 16 KiB of 64 KiB used (4 of 16 pages)",
        "guest pages: 6 of 256 in host frames (0 free), 4 swapped out",
        "swap-outs: 6; swap-ins: 2 (0 by the VMM's own accesses)",
        `4 guest pages swapped out: GPA ${hex(page(1))}, ${hex(page(2))}, ${hex(page(3))}, ${hex(page(4))}`,
      ]);
      const outs = vm.log.query({ reasons: ["host-swap-out"], count: 100 }).exits.map((e) => Number(e.details.gpa));
      assert.deepEqual(outs, [0x8000_0000, page(0), page(1), page(2), page(3), page(4)]);
      assert.deepEqual(vm.run(1_000_000), { kind: "halt", code: 0, how: "finisher" });
    });
  }

  it("travels back in time across swap-outs and swap-ins, the swap area and the p2m as they were", () => {
    const created = createTarget(loadGuest(LESSON), { technique: "trap-and-emulate", ...OPTS["trap-and-emulate"] });
    if (!created.ok) assert.fail(created.error);
    const target = created.target;
    const state = () => ({ visible: visibleState(target, 1 << 20), graph: machineGraph(target), swap: (target as VmTarget).vm.swap!.swapped() });
    const seen: { position: number; state: ReturnType<typeof state> }[] = [];
    for (let i = 0; i < 12; i++) {
      target.run(3_500);
      seen.push({ position: target.history.position, state: state() });
    }
    assert.equal(seen.at(-1)!.state.swap.length, 4, "it ran past the pageout");
    assert.ok(new Set(seen.map((s) => s.state.swap.join())).size > 1, "the swap area changed on the way");
    for (const s of [...seen].reverse()) {
      assert.ok(target.history.travelTo(s.position), `travel to ${s.position}`);
      const now = state();
      assert.deepEqual(now.swap, s.state.swap, `at ${s.position}: the pages swapped out`);
      assert.deepEqual(now.visible, s.state.visible, `at ${s.position}: the debugger's view`);
      assert.deepEqual(now.graph, s.state.graph, `at ${s.position}: machine state`);
    }
  });

  it("prints on QEMU what it prints here", async () => {
    const elf = join(mkdtempSync(join(tmpdir(), "double-paging-")), "double_paging.elf");
    assert.equal(await assembleToElf({ kind: "asm", source: LESSON, output: elf }, (line) => assert.fail(line)), 0);
    const qemu = spawnSync("qemu-system-riscv64", ["-machine", "virt", "-nographic", "-bios", "none", "-kernel", elf], { encoding: "latin1", timeout: 30_000 });
    assert.equal(qemu.status, 0, qemu.stderr);
    const ours = runNative(loadGuest(LESSON), 1 << 20);
    assert.equal(ours.uart, "filled 8 pages\npaged out page 0 to the disk\nreused page 0 for new data\ndisk and page 0 checked\n");
    assert.equal(qemu.stdout.replace(/\r\n/g, "\n"), ours.uart);
  });

  it("ends as natively under both techniques, swapping or not", () => {
    for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
      assertEquivalent(LESSON, undefined, { technique, ...OPTS[technique] });
      assertEquivalent(LESSON, undefined, { technique, memoryBytes: 1 << 20 });
    }
  });
});
