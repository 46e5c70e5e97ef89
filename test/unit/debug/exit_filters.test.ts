import { test } from "node:test";
import assert from "node:assert/strict";
import type { VmExit } from "../../../src/hypervisor/exits";
import { EXIT_REASONS } from "../../../src/hypervisor/exits";
import { ExitBreakpoints, exitFilters, rewriteExitCondition } from "../../../src/debug/exit_filters";
import type { ExprEnv } from "../../../src/debug/expressions";
import { StopRule } from "../../../src/debug/conditions";

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

test("vcpu names the vCPU that made the exit", () => {
  const bps = new ExitBreakpoints();
  bps.set([{ filterId: "vm-exit-mmio-write", condition: "vcpu == 2" }]);
  const p = bps.predicate(() => env)!;
  assert.equal(p(exit("mmio-write", {})), false, "vCPU 0");
  assert.equal(p({ ...exit("mmio-write", {}), vcpu: 2 }), true);
});

test("in a batch, op matches any of its operations, ops the whole list, and a batch counts one hit", () => {
  const bps = new ExitBreakpoints();
  const [any, exact, not] = bps.set([
    { filterId: "vm-exit-hypercall-mmuext", condition: 'op == "new_baseptr"' },
    { filterId: "vm-exit-hypercall-mmuext", condition: 'ops == "pin_table,pin_table"' },
    { filterId: "vm-exit-hypercall-mmuext", condition: 'op == "invlpg"' },
  ]);
  const p = bps.predicate(() => env)!;
  const batch = exit("hypercall-mmuext", { op: "new_baseptr,tlb_flush_all", count: 2 });
  assert.equal(p(batch), true, "new_baseptr is one of the batch's operations");
  assert.deepEqual(bps.takeHit().ids, [any.id]);
  assert.equal(p(exit("hypercall-mmuext", { op: "new_baseptr", count: 1 })), true, "a batch of one");
  assert.equal(p(exit("hypercall-mmuext", { op: "tlb_flush_all,invlpg", count: 2 })), true);
  assert.deepEqual(bps.takeHit().ids, [not.id]);
  assert.equal(p(exit("hypercall-mmuext", { op: "pin_table,pin_table", count: 2 })), true);
  assert.deepEqual(bps.takeHit().ids, [exact.id]);
  assert.equal(p(exit("hypercall-mmuext", { op: "pin_table,pin_table,pin_table", count: 3 })), false, "ops is the exact list");


  // Every operation satisfies this rule, yet a batch is one hit: the second batch (history position 1) reaches "2".
  const rule = StopRule.create("$x == 1", "==2") as StopRule;
  const ones = [1n, 1n].map((x) => ({ convenience: new Map([["x", x]]) }) as unknown as ExprEnv);
  assert.deepEqual([0, 1, 1, 2].map((at) => rule.check(ones, at).stop), [false, true, true, false], "position 1 is the second hit, however often it is asked");
});

test("a virtio-notify breakpoint can stop on one queue, or on a batch of some size", () => {
  const bps = new ExitBreakpoints();
  bps.set([{ filterId: "vm-exit-virtio-notify", condition: "queue == 1 || chains >= 4" }]);
  const p = bps.predicate(() => env)!;
  assert.equal(p(exit("virtio-notify", { device: "virtio1", queue: 1, chains: 1, descriptors: 1 })), true);
  assert.equal(p(exit("virtio-notify", { device: "virtio0", queue: 0, chains: 4, descriptors: 12 })), true);
  assert.equal(p(exit("virtio-notify", { device: "virtio0", queue: 0, chains: 2, descriptors: 6 })), false);
});
