import assert from "node:assert/strict";
import { test } from "node:test";
import { buildGuests, elfPath } from "./guests";
import { runQemu } from "./qemu";
import { parseTrace, readTrace, TraceFormatError, type TraceRecord } from "./trace";

const regs = (f: (i: number) => string) =>
  Array.from({ length: 8 }, (_, l) => Array.from({ length: 4 }, (_, j) => {
    const i = 4 * l + j;
    return ` x${i}/r${i}`.padEnd(10) + f(i);
  }).join("")).join("\n");

const record = (pc: string, x: (i: number) => string) => ` pc       ${pc}
 mhartid  0000000000000000
 mstatus  0000000a00001800
 mcause   8000000000000007
${regs(x)}
`;

test("parses pc, CSRs and all 32 GPRs of each record", () => {
  const recs = parseTrace(record("0000000080000000", () => "0000000000000000") +
    record("0000000080000004", (i) => i.toString(16).padStart(16, "0")));
  assert.equal(recs.length, 2);
  assert.equal(recs[1]!.pc, 0x80000004n);
  assert.equal(recs[1]!.csr.get("mstatus"), 0xa00001800n);
  assert.equal(recs[1]!.csr.get("mcause"), 0x8000000000000007n);
  assert.deepEqual(recs[1]!.x, Array.from({ length: 32 }, (_, i) => BigInt(i)));
});

test("accepts the V line of harts with H, and drops a record cut short", () => {
  const text = " V      =   0\n" + record("0000000000001000", () => "0000000000000001") + " pc       0000000000001004\n x0/zero  0";
  const recs = parseTrace(text);
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.x[31], 1n);
});

test("rejects malformed values and out-of-order registers", () => {
  assert.throws(() => parseTrace(" pc       zz\n"), TraceFormatError);
  assert.throws(() => parseTrace(" pc       0000000000001000\n x1/ra    0000000000000000\n"), /expected x0/);
});

test("reads a real QEMU trace: the reset ROM first, then the ELF entry with a0 = 0", async () => {
  buildGuests();
  const recs: TraceRecord[] = [];
  const run = await runQemu(elfPath("rv64i"), {
    onTrace: async (t) => {
      for await (const r of readTrace(t)) recs.push(r);
    },
  });
  assert.equal(run.exitCode, 0);
  // QEMU 7.2's reset ROM is 6 instructions (auipc, addi, csrr mhartid, ld, ld, jr), then the entry.
  assert.deepEqual(recs.slice(0, 6).map((r) => r.pc), [0x1000n, 0x1004n, 0x1008n, 0x100cn, 0x1010n, 0x1014n]);
  assert.equal(recs[6]!.pc, 0x80000000n);
  assert.equal(recs[6]!.x[10], 0n);
  assert.equal(recs[6]!.x[5], 0x80000000n);
  assert.ok(recs.length > 200, `only ${recs.length} records`);
  assert.ok(recs.every((r) => r.csr.size === 17 && r.x.length === 32));
});
