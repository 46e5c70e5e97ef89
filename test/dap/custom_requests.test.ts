import { test } from "node:test";
import assert from "node:assert/strict";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { AddressSpacesBody, DevicesBody, ExitsBody, PageTablesBody } from "../../src/debug/custom_requests";
import { failing, guest, launch, stopAfter, withClient } from "../support/dap";

const PAGING = guest("paging.S");

async function atSDone(dc: DebugClient): Promise<void> {
  await launch(dc, PAGING);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "s_done" }] });
  await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
}

test("hyperstep/pageTables returns the guest's Sv39 tree from its satp, level by level", async () => {
  await withClient(async (dc) => {
    await launch(dc, PAGING);
    const bare = (await dc.customRequest("hyperstep/pageTables")).body as PageTablesBody;
    assert.equal(bare.technique, "native");
    assert.deepEqual(bare.trees, []);
    assert.match(bare.note ?? "", /satp is Bare/);

    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "s_done" }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    const body = (await dc.customRequest("hyperstep/pageTables")).body as PageTablesBody;
    assert.equal(body.trees.length, 1);
    const tree = body.trees[0];
    assert.deepEqual([tree.id, tree.kind, tree.mode, tree.input, tree.output, tree.active, tree.truncated], ["guest", "guest", "sv39", "va", "pa", true, false]);
    assert.equal(tree.root.addr, "0x80002000", "paging.S's pt_root");
    assert.deepEqual(tree.root.entries.map((e) => e[0]), [0, 1, 2]);
    const [, ptePointer, l1] = tree.root.entries[1];
    assert.equal(BigInt(ptePointer) & 0xffn, 1n, "root[1] is a pointer (V only)");
    assert.ok(l1 && typeof l1 === "object", "root[1] has its next-level table");
    assert.equal(l1.addr, "0x80003000");
    assert.deepEqual(l1.entries, [[0, `0x${((0x80200n << 10n) | 0xc7n).toString(16)}`]], "pt_l1[0]: a megapage to 0x80200000");
    assert.equal(tree.root.entries[0].length, 2, "a gigapage leaf has no next table");
    assert.deepEqual(body.p2m, []);
    assert.deepEqual(body.writeProtected, []);

    const cut = (await dc.customRequest("hyperstep/pageTables", { maxEntries: 2 })).body as PageTablesBody;
    assert.equal(cut.trees[0].truncated, true);
  });
});

test("hyperstep/devices decodes the UART, CLINT and PLIC", async () => {
  await withClient(async (dc) => {
    await atSDone(dc);
    const body = (await dc.customRequest("hyperstep/devices")).body as DevicesBody;
    assert.deepEqual(body.devices.map((d) => [d.id, d.base]), [["uart", "0x10000000"], ["clint", "0x2000000"], ["plic", "0xc000000"]]);
    const uart = body.devices[0];
    const lsr = uart.nodes.find((n) => n.label === "registers")?.children?.find((n) => n.label === "LSR");
    assert.equal(lsr?.value, "0x60", "THR empty and transmitter empty");
    assert.equal(uart.nodes.find((n) => n.label === "rx FIFO")?.value, "0 bytes");
    const clint = body.devices[1];
    assert.match(clint.nodes.find((n) => n.label === "mtime")?.value ?? "", /^0x[0-9a-f]+ \(\d+\)$/);
    assert.equal(clint.nodes.find((n) => n.label === "msip")?.value, "0");
    const plic = body.devices[2];
    assert.deepEqual(plic.nodes.map((n) => n.label), ["sources", "context 0 (M-mode)", "context 1 (S-mode)", "claimed"]);
  });
});

test("hyperstep/exits says plainly that native has no VMM, and checks its arguments", async () => {
  await withClient(async (dc) => {
    await atSDone(dc);
    const body = (await dc.customRequest("hyperstep/exits", { count: 10, bins: 8 })).body as ExitsBody;
    assert.equal(body.available, false);
    assert.match(body.message ?? "", /^no VMM: the guest runs natively/);
    assert.deepEqual(body.exits, []);
    assert.deepEqual(body.timeline.counts, [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(body.instret > 10);
    assert.match(await failing(dc.customRequest("hyperstep/exits", { count: -1 })), /'count' must be an integer from 0 to 1000/);
    assert.match(await failing(dc.customRequest("hyperstep/exits", { reasons: "wfi" })), /'reasons' must be an array/);
    assert.match(await failing(dc.customRequest("hyperstep/pageTables", { maxEntries: "all" })), /'maxEntries' must be an integer/);
  });
});

test("the panel requests fail while the guest runs", async () => {
  await withClient(async (dc) => {
    await launch(dc, guest("spin.S"));
    await dc.continueRequest({ threadId: 1 });
    assert.match(await failing(dc.customRequest("hyperstep/devices")), /the guest is running/);
    await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
    const body = (await dc.customRequest("hyperstep/devices")).body as DevicesBody;
    assert.equal(body.devices.length, 3);
  });
});

test("hyperstep/addressSpaces offers what the technique has: no gpa natively, and va/pa as aliases under a VMM", async () => {
  await withClient(async (dc) => {
    await launch(dc, PAGING);
    const native = (await dc.customRequest("hyperstep/addressSpaces")).body as AddressSpacesBody;
    assert.equal(native.technique, "native");
    assert.deepEqual(native.spaces.map((s) => [s.id, s.alias]), [["va", undefined], ["pa", undefined]]);
  });
  await withClient(async (dc) => {
    await launch(dc, PAGING, { technique: "trap-and-emulate" });
    const vmm = (await dc.customRequest("hyperstep/addressSpaces")).body as AddressSpacesBody;
    assert.deepEqual(vmm.spaces.map((s) => [s.id, s.alias]), [["gva", "va"], ["gpa", "pa"], ["hpa", undefined]]);
    assert.match(vmm.spaces[2].label, /host-physical/);
    // Each alias reads what its space reads.
    const read = async (ref: string) => (await dc.customRequest("readMemory", { memoryReference: ref, count: 16 })).body.data as string;
    assert.equal(await read("va:0x80000000"), await read("gva:0x80000000"));
    assert.equal(await read("pa:0x80000000"), await read("gpa:0x80000000"));
  });
});

for (const technique of ["native", "trap-and-emulate"]) {
  test(`hyperstep/devices (${technique}): a virtio buffer is a memory reference to the bytes the device wrote`, async () => {
    await withClient(async (dc) => {
      await launch(dc, guest("virtio_rng.S"), { rng: true, technique });
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "got_bytes" }] });
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const body = (await dc.customRequest("hyperstep/devices")).body as DevicesBody;
      const rng = body.devices.find((d) => d.id === "virtio7");
      assert.ok(rng, `the rng in slot 7: ${body.devices.map((d) => d.id).join(", ")}`);
      assert.equal(rng.base, "0x10008000");
      const chains = rng.nodes.find((n) => n.label === "queue 0")?.children?.find((n) => n.label === "latest used chains")?.children ?? [];
      assert.deepEqual(chains.map((c) => c.label), ["used[0] head 0, 16 B written"]);
      const [buffer] = chains[0].children ?? [];
      const space = technique === "native" ? "pa" : "gpa";
      assert.match(buffer.memoryReference ?? "", new RegExp(`^${space}:0x8[0-9a-f]{7}$`));
      assert.equal(buffer.value, `${buffer.memoryReference!.slice(space.length + 1)} 16 B ←dev`);
      const read = await dc.customRequest("readMemory", { memoryReference: buffer.memoryReference, count: 16 });
      const bytes = Buffer.from(read.body.data, "base64");
      assert.equal(bytes.length, 16);
      assert.notDeepEqual(bytes, Buffer.alloc(16, 0xee), "the device's bytes, not the guest's fill");
    });
  });
}
