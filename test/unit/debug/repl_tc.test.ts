import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tcCommand } from "../../../src/debug/repl_vmm";
import { SymbolTable } from "../../../src/debug/symbols";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, loadGuest, makeVm } from "../hypervisor/equivalence";

function context(technique: "binary-translation" | "trap-and-emulate") {
  const p = loadGuest(join(ROOT, "sample-guests/binary-translation/binary_translation.S"));
  const vm = makeVm({ technique });
  vm.load(p);
  assert.equal(vm.run(100_000).kind, "halt");
  const target = new VmTarget(vm, technique, p.symbols);
  const symbols = new SymbolTable(p.symbols);
  return { target, symbols, env: { target, symbols, convenience: new Map() } };
}

test("`tc stats` prints the translation cache's statistics alone; `tc <symbol>` adds the block, its inline CSR accesses named", () => {
  const ctx = context("binary-translation");
  const stats = tcCommand("stats", ctx);
  assert.match(stats.replace(/\n\s*/g, " "), /^translation cache at 0x2000000000: \d+ blocks in [\d.]+ KiB of 256 KiB, .* hit rate [\d.]+%; 611 CSR accesses inline$/);
  const block = tcCommand("round", ctx);
  assert.ok(block.startsWith(stats), "the same statistics on top");
  assert.match(block, /csrr a0,sscratch\s+ecall\s+inline: the vCPU's CSR file, no exit/);
  assert.match(tcCommand("stats", context("trap-and-emulate")), /but this VM runs trap-and-emulate/);
});
