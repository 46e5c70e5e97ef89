import assert from "node:assert/strict";
import { it } from "node:test";
import { stoppedStatus } from "../../../src/extension/status_text";

it("the status bar names HS, VS and VU on a hart with the H extension ($virt), and S as before without", () => {
  const mode = (priv: string, virt?: string) => stoppedStatus({ technique: "native", priv, virt, instret: "7" }).text.split(" · ")[1];
  assert.equal(mode("1", "1"), "VS-mode");
  assert.equal(mode("0", "1"), "VU-mode");
  assert.equal(mode("1", "0"), "HS-mode");
  assert.equal(mode("3", "0"), "M-mode");
  assert.equal(mode("1"), "S-mode");
  assert.match(stoppedStatus({ technique: "native", priv: "1", virt: "1", instret: "7" }).tooltip, /Technique native, VS-mode, 7 instructions/);
});
