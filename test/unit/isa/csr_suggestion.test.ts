import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CSRS } from "../../../src/isa/csrs";
import { editDistance, suggestCsr } from "../../../src/isa/csr_suggestion";

describe("CSR name suggestions", () => {
  it("count one edit for an insertion, a deletion, a substitution or two swapped neighbours", () => {
    assert.equal(editDistance("mtvec", "mtvec"), 0);
    assert.equal(editDistance("mtvek", "mtvec"), 1);
    assert.equal(editDistance("mtvecc", "mtvec"), 1);
    assert.equal(editDistance("mtve", "mtvec"), 1);
    assert.equal(editDistance("mstatsu", "mstatus"), 1);
    assert.equal(editDistance("", "sip"), 3);
    assert.equal(editDistance("abc", "xyz"), 3);
  });

  it("suggest the CSR a typo meant", () => {
    assert.equal(suggestCsr("mtvek"), "mtvec");
    assert.equal(suggestCsr("mstatsu"), "mstatus");
    assert.equal(suggestCsr("stap"), "satp");
    assert.equal(suggestCsr("mscrach"), "mscratch");
    assert.equal(suggestCsr("MEPC"), "mepc", "case is not a typo");
  });

  it("suggest nothing for a word that is no near miss", () => {
    for (const w of ["t0", "sp", "foo", "xyzzy", "mtvec_base"]) assert.equal(suggestCsr(w), undefined, w);
  });

  it("suggest only CSRs the editor offers (RV64)", () => {
    const names = new Set(CSRS.filter((c) => !c.rv32Only).map((c) => c.name));
    for (const w of ["cycleh", "instreth", "pmpcfg1"]) {
      const s = suggestCsr(w);
      assert.ok(s === undefined || names.has(s), `${w} → ${s}`);
      assert.notEqual(s, w);
    }
  });
});
