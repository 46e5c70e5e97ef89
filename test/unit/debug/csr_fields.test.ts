import { test } from "node:test";
import assert from "node:assert/strict";
import { CSR_FIELDS, formatField, parseFieldValue, summarize, withField } from "../../../src/debug/csr_fields";
import { csrByName } from "../../../src/isa/csrs";

const field = (csr: string, name: string) => CSR_FIELDS.get(csr)!.find((f) => f.name === name)!;

test("every decoded CSR exists in the ISA table, and its fields do not overlap", () => {
  for (const [name, fields] of CSR_FIELDS) {
    assert.ok(csrByName(name), name);
    let used = 0n;
    for (const f of fields) {
      const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
      assert.equal(used & mask, 0n, `${name}.${f.name} overlaps`);
      assert.ok(f.lsb + f.width <= 64, `${name}.${f.name} fits in 64 bits`);
      used |= mask;
    }
  }
});

test("fields read as the user expects", () => {
  assert.equal(formatField("mstatus", field("mstatus", "MPP"), 0x800n), "S (1)");
  assert.equal(formatField("mstatus", field("mstatus", "MPP"), 0x1800n), "M (3)");
  assert.equal(formatField("mcause", field("mcause", "Code"), 13n), "load-page-fault (13)");
  assert.equal(formatField("mcause", field("mcause", "Code"), (1n << 63n) | 7n), "mti (7)");
  assert.equal(formatField("satp", field("satp", "MODE"), 8n << 60n), "Sv39 (8)");
  assert.equal(formatField("mtvec", field("mtvec", "BASE"), 0x80000101n), "0x80000100");
  assert.equal(summarize("mstatus", 0xa00001888n), "MIE MPIE SPP=U MPP=M");
  assert.equal(summarize("satp", 0n), "MODE=Bare");
});

test("fields are written without touching their neighbours, and take value names", () => {
  const mpp = field("mstatus", "MPP");
  assert.equal(withField(0x1888n, mpp, 1n), 0x888n);
  assert.equal(parseFieldValue(mpp, "s"), 1n);
  assert.equal(parseFieldValue(field("mtvec", "MODE"), "Vectored"), 1n);
  assert.equal(parseFieldValue(mpp, "2"), undefined, "numbers go through the expression evaluator");
});
