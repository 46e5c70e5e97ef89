import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { Htif, type HtifHost } from "../../../../../src/machine/devices/htif/model";
import { Bus } from "../../../../../src/machine/bus";
import { Ram } from "../../../../../src/machine/memory";

const TOHOST = 0x8000_1000;
const FROMHOST = 0x8000_1040;

/** A stand-in for the board: RAM, one write watch, halts recorded. Stores land before the watch fires. */
class FakeHost implements HtifHost {
  readonly ram = new Ram(0x8000_0000, 0x2000);
  readonly bus = new Bus(this.ram);
  readonly halts: [number, string][] = [];
  private watch: ((pa: number, value: bigint, width: number) => void) | undefined;
  watchWrites(_pa: number, _len: number, cb: (pa: number, value: bigint, width: number) => void) {
    this.watch = cb;
    return () => (this.watch = undefined);
  }
  halt(code: number, how: "finisher" | "htif") {
    this.halts.push([code, how]);
  }
  store(pa: number, width: 4 | 8, value: bigint) {
    const o = pa - this.ram.base;
    if (width === 8) this.ram.view.setBigUint64(o, value, true);
    else this.ram.view.setUint32(o, Number(value), true);
    if (pa < TOHOST + 8 && pa + width > TOHOST) this.watch?.(pa, value, width);
  }
  word(pa: number) {
    return this.ram.view.getBigUint64(pa - this.ram.base, true);
  }
}

describe("HTIF (tohost/fromhost)", () => {
  let host: FakeHost;
  let out: number[];
  let htif: Htif;
  beforeEach(() => {
    host = new FakeHost();
    out = [];
    htif = new Htif(host, TOHOST, FROMHOST, { write: (b) => out.push(b) });
  });

  it("exits with payload >> 1 when the payload is odd", () => {
    host.store(TOHOST, 8, (42n << 1n) | 1n);
    assert.deepEqual(host.halts, [[42, "htif"]]);
    assert.equal(host.word(TOHOST), 0n, "the host clears tohost");
  });

  it("takes a riscv-tests exit made of two 32-bit stores when the high word is written", () => {
    host.store(TOHOST, 4, 1n);
    assert.deepEqual(host.halts, [], "low word alone: wait for the high word");
    host.store(TOHOST + 4, 4, 0n);
    assert.deepEqual(host.halts, [[0, "htif"]], "TESTNUM 1 = pass");
  });

  it("writes console bytes (device 1, command 1) and acknowledges in fromhost", () => {
    for (const c of Buffer.from("ok")) {
      host.store(TOHOST, 8, (1n << 56n) | (1n << 48n) | BigInt(c));
      assert.equal(host.word(TOHOST), 0n);
      assert.equal(host.word(FROMHOST), (1n << 56n) | (1n << 48n) | 0x100n | BigInt(c));
      host.ram.view.setBigUint64(FROMHOST - host.ram.base, 0n, true); // the guest consumes the ack
    }
    assert.equal(Buffer.from(out).toString(), "ok");
    assert.deepEqual(host.halts, []);
    assert.equal(htif.state().consoleBytes, 2);
  });

  it("clears and counts commands it does not implement, without halting", () => {
    host.store(TOHOST, 8, 0x8000_0100n); // device 0, even payload: a syscall-proxy pointer
    host.store(TOHOST, 8, (1n << 56n) | 0n); // console read
    assert.deepEqual(host.halts, []);
    assert.equal(host.word(TOHOST), 0n);
    assert.equal(htif.state().unsupportedCommands, 2);
  });

  it("stops watching when detached", () => {
    htif.detach();
    host.store(TOHOST, 8, 3n);
    assert.deepEqual(host.halts, []);
  });
});
