import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runningStatus, stoppedStatus } from "../../../src/extension/status_text";

describe("the session's status bar text", () => {
  it("names the technique, the privilege mode and the instructions retired, grouped", () => {
    const s = stoppedStatus({ technique: "native", priv: "3", instret: "1234567" });
    assert.equal(s.text, "$(debug-pause) native · M-mode · 1,234,567 instr");
    assert.match(s.tooltip, /Technique native, M-mode, 1,234,567 instructions retired/);
    assert.equal(stoppedStatus({ technique: "trap-and-emulate", priv: "0", instret: "0" }).text, "$(debug-pause) trap-and-emulate · U-mode · 0 instr");
    assert.match(stoppedStatus({ technique: "native", priv: "1", instret: "5" }).text, /S-mode/);
  });

  it("counts VM exits under a VMM, and says nothing of exits natively", () => {
    const s = stoppedStatus({ technique: "trap-and-emulate", priv: "1", instret: "104", exits: 1234 });
    assert.equal(s.text, "$(debug-pause) trap-and-emulate · S-mode · 104 instr · 1,234 exits");
    assert.match(s.tooltip, /104 instructions retired, 1,234 VM exits\./);
    assert.doesNotMatch(stoppedStatus({ technique: "native", priv: "3", instret: "5" }).text, /exits/);
  });

  it("says how far back time travel reaches, or, in the past, how far ahead the present is", () => {
    const now = stoppedStatus({ technique: "native", priv: "3", instret: "50", history: { oldest: 0, position: 1200, newest: 1200 } });
    assert.equal(now.text, "$(debug-pause) native · M-mode · 50 instr · $(history) 1,200 steps back");
    assert.match(now.tooltip, /reaches back to step 0, 1,200 steps back from here\./);
    const past = stoppedStatus({ technique: "native", priv: "3", instret: "5", history: { oldest: 100, position: 300, newest: 2300 } });
    assert.equal(past.text, "$(debug-pause) native · M-mode · 5 instr · $(history) past: 2,000 steps ahead");
    assert.match(past.tooltip, /reaches back to step 100; the guest is at step 300, in its past \(the present is step 2,300\)\./);
    assert.doesNotMatch(stoppedStatus({ technique: "native", priv: "3", instret: "5" }).text, /history/);
    assert.match(stoppedStatus({ technique: "native", priv: "3", instret: "5", history: { oldest: 0, position: 9, newest: 10 } }).text, /past: 1 step ahead$/);
  });

  it("shows values it cannot decode as they came", () => {
    assert.equal(stoppedStatus({ technique: "native", priv: "2", instret: "0x10" }).text, "$(debug-pause) native · privilege 2 · 0x10 instr");
  });

  it("says when the guest runs", () => {
    assert.equal(runningStatus("native").text, "$(debug-start) native · running");
  });
});
