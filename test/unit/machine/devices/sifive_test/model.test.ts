import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SifiveTest } from "../../../../../src/machine/devices/sifive_test/model";

function finisher() {
  const halts: [number, string][] = [];
  const dev = new SifiveTest({ halt: (code, how) => halts.push([code, how]) });
  return { dev, halts };
}

describe("SiFive test finisher", () => {
  it("0x5555 passes with exit code 0", () => {
    const { dev, halts } = finisher();
    dev.write(0, 4, 0x5555);
    assert.deepEqual(halts, [[0, "finisher"]]);
    assert.equal(dev.outcome, "pass");
  });
  it("(code << 16) | 0x3333 fails with the code", () => {
    const { dev, halts } = finisher();
    dev.write(0, 4, (3 << 16) | 0x3333);
    assert.deepEqual(halts, [[3, "finisher"]]);
    assert.equal(dev.outcome, "fail");
    const big = finisher();
    big.dev.write(0, 4, (0xffff << 16 | 0x3333) >>> 0);
    assert.deepEqual(big.halts, [[0xffff, "finisher"]]);
  });
  it("0x7777 (reset) ends the run with code 0 and says it was a reset", () => {
    const { dev, halts } = finisher();
    dev.write(0, 4, 0x7777);
    assert.deepEqual(halts, [[0, "reset"]]);
    assert.equal(dev.outcome, "reset");
  });
  it("ignores other values and other offsets, answers only 16- and 32-bit accesses; reads zero", () => {
    const { dev, halts } = finisher();
    dev.write(0, 4, 0x1234);
    dev.write(4, 4, 0x5555);
    assert.deepEqual([1, 2, 4, 8].map((w) => dev.accepts(0, w as 1 | 2 | 4 | 8)), [false, true, true, false]);
    assert.deepEqual(halts, []);
    assert.equal(dev.outcome, undefined);
    assert.equal(dev.read(), 0);
  });
});
