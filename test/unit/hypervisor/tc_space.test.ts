import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TcSpace } from "../../../src/hypervisor/techniques/tc_space";

describe("the translation cache's free space", () => {
  it("hands out ranges first-fit and refuses what no free range holds", () => {
    const s = new TcSpace(10);
    assert.equal(s.alloc(4), 0);
    assert.equal(s.alloc(4), 4);
    assert.equal(s.alloc(3), -1);
    assert.equal(s.alloc(2), 8);
    assert.equal(s.used, 10);
  });

  it("merges a released range with its free neighbours, so that freed blocks make room for a larger one", () => {
    const s = new TcSpace(12);
    const [a, b, c] = [s.alloc(4), s.alloc(4), s.alloc(4)];
    s.release(a, 4);
    s.release(c, 4);
    assert.equal(s.alloc(8), -1, "two holes of 4, apart");
    s.release(b, 4);
    assert.equal(s.used, 0);
    assert.equal(s.alloc(12), 0, "one hole of 12 again");
  });

  it("starts empty again on reset", () => {
    const s = new TcSpace(8);
    s.alloc(8);
    s.reset();
    assert.equal(s.alloc(8), 0);
  });
});
