import assert from "node:assert/strict";
import { test } from "node:test";
import { INSTRUCTIONS } from "../../../../src/isa/instructions";
import { decodeInto } from "../../../../src/machine/hart/decode";
import { Op } from "../../../../src/machine/hart/ops";
import { EBREAK, boot, runToTrap } from "./harness";
import { ins, li } from "./encode";

const out = new Int32Array(2);
const fields = (w: number) => ({ op: w & 127, rd: (w >>> 7) & 127, rs1: (w >>> 14) & 127, rs2: (w >>> 21) & 127, len: w >>> 28 });

test("every table instruction decodes: fast ops by name, privileged/atomic/CSR/H/F/D out of line, dret illegal", () => {
  for (const s of INSTRUCTIONS) {
    const bits = (s.match | (s.mask & (31 << 7) ? 0 : 7 << 7)) >>> 0; // rd = x7 where rd is free
    decodeInto(bits, 4, out, 0);
    const f = fields(out[0]);
    assert.equal(f.len, 4, s.name);
    if (s.ext === "Sdext") assert.equal(f.op, Op.Illegal, s.name); // no debug mode on this hart, as on QEMU 7.2
    else if (["A", "F", "D", "Zicsr", "Zifencei", "Priv", "H"].includes(s.ext) || ["ecall", "ebreak"].includes(s.name)) assert.equal(f.op, Op.Slow, s.name);
    else assert.ok(f.op > Op.Illegal && f.op < Op.Slow, s.name);
  }
});

test("decoded fields: doubled register numbers, x0 as destination goes to the scratch pair", () => {
  decodeInto(ins("add", 5, 6, 7), 4, out, 0);
  assert.deepEqual(fields(out[0]), { op: Op.Add, rd: 10, rs1: 12, rs2: 14, len: 4 });
  decodeInto(ins("addi", 0, 1, -5), 4, out, 0);
  const f = fields(out[0]);
  assert.deepEqual([f.op, f.rd, f.rs1], [Op.Addi, 64, 2]);
  assert.equal(out[1], -5);
  decodeInto(ins("srai", 1, 2, 63), 4, out, 0);
  assert.equal(out[1], 63);
  decodeInto(0x8d0d, 2, out, 0); // c.sub a0, a1
  assert.deepEqual(fields(out[0]), { op: Op.Sub, rd: 20, rs1: 20, rs2: 22, len: 2 });
  decodeInto(0x0000, 2, out, 0);
  assert.equal(fields(out[0]).op, Op.Illegal);
});

test("compressed code runs: c.li, c.addi, c.add, c.bnez loop, c.mv", () => {
  // c.li a0,0 ; c.li a1,5 ; loop: c.add a0,a1 ; c.addi a1,-1 ; c.bnez a1,loop ; c.mv a2,a0 ; ebreak
  const b = boot([{ c: 0x4501 }, { c: 0x4595 }, { c: 0x952e }, { c: 0x15fd }, { c: 0xfdf5 }, { c: 0x862a }, EBREAK]);
  b.hart.onTrap = () => true;
  b.run(100);
  assert.equal(b.hart.getReg(12), 15n);
});

test("H-extension and F/D instructions raise illegal instruction with the bits as tval", () => {
  for (const bits of [ins("hfence.gvma", 0, 0), ins("hlv.d", 5, 6), ins("hsv.w", 5, 6), 0x0000_3007 /* fld */, 0x0000_2053 /* fadd.s */]) {
    const b = boot([bits]);
    const t = runToTrap(b);
    assert.deepEqual([t.cause, t.tval], [2n, BigInt(bits >>> 0)]);
  }
  const b = boot([{ c: 0x2000 } /* c.fld */, { c: 0 }]);
  const t = runToTrap(b);
  assert.deepEqual([t.cause, t.tval], [2n, 0x2000n]);
  const z = runToTrap(boot([...li(1, 0n), { c: 0 }]));
  assert.deepEqual([z.cause, z.tval], [2n, 0n]);
});
