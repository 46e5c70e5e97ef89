import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sbiCall, type SbiPlatform } from "../../../src/hypervisor/sbi";

function platform(input: number[] = []) {
  const out: number[] = [];
  const timers: bigint[] = [];
  const halts: number[] = [];
  const ram = new TextEncoder().encode("hi there");
  const p: SbiPlatform = {
    putchar: (b) => out.push(b),
    getchar: () => input.shift() ?? -1,
    setTimer: (t) => timers.push(t),
    shutdown: (c) => halts.push(c),
    readGuest: (gpa, n) => (gpa >= 0x80001000 && gpa + n <= 0x80001000 + ram.length ? ram.subarray(gpa - 0x80001000, gpa - 0x80001000 + n) : null),
  };
  return { p, out, timers, halts };
}

const call = (eid: number | bigint, fid: number, ...args: bigint[]) => ({ eid: BigInt(eid), fid: BigInt(fid), args: [...args, 0n, 0n, 0n, 0n, 0n, 0n] });
const NOT_SUPPORTED = BigInt.asUintN(64, -2n);

describe("SBI", () => {
  it("writes the console through the legacy call and DBCN", () => {
    const { p, out } = platform();
    assert.equal(sbiCall(call(0x01, 0, 0x41n), p).a0, 0n);
    const r = sbiCall(call(0x4442434e, 0, 2n, 0x80001000n, 0n), p);
    assert.deepEqual([r.a0, r.a1], [0n, 2n]);
    sbiCall(call(0x4442434e, 2, 0x21n), p);
    assert.equal(String.fromCharCode(...out), "Ahi!");
  });

  it("rejects a DBCN buffer outside guest RAM", () => {
    const { p, out } = platform();
    assert.equal(sbiCall(call(0x4442434e, 0, 4n, 0x10000000n, 0n), p).a0, BigInt.asUintN(64, -3n));
    assert.equal(out.length, 0);
  });

  it("reads the console, -1 when nothing waits", () => {
    const { p } = platform([0x78]);
    assert.equal(sbiCall(call(0x02, 0), p).a0, 0x78n);
    assert.equal(sbiCall(call(0x02, 0), p).a0, BigInt.asUintN(64, -1n));
  });

  it("programs the timer through TIME and the legacy call", () => {
    const { p, timers } = platform();
    sbiCall(call(0x54494d45, 0, 1234n), p);
    sbiCall(call(0x00, 0, 99n), p);
    assert.deepEqual(timers, [1234n, 99n]);
  });

  it("shuts down, with code 1 for a system-failure reset", () => {
    const a = platform();
    assert.equal(sbiCall(call(0x53525354, 0, 0n, 0n), a.p).halted, true);
    const b = platform();
    sbiCall(call(0x53525354, 0, 0n, 1n), b.p);
    const c = platform();
    sbiCall(call(0x08, 0), c.p);
    assert.deepEqual([a.halts, b.halts, c.halts], [[0], [1], [0]]);
  });

  it("answers BASE probes for exactly the extensions it has", () => {
    const { p } = platform();
    assert.equal(sbiCall(call(0x10, 0), p).a1, 2n << 24n);
    assert.equal(sbiCall(call(0x10, 3, 0x54494d45n), p).a1, 1n);
    assert.equal(sbiCall(call(0x10, 3, 0x48534dn), p).a1, 0n);
  });

  it("returns NOT_SUPPORTED for unknown extensions and functions", () => {
    const { p } = platform();
    assert.equal(sbiCall(call(0x48534d, 0), p).a0, NOT_SUPPORTED);
    assert.equal(sbiCall(call(0x54494d45, 7), p).a0, NOT_SUPPORTED);
    assert.equal(sbiCall(call(0x4442434e, 1), p).a0, NOT_SUPPORTED);
  });
});
