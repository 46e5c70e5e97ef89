/**
 * The disassembler's API without the objdump oracle: results, targets, options, symbolization,
 * ranges over unmapped memory, robustness on arbitrary input, and speed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addressSkip,
  AddressTracker,
  createSymbolizer,
  disassemble,
  formatRange,
  parseMarch,
  renderObjdumpLine,
} from "../../../src/asm/disasm";

const PC = 0x80000000n;

test("prints objdump's aliases and operand spelling", () => {
  assert.deepEqual(disassemble(0x00a00513, PC), { length: 4, text: "li\ta0,10" });
  assert.deepEqual(disassemble(0x1141, PC), { length: 2, text: "add\tsp,sp,-16" });
  assert.equal(disassemble(0x8082, PC).text, "ret");
  assert.equal(disassemble(0x30002573, PC).text, "csrr\ta0,mstatus");
  assert.equal(disassemble(0x7c059073, PC).text, "csrw\t0x7c0,a1");
  assert.equal(disassemble(0x0ff0000f, PC).text, "fence");
  assert.equal(disassemble(0x6435c573, PC).text, "hlvx.hu\ta0,(a1)");
  assert.equal(disassemble(0x0cb5352f, PC).text, "amoswap.d.aq\ta0,a1,(a0)");
});

test("unknown encodings print as data and never throw", () => {
  assert.deepEqual(disassemble(0x0000007b, PC), { length: 4, text: ".4byte\t0x7b" });
  assert.deepEqual(disassemble(0x2000, PC, { march: "rv64imac" }), { length: 2, text: ".2byte\t0x2000" }, "c.fld needs D");
  assert.deepEqual(disassemble(0x2000, PC), { length: 2, text: "fld\tfs0,0(s0)" });
  assert.deepEqual(disassemble(0x1fn, PC), { length: 6, text: ".byte\t0x1f, 0x00, 0x00, 0x00, 0x00, 0x00" });
  assert.deepEqual(disassemble(0x3fn, PC), { length: 8, text: ".8byte\t0x3f" });
  assert.deepEqual(disassemble(0x707f, PC), { length: 2, text: ".2byte\t0x707f" });
  assert.equal(disassemble(0x1234000000000000007fn, PC).text, ".byte\t0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x34, 0x12");
  let x = 0x9e3779b9;
  for (let k = 0; k < 200000; k++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const d = disassemble(x, BigInt(x) * 2n);
    assert.ok(d.text.length > 0 && d.length % 2 === 0 && d.length <= 22);
  }
});

test("branches and jumps report their absolute target and print it symbolically", () => {
  const sym = createSymbolizer([{ name: "loop", address: PC, global: true }]);
  const d = disassemble(0xfe051ee3, PC + 0x20n, { symbolize: sym.symbolize }); // bnez a0, -4
  assert.deepEqual(d, { length: 4, text: "bnez\ta0,8000001c <loop+0x1c>", target: PC + 0x1cn });
  assert.equal(disassemble(0xbfd5, PC + 0xcn).target, PC); // c.j -12
  assert.equal(disassemble(0xbfd5, PC + 0xcn).text, "j\t80000000");
  assert.equal(disassemble(0x00a00513, PC).target, undefined);
});

test("the architecture string decides which encodings are instructions", () => {
  assert.equal(disassemble(0x0100000f, PC).text, "fence\tw,unknown");
  assert.equal(disassemble(0x0100000f, PC, { march: "rv64imac_zicsr_zihintpause" }).text, "pause");
  assert.equal(disassemble(0x6435c573, PC, { march: "rv64imac_zicsr" }).text, ".4byte\t0x6435c573");
  assert.equal(disassemble(0x1141, PC, { march: "rv64ima" }).text, ".2byte\t0x1141");
  assert.deepEqual([...parseMarch("rv64i2p1_m2p0_c2p0_zicsr2p0")].sort(), ["c", "i", "m", "zicsr"]);
  assert.ok(parseMarch("rv64gc").has("zifencei"));
});

test("CSR names follow the privileged-spec version", () => {
  assert.equal(disassemble(0x10a02573, PC).text, "csrr\ta0,senvcfg");
  assert.equal(disassemble(0x10a02573, PC, { privSpec: "1.11" }).text, "csrr\ta0,0x10a");
  assert.equal(disassemble(0x00002573, PC, { privSpec: "1.11" }).text, "csrr\ta0,ustatus");
  assert.equal(disassemble(0xc2002573, PC).text, "csrr\ta0,vl");
  assert.equal(disassemble(0x60002573, PC).text, "csrr\ta0,hstatus");
});

test("a tracker carries auipc/lui values to the instruction that completes the address", () => {
  const tracker = new AddressTracker();
  assert.equal(disassemble(0x00000517, PC, { tracker }).text, "auipc\ta0,0x0");
  assert.equal(disassemble(0x01050513, PC + 4n, { tracker }).text, "add\ta0,a0,16 # 80000010");
  assert.equal(disassemble(0x01050513, PC + 8n, { tracker }).text, "add\ta0,a0,16", "used once, then forgotten");
  assert.equal(disassemble(0x01023503, PC).text, "ld\ta0,16(tp) # 10");
  assert.equal(disassemble(0x01018513, PC, { tracker: new AddressTracker(0x80000800n) }).text, "add\ta0,gp,16 # 80000810");
});

test("symbols: nearest below, negative offset below all, ties by objdump's preference", () => {
  const sym = createSymbolizer([
    { name: "b_local", address: 0x100n },
    { name: "a_global", address: 0x100n, global: true },
    { name: "func", address: 0x100n, global: false, typed: true },
    { name: "other", address: 0x200n, global: true, section: ".data" },
    { name: "text", address: 0x200n, section: ".text" },
  ], ".text");
  assert.equal(sym.symbolize(0x100n), "func");
  assert.equal(sym.symbolize(0x180n), "func+0x80");
  assert.equal(sym.symbolize(0x80n), "func-0x80");
  assert.equal(sym.symbolize(0x208n), "text+0x8");
  assert.equal(sym.labelAt(0x200n), "text");
  assert.equal(sym.labelAt(0x100n), undefined, "no symbol of .text starts there");
  assert.equal(createSymbolizer([]).symbolize(0x100n), undefined);
});

test("ranges: objdump's columns, labels, and unmapped memory", () => {
  const bytes = [0x41, 0x11, 0x17, 0x05, 0x00, 0x00, 0x13, 0x05, 0x05, 0x01];
  const read = (a: bigint): number | undefined => bytes[Number(a - PC)];
  const sym = createSymbolizer([{ name: "_start", address: PC, global: true, section: ".text" }], ".text");
  const lines = formatRange(read, PC, PC + 12n, { symbolize: sym.symbolize, labelAt: sym.labelAt });
  assert.deepEqual(
    lines.map((l) => renderObjdumpLine(l, addressSkip(PC + 12n))),
    [
      "    80000000:\t1141                \tadd\tsp,sp,-16",
      "    80000002:\t00000517          \tauipc\ta0,0x0",
      "    80000006:\t01050513          \tadd\ta0,a0,16 # 80000012 <_start+0x12>",
      "    8000000a:\t????                \t",
    ],
  );
  assert.equal(lines[0].label, "_start");
  assert.equal(lines[3].unreadable, true);
  assert.equal(formatRange(read, PC, PC + 12n, { maxLines: 2 }).length, 2);
  assert.equal(addressSkip(0x1000n), 8);
  assert.equal(addressSkip(0xffffffff80000000n), 0);
});

test("600 instructions disassemble well under 20 ms", (t) => {
  let x = 12345;
  const bytes = new Uint8Array(8192);
  for (let k = 0; k < bytes.length; k++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[k] = x & 0xff;
  }
  const read = (a: bigint): number | undefined => bytes[Number(a - PC)];
  const sym = createSymbolizer(Array.from({ length: 100 }, (_, k) => ({ name: `f${k}`, address: PC + BigInt(64 * k), section: ".text" })), ".text");
  const run = (from: bigint): number => {
    const t0 = performance.now();
    const lines = formatRange(read, from, PC + 8000n, { maxLines: 600, symbolize: sym.symbolize, labelAt: sym.labelAt });
    assert.equal(lines.length, 600);
    return performance.now() - t0;
  };
  const first = run(PC);
  const times = Array.from({ length: 30 }, (_, k) => run(PC + BigInt(2 * k))).sort((a, b) => a - b);
  t.diagnostic(`first use ${first.toFixed(2)} ms, median ${times[15].toFixed(2)} ms, worst ${times[29].toFixed(2)} ms`);
  assert.ok(times[15] < 10, `median ${times[15].toFixed(2)} ms for 600 instructions`);
});
