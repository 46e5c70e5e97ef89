import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryUriParts, parseMemoryAddress } from "../../../src/extension/panels/memory_address";

test("Open Memory at Address accepts every address space, and says what is wrong otherwise", () => {
  assert.deepEqual(parseMemoryAddress("gva:0x80001000"), { ok: true, memoryReference: "gva:0x80001000" });
  assert.deepEqual(parseMemoryAddress(" GPA 0x8000_0000 "), { ok: true, memoryReference: "gpa:0x80000000" });
  assert.deepEqual(parseMemoryAddress("hpa:4096"), { ok: true, memoryReference: "hpa:0x1000" });
  assert.deepEqual(parseMemoryAddress("0x40000000"), { ok: true, memoryReference: "va:0x40000000" });
  assert.deepEqual(parseMemoryAddress("pa:0x80000000"), { ok: true, memoryReference: "pa:0x80000000" });
  assert.match((parseMemoryAddress("gxa:0x1000") as { message: string }).message, /'gxa' is not an address space: use va, pa, gva, gpa, hpa/);
  assert.match((parseMemoryAddress("gva:sp+8") as { message: string }).message, /is not an address/);
  assert.match((parseMemoryAddress("0x10000000000000000") as { message: string }).message, /does not fit in 64 bits/);
});

test("the memory URI has the form VS Code's debug memory file system reads", () => {
  assert.deepEqual(memoryUriParts("sess-1", "gpa:0x80000000", { from: 0, to: 16 }), {
    scheme: "vscode-debug-memory", authority: "sess-1", path: "/gpa%3A0x80000000/gpa-0x80000000.bin", query: "?range=0:16",
  });
  assert.equal(memoryUriParts("s", "va:0x0").query, "");
});
