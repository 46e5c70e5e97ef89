import { test } from "node:test";
import assert from "node:assert/strict";
import { CSR_FIELDS, formatField, parseFieldValue, summarize, withField } from "../../../src/isa/csr_fields";
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

/** The bits a layout names, as a mask. */
const named = (csr: string): bigint => CSR_FIELDS.get(csr)!.reduce((m, f) => m | (((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb)), 0n);

test("H CSR layouts name the bits the hart documents as writable (src/machine/hart/csr_h.ts), per the H chapter", () => {
  // hstatus: GVA SPV SPVP HU VGEIN VTVM VTW VTSR writable, plus VSBE (bit 5) and VSXL (33:32) read-only here.
  assert.equal(named("hstatus"), 0x73f3c0n | (1n << 5n) | (3n << 32n));
  assert.equal(named("hedeleg"), 0xb1ffn); // 0–8, 12, 13, 15: not the ecalls from HS/VS/M nor guest-page faults
  assert.equal(named("hideleg"), 0x444n);
  assert.equal(named("hvip"), 0x444n);
  assert.equal(named("hip"), 0x1444n); // and SGEIP
  assert.equal(named("hie"), 0x1444n);
  assert.equal(named("hgatp"), (0xfn << 60n) | (0x3fffn << 44n) | ((1n << 44n) - 1n)); // 59:58 are zero
  for (const [vs, s] of [["vsstatus", "sstatus"], ["vsatp", "satp"], ["vstvec", "stvec"], ["vscause", "scause"], ["vsie", "sie"], ["vsip", "sip"], ["hcounteren", "scounteren"]]) {
    assert.deepEqual(CSR_FIELDS.get(vs), CSR_FIELDS.get(s), vs);
  }
});

test("H CSR values read as a hypervisor author expects", () => {
  assert.equal(summarize("hgatp", (8n << 60n) | (5n << 44n) | 0x80204n), "PPN=0x80204 (table at 0x80204000) VMID=0x5 MODE=Sv39x4");
  assert.equal(summarize("hgatp", 0n), "MODE=Bare");
  assert.equal(formatField("hgatp", field("hgatp", "MODE"), 9n << 60n), "Sv48x4 (9)");
  // A trap from VS-mode into HS-mode: SPV, SPVP = VS, and GVA for a guest-virtual stval; VSXL = 64 stays quiet.
  assert.equal(summarize("hstatus", (2n << 32n) | 0x1c0n), "GVA SPV SPVP=VS");
  assert.equal(summarize("hstatus", (2n << 32n) | 0x80n), "SPV");
  assert.equal(formatField("hstatus", field("hstatus", "VSXL"), 2n << 32n), "64 (2)");
  assert.equal(parseFieldValue(field("hstatus", "SPVP"), "vu"), 0n);
  assert.equal(summarize("hedeleg", 0xb109n), "misaligned-fetch breakpoint ecall-u fetch-page-fault load-page-fault store-page-fault");
  assert.equal(summarize("hideleg", 0x444n), "VSSI VSTI VSEI");
  assert.equal(summarize("hip", 0x1040n), "VSTI SGEI");
  assert.equal(formatField("vscause", field("vscause", "Code"), 21n), "load-guest-page-fault (21)");
  assert.equal(formatField("vscause", field("vscause", "Code"), (1n << 63n) | 5n), "sti (5)");
  assert.equal(summarize("vsstatus", (2n << 32n) | 0x122n), "SIE SPIE SPP=S");
});
