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

  it("checks nested fields and leaves unknown requests and launch to their own checks", () => {
    assert.equal(checkRequestArgs("setBreakpoints", { source: { path: "a.S" }, breakpoints: [{ line: 3 }, { line: "4" }] }), "setBreakpoints: 'breakpoints[1].line' must be an integer, not \"4\"");
    assert.equal(checkRequestArgs("setBreakpoints", { source: { path: "a.S" }, breakpoints: [{ line: 3, extra: {} }] }), undefined);
    assert.equal(checkRequestArgs("launch", 5), undefined);
    assert.equal(checkRequestArgs("hyperstep/devices", 5), undefined);
  });
});
