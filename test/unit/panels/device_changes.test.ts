import { test } from "node:test";
import assert from "node:assert/strict";
import type { WireDevice } from "../../../src/debug/custom_requests";
import { markChanges } from "../../../src/extension/panels/device_changes";
import { deviceNodeCommand, OPEN_MEMORY_COMMAND } from "../../../src/extension/panels/device_links";

const uart = (lsr: string, fifo: string[]): WireDevice => ({
  id: "uart", label: "UART", base: "0x10000000",
  nodes: [
    { label: "registers", children: [{ label: "LSR", value: lsr }, { label: "IER", value: "0x00" }] },
    { label: "rx FIFO", value: `${fifo.length} bytes`, children: fifo.map((v, i) => ({ label: `[${i}]`, value: v })) },
  ],
});

test("the first stop marks nothing; later stops mark changed values and the groups above them", () => {
  const first = markChanges([uart("0x60", [])], undefined);
  const flat = (n: { changed: boolean; changedBelow: boolean; key: string; children: unknown[] }[]): string[] =>
    n.flatMap((x) => [...(x.changed ? [`${x.key}*`] : x.changedBelow ? [`${x.key}+`] : []), ...flat(x.children as never)]);
  assert.deepEqual(flat(first.roots), []);
  const second = markChanges([uart("0x61", ["'a'"])], first.snapshot);
  assert.deepEqual(flat(second.roots), ["uart+", "uart/registers+", "uart/registers/LSR*", "uart/rx FIFO*", "uart/rx FIFO/[0]*"]);
  const third = markChanges([uart("0x61", ["'a'"])], second.snapshot);
  assert.deepEqual(flat(third.roots), [], "nothing changed since the previous stop");
});

test("a device that appears later is not all marked as changed", () => {
  const first = markChanges([uart("0x60", [])], undefined);
  const virtio: WireDevice = { id: "virtio0", label: "virtio", base: "0x10001000", nodes: [{ label: "status", value: "0x0" }] };
  const second = markChanges([uart("0x60", []), virtio], first.snapshot);
  assert.equal(second.roots[1].changedBelow, false);
  assert.equal(second.roots[0].value, "@ 0x10000000");
});

test("a line about memory keeps its reference, and clicking it opens the Memory panel there; other lines run nothing", () => {
  const virtio: WireDevice = {
    id: "virtio7", label: "virtio-mmio 7: rng", base: "0x10008000",
    nodes: [{ label: "used[0] head 0, 32 B written", value: "0x80001000 32 B ←dev", children: [{ label: "buffer 0", value: "0x80001000 32 B ←dev", memoryReference: "gpa:0x80001000" }] }],
  };
  const [root] = markChanges([virtio], undefined).roots;
  const chain = root.children[0];
  const buffer = chain.children[0];
  assert.equal(buffer.memoryReference, "gpa:0x80001000");
  assert.deepEqual(deviceNodeCommand(buffer), { command: OPEN_MEMORY_COMMAND, title: "Open Memory at gpa:0x80001000", arguments: ["gpa:0x80001000"] });
  assert.equal(deviceNodeCommand(chain), undefined);
  assert.equal(deviceNodeCommand(root), undefined);
});
