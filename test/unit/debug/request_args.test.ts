import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRequestArgs } from "../../../src/debug/request_args";

describe("checkRequestArgs", () => {
  it("names arguments that are not an object, and accepts left-out arguments where nothing is required", () => {
    assert.equal(checkRequestArgs("initialize", null), "initialize: 'arguments' must be an object, not null");
    assert.equal(checkRequestArgs("scopes", [1]), "scopes: 'arguments' must be an object, not an array");
    assert.equal(checkRequestArgs("threads", undefined), undefined);
    assert.equal(checkRequestArgs("scopes", undefined), "scopes: 'frameId' is required");
  });

  it("checks nested fields, and leaves launch and the custom requests' fields to their own checks", () => {
    assert.equal(checkRequestArgs("setBreakpoints", { source: { path: "a.S" }, breakpoints: [{ line: 3 }, { line: "4" }] }), "setBreakpoints: 'breakpoints[1].line' must be an integer, not \"4\"");
    assert.equal(checkRequestArgs("setBreakpoints", { source: { path: "a.S" }, breakpoints: [{ line: 3, extra: {} }] }), undefined);
    assert.equal(checkRequestArgs("launch", 5), undefined);
    assert.equal(checkRequestArgs("hyperstep/devices", undefined), undefined);
    assert.equal(checkRequestArgs("hyperstep/exits", { count: 5 }), undefined);
  });

  it("a custom request's arguments must be an object, and the time-travel requests are checked too", () => {
    assert.equal(checkRequestArgs("hyperstep/exits", -1), "hyperstep/exits: 'arguments' must be an object, not number -1");
    assert.equal(checkRequestArgs("hyperstep/devices", 5), "hyperstep/devices: 'arguments' must be an object, not number 5");
    assert.equal(checkRequestArgs("goto", { threadId: 1, targetId: true }), "goto: 'targetId' must be an integer, not boolean true");
    assert.equal(checkRequestArgs("stepBack", {}), "stepBack: 'threadId' is required");
    assert.equal(checkRequestArgs("reverseContinue", { threadId: 1.5 }), "reverseContinue: 'threadId' must be an integer, not number 1.5");
    assert.equal(checkRequestArgs("gotoTargets", { source: {}, line: -1 }), "gotoTargets: 'line' must be between 0 and 9007199254740991, not -1");
  });
});
