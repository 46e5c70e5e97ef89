import assert from "node:assert/strict";
import { test } from "node:test";
import { CSR_FIELDS, summarize } from "../../../src/isa/csr_fields";

const hFields = (csr: string) => CSR_FIELDS.get(csr)!.filter((f) => f.h).map((f) => f.name);

test("the fields the H extension adds to M-mode CSRs are marked as needing it, in bit order", () => {
  assert.deepEqual(hFields("mstatus"), ["GVA", "MPV"]);
  assert.deepEqual(hFields("medeleg"), ["ecall-vs", "fetch-guest-page-fault", "load-guest-page-fault", "virtual-instruction", "store-guest-page-fault"]);
  assert.deepEqual(hFields("mie"), ["VSSI", "VSTI", "VSEI", "SGEI"]);
  assert.deepEqual(hFields("mip"), ["VSSI", "VSTI", "VSEI", "SGEI"]);
  assert.deepEqual(hFields("mideleg"), ["VSSI", "VSTI", "VSEI"]);
  assert.deepEqual(hFields("sstatus"), []);
  for (const csr of ["mstatus", "medeleg", "mie", "mideleg"]) {
    const lsbs = CSR_FIELDS.get(csr)!.map((f) => f.lsb);
    assert.deepEqual(lsbs, [...lsbs].sort((a, b) => a - b), `${csr} fields in bit order`);
  }
});

test("a trap from VS-mode into M-mode reads as such in mstatus, and medeleg names the guest's causes", () => {
  assert.equal(summarize("mstatus", (1n << 39n) | (1n << 38n) | 0x800n | (0xan << 32n)), "SPP=U MPP=S GVA MPV");
  assert.equal(summarize("medeleg", (1n << 10n) | (1n << 23n) | (1n << 22n)), "ecall-vs virtual-instruction store-guest-page-fault");
  assert.equal(summarize("mip", 0x444n | 0x80n), "VSSI VSTI MTI VSEI");
});
