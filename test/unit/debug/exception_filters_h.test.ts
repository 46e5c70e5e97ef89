import assert from "node:assert/strict";
import { test } from "node:test";
import { ExceptionBreakpoints, exceptionFilters, filterIdOf } from "../../../src/debug/exception_filters";

const H_CAUSES: [string, bigint][] = [
  ["ecall-vs", 10n], ["fetch-guest-page-fault", 20n], ["load-guest-page-fault", 21n], ["virtual-instruction", 22n], ["store-guest-page-fault", 23n],
];

test("the H extension's causes are offered as exception breakpoints, labelled as needing it", () => {
  const filters = exceptionFilters();
  for (const [id, cause] of H_CAUSES) {
    const f = filters.find((x) => x.filter === id);
    assert.ok(f, `${id} is offered`);
    assert.match(f.label, / \(H extension\)$/, id);
    assert.equal(f.supportsCondition, true);
    assert.equal(filterIdOf(cause), id);
  }
  assert.equal(filters.find((x) => x.filter === "virtual-instruction")!.label, "Virtual instruction (H extension)");
  assert.equal(filters.find((x) => x.filter === "illegal-instruction")!.label, "Illegal instruction", "the others' labels are unchanged");
});

test("an enabled guest-page-fault filter stops on that cause only", () => {
  const bps = new ExceptionBreakpoints();
  const [bp] = bps.set({ filters: ["store-guest-page-fault"] });
  assert.equal(bp!.verified, true);
  assert.equal(bps.wants(23n), true);
  assert.equal(bps.wants(21n), false);
  assert.equal(bps.wants(15n), false);
});
