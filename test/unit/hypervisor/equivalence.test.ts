import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Vm } from "../../../src/hypervisor/vm";
import { ROOT, assertEquivalent, corpusElf, loadGuest, runVm, sampleSources } from "./equivalence";

/**
 * Popek and Goldberg's equivalence: natively and under each VMM technique, every guest prints the same,
 * ends the same, retires the same instructions and leaves the same pc, privilege, GPRs and CSRs.
 */
const CORPUS = readdirSync(join(ROOT, "test/fixtures/guests")).filter((f) => f.endsWith(".S") && f !== "crt.S").map((f) => f.slice(0, -2));

describe("equivalence: the differential corpus (test/fixtures/guests, built with gcc)", () => {
  it("has guests", () => assert.ok(CORPUS.length >= 8));
  for (const name of [...CORPUS, "bench-empty"]) {
    it(name, () => {
      const { vm } = assertEquivalent(name, loadGuest(corpusElf(name)));
      assert.ok(vm.target.stats().exits > 0, "the guest ran under the VMM, with exits");
    });
  }
});

for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
  describe(`equivalence under ${technique}: the sample guests (assembled by Hyperstep)`, () => {
    const samples = sampleSources();
    it("has the lessons", () => assert.ok(samples.length >= 6));
    for (const src of samples) {
      it(src.slice(ROOT.length + 1), () => {
        const { native, vm } = assertEquivalent(src, loadGuest(src), { technique });
        assert.equal(native.stop.kind, "halt");
        assert.ok(vm.target.stats().exits > 0, "the guest ran under the VMM, with exits");
      });
    }
  });
}

describe("equivalence: a guest that boots in S-mode on the VMM's SBI", () => {
  // No native run: on the bare board there is no firmware. test/oracle/sbi_guest.test.ts checks the
  // same output on QEMU behind OpenSBI.
  it("prints and ends the same under both VMM techniques, through SBI calls", () => {
    const p = loadGuest(join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S"));
    const [te, hw] = (["trap-and-emulate", "hardware-assisted"] as const).map((technique) => runVm(p, { technique, boot: "supervisor" }));
    assert.deepEqual(hw.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.deepEqual(te.stop, hw.stop);
    assert.match(hw.uart, /^supervisor-boot: hello from S-mode\n[^]*supervisor timer interrupt 2\nshutting down through SRST\n$/);
    assert.equal(te.uart, hw.uart);
    assert.equal(te.instret, hw.instret);
    assert.deepEqual(te.x, hw.x);
    assert.deepEqual(te.csrs, hw.csrs);
    const reasons = (r: typeof te) => new Map(r.target.stats().byReason.map((x) => [x.reason, x.count]));
    assert.ok((reasons(hw).get("sbi-call") ?? 0) > 0);
    assert.equal(reasons(hw).get("sbi-call"), reasons(te).get("sbi-call"));
    assert.equal(reasons(hw).get("hidden-page-fault"), undefined, "no shadow tables under hardware assistance");
  });
});

describe("equivalence: the random-instruction corpus (build/guests/random, from the QEMU lockstep tests)", () => {
  const dir = join(ROOT, "build/guests/random");
  const elfs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".elf")).sort() : [];
  it("every random guest built so far", () => {
    for (const f of elfs) assertEquivalent(join(dir, f));
  });
});

describe("stepping under hardware assistance", () => {
  it("counts a trap the hart delivers to VS-mode as one step, as trap-and-emulate counts its injected ones", () => {
    const p = loadGuest(join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S"));
    const steps = (technique: "trap-and-emulate" | "hardware-assisted") => {
      const vm = new Vm({ memoryBytes: 16 << 20, technique, boot: "supervisor" });
      vm.load(p);
      let n = 0;
      while (vm.step().kind === "budget") n++;
      return { n, instret: vm.instret };
    };
    const te = steps("trap-and-emulate"), hw = steps("hardware-assisted");
    assert.equal(hw.instret, te.instret);
    assert.equal(hw.n, te.n, "the two timer interrupts are steps under both");
    assert.ok(hw.n > Number(hw.instret), "traps count as steps beside the instructions");
  });
});
