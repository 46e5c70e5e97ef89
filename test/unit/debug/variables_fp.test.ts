/**
 * The Variables view's "Floating point" scope: f0–f31 by ABI name, a NaN-boxed single as a float and
 * anything else as a double, each with its raw bits, then fcsr with its decoded fields; absent on a
 * hart without F (cpu "rv64,f=false,d=false"), under a VMM technique too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFpRegister } from "../../../src/debug/registers";
import { SymbolTable } from "../../../src/debug/symbols";
import { Variables } from "../../../src/debug/variables";
import { createTarget } from "../../../src/target/create_target";
import { CPU_RV64, type CpuModel } from "../../../src/target/cpu";
import type { Technique } from "../../../src/target/techniques";
import { asmGuest } from "../hypervisor/equivalence";

const GUEST = `
  .globl _start
_start:
  li t0, 3 << 13
  csrs mstatus, t0
  li t0, 0xbff8000000000000
  fmv.d.x fs0, t0
  li t0, 0x40200000
  fmv.w.x fa0, t0
  fsrmi 1
  fdiv.d ft1, fs0, ft0      # -1.5 / 0: DZ
1: j 1b
`;

function view(cpu: CpuModel, technique: Technique = "native") {
  const r = createTarget(asmGuest(GUEST, "fp_view.S"), { technique, memoryBytes: 16 << 20, cpu });
  if (!r.ok) assert.fail(r.error);
  const t = r.target;
  for (let i = 0; i < 12; i++) t.step();
  const vars = new Variables(() => t, () => ({ target: t, symbols: new SymbolTable(t.symbols), convenience: new Map() }));
  return { scopes: vars.scopes(), list: (ref: number) => vars.variables(ref)! };
}

describe("the Variables view's floating-point registers", () => {
  it("formats doubles, NaN-boxed singles, signed zeros and NaNs with their bits", () => {
    assert.equal(formatFpRegister(0x3ff8000000000000n), "1.5 0x3ff8000000000000");
    assert.equal(formatFpRegister(0xffffffff40200000n), "2.5f (single) 0xffffffff40200000");
    assert.equal(formatFpRegister(0x8000000000000000n), "-0 0x8000000000000000");
    assert.equal(formatFpRegister(0x7ff8000000000001n), "NaN 0x7ff8000000000001");
  });

  for (const technique of ["native", "trap-and-emulate", "hardware-assisted"] as const) {
    it(`shows f0–f31 and fcsr with its fields (${technique})`, () => {
      const v = view(CPU_RV64, technique);
      assert.deepEqual(v.scopes.map((s) => s.name), ["Registers", "Floating point", "CSRs", "TLB"]);
      const fp = v.list(v.scopes[1]!.variablesReference);
      assert.equal(fp.length, 33);
      assert.deepEqual(fp.slice(0, 3).map((x) => x.name), ["ft0", "ft1", "ft2"]);
      assert.equal(fp.find((x) => x.name === "fs0")!.value, "-1.5 0xbff8000000000000");
      assert.equal(fp.find((x) => x.name === "fa0")!.value, "2.5f (single) 0xffffffff40200000");
      assert.equal(fp.find((x) => x.name === "ft1")!.value, "-Infinity 0xfff0000000000000");
      const fcsr = fp[32]!;
      assert.equal(fcsr.name, "fcsr");
      assert.equal(fcsr.value, "0x0000000000000028  DZ FRM=RTZ");
      const fields = v.list(fcsr.variablesReference);
      assert.deepEqual(fields.map((f) => [f.name, f.value]), [["NX", "0"], ["UF", "0"], ["OF", "0"], ["DZ", "1"], ["NV", "0"], ["FRM", "RTZ (1)"]]);
    });
  }

  it("is not there without F", () => {
    const v = view({ ...CPU_RV64, f: false, d: false });
    assert.deepEqual(v.scopes.map((s) => s.name), ["Registers", "CSRs", "TLB"]);
  });
});
