import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hostCommand, sharingCommand } from "../../../src/debug/repl_vmm";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, assertEquivalent, loadGuest, makeVm } from "./equivalence";

const LESSON = join(ROOT, "sample-guests/page-sharing/page_sharing.S");
/** As the lesson's launch.json has it. */
const OPTS = { memoryBytes: 1 << 20, pageSharing: { scanPagesPerTick: 64 } };

describe("the page-sharing lesson", () => {
  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`under ${technique}: zero pages and the pattern pages share frames while the guest waits, and its 16 stores break 16 shares`, () => {
      const program = loadGuest(LESSON);
      const vm = makeVm({ technique, ...OPTS });
      vm.load(program);
      const target = new VmTarget(vm, technique, program.symbols);
      const ctx = { target } as unknown as Parameters<typeof sharingCommand>[0];
      const sharing = () => sharingCommand(ctx).split("\n");
      const at = (name: string) => program.symbols.find((s) => s.name === name)!.address;
      for (const name of ["shared_now", "done"]) vm.board.hart.breakpoints.add(at(name));

      assert.deepEqual(vm.run(10_000_000), { kind: "breakpoint", pc: at("shared_now") });
      const waited = vm.sharing!.stats();
      // All 256 pages of guest RAM have been scanned many times over: the 8 pattern pages keep one
      // frame, and every zero page (the lesson's 8, and the rest of its 1 MiB) another. Only the
      // code page is the guest's alone.
      assert.deepEqual(sharing().slice(2, 4), [
        "page sharing: 64 pages scanned per 10,000 guest steps, 3072 hashed so far",
        "255 guest pages share 2 host frames: 1,012 KiB saved",
      ]);
      // The host's RAM: the VMM's pools, then the 256 guest pages on 3 frames, and 253 frames free.
      const host = hostCommand(ctx).split("\n");
      const guest = technique === "trap-and-emulate" ? 0x8080_0000 : 0x8081_1000;
      const hex = (n: number) => `0x${n.toString(16)}`;
      assert.deepEqual(host.slice(-4), [
        `  ${hex(guest).padEnd(23)}       1  guest RAM, GPA 0x80000000`,
        `  ${hex(guest + 0x1000).padEnd(23)}       1  shared by 247 guest pages: GPA 0x80001000, 0x8000a000, 0x8000b000, 0x8000c000, …`,
        `  ${hex(guest + 0x2000).padEnd(23)}       1  shared by 8 guest pages: GPA 0x80002000, 0x80003000, 0x80004000, 0x80005000, …`,
        `  ${`${hex(guest + 0x3000)}–${hex(guest + 0x3000 + 253 * 4096 - 1)}`.padEnd(23)}     253  free`,
      ]);
      assert.equal(host[1], "  0x80000000–0x807fffff     2,048  the VMM: shadow-table pool");

      assert.deepEqual(vm.run(10_000_000), { kind: "breakpoint", pc: at("done") });
      const wrote = vm.sharing!.stats();
      assert.equal(wrote.pagesShared, waited.pagesShared - 16, "each of the 16 stores took its page out of a share");
      assert.equal(wrote.copies - waited.copies, 16, "16 copy-on-write breaks");
      assert.equal(vm.log.stats().find((s) => s.reason === "cow-break")?.count, wrote.copies, "one cow-break exit per break");
      // The pattern pages' frame is the last one's own again. The other 15 breaks came earlier: scans
      // that ran while the guest was still filling its pages had shared pages it had not reached yet.
      assert.deepEqual(sharing().slice(3), ["239 guest pages share 1 host frame: 952 KiB saved", "31 copy-on-write breaks"]);
    });
  }

  it("ends as natively under both techniques, sharing or not", () => {
    for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) assertEquivalent(LESSON, undefined, { technique, ...OPTS });
  });
});
