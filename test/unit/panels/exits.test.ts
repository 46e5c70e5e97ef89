import { test } from "node:test";
import assert from "node:assert/strict";
import { endedBody, exitsBody, timeline } from "../../../src/debug/custom_requests";
import type { ExitLogSnapshot, ExitRecordView } from "../../../src/target/inspect";
import type { Target } from "../../../src/target/target";
import { endedExits, grouped, reasonRows, timelineBars } from "../../../src/webview/model/exits";

const record = (seq: number, reason: string, instret: number): ExitRecordView => ({
  seq, vcpu: 0, pc: 0x80000000n + BigInt(seq * 4), priv: 1, instret: BigInt(instret), reason, instruction: { mnemonic: "csrrw" },
  details: { csr: "satp", newValue: 0x8000000000080002n, width: 8 }, action: "emulated", cycles: 650,
});

function vmTarget(log: ExitLogSnapshot | undefined, technique: Target["technique"] = "trap-and-emulate"): Target {
  return { technique, instret: 1000n, priv: 1, exitLog: () => log } as unknown as Target;
}

const log: ExitLogSnapshot = {
  reasons: [{ id: "csr-write", label: "CSR write", description: "d1" }, { id: "wfi", label: "wfi", description: "d2" }, { id: "hidden-page-fault", label: "hidden page fault", description: "d3" }],
  records: [record(1, "csr-write", 10), record(2, "hidden-page-fault", 20), record(3, "hidden-page-fault", 990), record(4, "csr-write", 995)],
  stats: [{ reason: "csr-write", count: 7, cycles: 4550 }, { reason: "hidden-page-fault", count: 2, cycles: 3000 }],
  dropped: 5,
};

test("hyperstep/exits pages the log newest first, filters by reason, and keeps the totals unfiltered", () => {
  const all = exitsBody(vmTarget(log), { count: 3, bins: 4 });
  assert.equal(all.available, true);
  assert.deepEqual(all.exits.map((e) => e.seq), [4, 3, 2]);
  assert.equal(all.total, 4);
  assert.equal(all.dropped, 5);
  assert.deepEqual(all.exits[0].details, { csr: "satp", newValue: "0x8000000000080002", width: 8 });
  assert.equal(all.exits[0].pc, "0x80000010");
  assert.equal(all.exits[0].mnemonic, "csrrw");
  assert.deepEqual(all.reasons.map((r) => [r.id, r.count, r.cycles]), [["csr-write", 7, 4550], ["wfi", 0, 0], ["hidden-page-fault", 2, 3000]]);
  assert.deepEqual(all.timeline, { from: 0, to: 1000, counts: [2, 0, 0, 2] });
  const faults = exitsBody(vmTarget(log), { reasons: ["hidden-page-fault"], start: 1 });
  assert.deepEqual(faults.exits.map((e) => e.seq), [2]);
  assert.equal(faults.total, 2);
  assert.deepEqual(faults.timeline.counts.reduce((a, b) => a + b), 2);
});

test("without a VMM the answer says so, and nothing else is invented", () => {
  const body = exitsBody(vmTarget(undefined, "native"), {});
  assert.equal(body.available, false);
  assert.match(body.message ?? "", /^no VMM: the guest runs natively \(launch with "technique" "trap-and-emulate", "hardware-assisted", "binary-translation" or "paravirtual" to see exits\)$/);
  assert.equal(body.timeline.counts.length, 120);
  assert.equal(body.priv, 1);
});

test("the timeline bins by retired instructions and its bars scale to the busiest slice", () => {
  assert.deepEqual(timeline([{ instret: 0n }, { instret: 99n }, { instret: 100n }, { instret: 5000n }], 100, 2), [1, 3]);
  assert.deepEqual(timelineBars([0, 1, 50, 100], 40), [0, 1, 20, 40]);
  assert.deepEqual(timelineBars([0, 0], 40), [0, 0]);
});

test("reason rows put the most frequent first, with their share", () => {
  const rows = reasonRows({ reasons: [{ id: "a", label: "A", description: "", count: 1, cycles: 650 }, { id: "b", label: "B", description: "", count: 3, cycles: 4500 }, { id: "c", label: "C", description: "", count: 0, cycles: 0 }] });
  assert.deepEqual(rows.map((r) => [r.id, r.share]), [["b", 0.75], ["a", 0.25], ["c", 0]]);
  assert.equal(grouped(1234567), "1,234,567");
});

test("an ended session's exits, filtered in the extension, are what the adapter would have answered", () => {
  const target = vmTarget(log);
  const ended = endedBody(target)!;
  assert.deepEqual(Object.keys(ended.timelines).sort(), ["csr-write", "hidden-page-fault"], "a timeline for each reason that occurred");
  for (const reasons of [[], ["csr-write"], ["hidden-page-fault"], ["csr-write", "hidden-page-fault"], ["wfi"]]) {
    const live = exitsBody(target, { reasons, count: 1000 });
    assert.deepEqual(endedExits(ended, reasons), live, `filter ${reasons.join(",") || "none"}`);
  }
  assert.equal(endedBody(vmTarget(undefined, "native")), undefined, "no VMM, no exit log to keep");
});
