import { test } from "node:test";
import assert from "node:assert/strict";
import { pageTablesBody, type WireTable } from "../../../src/debug/custom_requests";
import { readPageTable } from "../../../src/target/inspect";
import type { Target } from "../../../src/target/target";
import { Clint } from "../../../src/machine/devices/clint/model";
import { Plic } from "../../../src/machine/devices/plic/model";
import { Uart16550 } from "../../../src/machine/devices/uart16550/model";

test("readPageTable reads valid entries depth first, follows pointers, and stops at the limit", () => {
  const mem = new Map<bigint, bigint>([
    [0x1000n + 8n, (0x2000n >> 12n) << 10n | 1n], // root[1] → 0x2000
    [0x1000n + 16n, (0x80000000n >> 12n) << 10n | 0xcfn], // root[2]: gigapage
    [0x1000n + 24n, 0xcen], // root[3]: not valid
    [0x2000n, (0x3000n >> 12n) << 10n | 1n], // → 0x3000
    ...Array.from({ length: 5 }, (_, i): [bigint, bigint] => [0x3000n + BigInt(i * 8), ((0x80100000n + BigInt(i) * 4096n) >> 12n) << 10n | 0xc7n]),
  ]);
  const { root, truncated } = readPageTable(0x1000n, "sv39", (a) => mem.get(a) ?? 0n);
  assert.equal(truncated, false);
  assert.deepEqual(root.entries.map((e) => e.index), [1, 2]);
  assert.equal(root.entries[0].next?.entries[0].next?.entries.length, 5);
  assert.equal(root.entries[1].next, undefined);
  const cut = readPageTable(0x1000n, "sv39", (a) => mem.get(a) ?? 0n, 4);
  assert.equal(cut.truncated, true);
  const reads: bigint[] = [];
  readPageTable(0x10000n, "sv39x4", (a) => (reads.push(a), 0n));
  assert.equal(reads.length, 2048, "an Sv39x4 root has 2048 entries");

  const target = { technique: "trap-and-emulate", pageTableTrees: () => ({ trees: [{ id: "guest", kind: "guest", label: "g", mode: "sv39", input: "gva", output: "gpa", tableSpace: "gpa", root, active: true, truncated }], p2m: [{ gpa: 0x80000000n, hpa: 0x88000000n, size: 1n << 27n }], writeProtected: [0x1000n] }) } as unknown as Target;
  const body = pageTablesBody(target, {});
  assert.ok(!("unchanged" in body));
  assert.match(body.version, /^[0-9a-f]{8}$/);
  assert.deepEqual(pageTablesBody(target, { unlessVersion: body.version }), { technique: "trap-and-emulate", version: body.version, unchanged: true });
  assert.ok("trees" in pageTablesBody(target, { unlessVersion: "00000000" }));
  assert.deepEqual(body.p2m, [{ gpa: "0x80000000", hpa: "0x88000000", size: "0x8000000" }]);
  assert.deepEqual(body.writeProtected, ["0x1000"]);
  assert.deepEqual(body.trees[0].root.entries[1], [2, "0x200000cf"]);
  const l1 = body.trees[0].root.entries[0][2] as WireTable;
  assert.equal(l1.addr, "0x2000");
  // The five consecutive leaves of a linear mapping travel as one run.
  assert.deepEqual((l1.entries[0][2] as WireTable).entries, [[0, `0x${(((0x80100000n >> 12n) << 10n) | 0xc7n).toString(16)}`, 5]]);
});

test("device views decode the UART, CLINT and PLIC registers", () => {
  const plic = new Plic([{ set: () => {} }, { set: () => {} }]);
  const uart = new Uart16550(plic.source(10), { write: () => {} });
  uart.write(3, 1, 0x03); // 8N1
  uart.write(1, 1, 0x01); // rx data interrupt
  plic.write(4 * 10, 4, 3);
  plic.write(0x2000, 4, 1 << 10);
  const u = uart.view();
  const regs = u.nodes[0].children!;
  assert.equal(regs.find((n) => n.label === "LCR")?.children?.[0].value, "8N1");
  assert.equal(regs.find((n) => n.label === "IER")?.children?.[0].value, "yes");
  let retired = 2500;
  const clint = new Clint(() => retired, 100, () => {});
  clint.mtimecmp = 30n;
  assert.deepEqual(clint.view().nodes.map((n) => n.value), ["0x19 (25)", "0x1e (30)", "no", "0"]);
  retired = 3000;
  assert.equal(clint.view().nodes[2].value, "yes");
  const p = plic.view();
  assert.equal(p.nodes[0].children?.[0].label, "source 10 (UART)");
  assert.equal(p.nodes[0].children?.[0].value, "priority 3");
  assert.equal(p.nodes[1].children?.find((n) => n.label === "enabled")?.value, "10");
});
