import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sharingCommand } from "../../../src/debug/repl_vmm";
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
      const sharing = () => sharingCommand({ target } as unknown as Parameters<typeof sharingCommand>[0]).split("\n");
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
