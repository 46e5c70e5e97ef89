import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseGdbAddress } from "../../../src/gdb/address";

describe("--gdb addresses (QEMU's -gdb syntax)", () => {
  it("tcp::PORT, tcp:127.0.0.1:PORT, tcp:localhost:PORT and a bare port all listen on the loopback", () => {
    for (const text of ["tcp::1234", "tcp:127.0.0.1:1234", "tcp:localhost:1234", "1234"]) {
      assert.deepEqual(parseGdbAddress(text), { host: "127.0.0.1", port: 1234 }, text);
    }
    assert.deepEqual(parseGdbAddress("tcp::0"), { host: "127.0.0.1", port: 0 });
  });

  it("another host is refused, since whoever reaches the port controls the guest", () => {
    assert.match(String(parseGdbAddress("tcp:0.0.0.0:1234")), /listens on 127\.0\.0\.1 only/);
  });

  it("anything else, and ports beyond 65535, are refused with the expected syntax", () => {
    assert.match(String(parseGdbAddress("udp::1234")), /is not tcp::PORT/);
    assert.match(String(parseGdbAddress("tcp::")), /is not tcp::PORT/);
    assert.match(String(parseGdbAddress("tcp::70000")), /beyond 65535/);
  });
});
