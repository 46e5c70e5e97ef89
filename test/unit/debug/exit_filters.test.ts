import { test } from "node:test";
import assert from "node:assert/strict";
import type { VmExit } from "../../../src/hypervisor/exits";
import { EXIT_REASONS } from "../../../src/hypervisor/exits";
import { ExitBreakpoints, exitFilters, rewriteExitCondition } from "../../../src/debug/exit_filters";
import type { ExprEnv } from "../../../src/debug/expressions";

const exit = (reason: VmExit["reason"], details: VmExit["details"]): VmExit =>
  ({ seq: 1, vcpu: 0, pc: 0x80000000n, priv: 3, instret: 0n, reason, details, action: "", steps: [], cycles: 10 });
const env = { convenience: new Map<string, bigint>() } as unknown as ExprEnv;

test("one filter per exit reason, labelled", () => {
  const f = exitFilters();
  assert.equal(f.length, EXIT_REASONS.length);
  assert.equal(f.find((x) => x.filter === "vm-exit-csr-write")?.label, "VM exit: CSR write");
});

test("conditions name fields bare and compare strings; CSR fields and $values are left alone", () => {
  assert.match(rewriteExitCondition('csr == "satp"'), /^\$csr == 0x[0-9a-f]+$/);
  assert.equal(rewriteExitCondition("gpa >= 0x10 && satp.MODE == 8 && $priv == 3"), "$gpa >= 0x10 && satp.MODE == 8 && $priv == 3");
});

test("the predicate stops on matching exits only, absent fields reading 0", () => {
  const bps = new ExitBreakpoints();
  const set = bps.set([{ filterId: "vm-exit-csr-write", condition: 'csr == "satp"' }, { filterId: "vm-exit-mmio-write", condition: "gpa >= 0x10000000 && gpa < 0x10000100" }]);
  assert.ok(set.every((b) => b.verified));
  const p = bps.predicate(() => env)!;
  assert.equal(p(exit("csr-write", { csr: "satp" })), true);
  assert.deepEqual(bps.takeHit().ids, [set[0].id]);
  assert.equal(p(exit("csr-write", { csr: "mtvec" })), false);
  assert.equal(p(exit("mmio-write", { gpa: 0x10000005n, device: "uart" })), true);
  assert.equal(p(exit("mmio-write", { device: "clint" })), false, "no gpa: reads as 0");
  assert.equal(p(exit("ecall", {})), false, "no breakpoint on this reason");
  assert.equal(new ExitBreakpoints().predicate(() => env), undefined, "nothing enabled: no filter at all");
  assert.equal(bps.set([{ filterId: "vm-exit-nope" }])[0].verified, false);
});
