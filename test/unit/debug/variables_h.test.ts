/**
 * The Variables view on a hart with the H extension (launch attribute cpu "rv64,h=true"): the
 * privilege says HS/VS/VU and V, the H and VS CSRs appear with their fields, and mstatus gains MPV
 * and GVA; on a hart without it, all of that stays out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { formatPrivilege, privilegeName } from "../../../src/debug/registers";
import { SymbolTable } from "../../../src/debug/symbols";
import { Variables } from "../../../src/debug/variables";
import { createTarget } from "../../../src/target/create_target";
import { CPU_RV64, type CpuModel } from "../../../src/target/cpu";
import type { Target } from "../../../src/target/target";
import { loadGuest, ROOT } from "../hypervisor/equivalence";

const LESSON = join(ROOT, "sample-guests/tiny-hypervisor/tiny_hypervisor.S");
const H: CpuModel = { model: "rv64", h: true, f: true, d: true };

function target(cpu: CpuModel): Target {
  const program = loadGuest(LESSON);
  const r = createTarget(program, { technique: "native", memoryBytes: 16 << 20, cpu });
  if (!r.ok) assert.fail(r.error);
  return r.target;
}

/** Steps until `done` holds (at most a million steps). */
function stepUntil(t: Target, done: () => boolean): void {
  for (let i = 0; i < 1_000_000 && !done(); i++) assert.equal(t.step().kind, "budget");
  assert.ok(done(), "the guest never got there");
}

function view(t: Target) {
  const vars = new Variables(() => t, () => ({ target: t, symbols: new SymbolTable(t.symbols), convenience: new Map() }));
  const scopes = vars.scopes();
  const registers = scopes.find((s) => s.name === "Registers");
  const csrs = scopes.find((s) => s.name === "CSRs");
  const list = (ref: number): DebugProtocol.Variable[] => vars.variables(ref)!;
  const groups = list(csrs!.variablesReference);
  const group = (name: RegExp) => list(groups.find((g) => name.test(g.name))!.variablesReference);
  return {
    csrScope: csrs!,
    privilege: list(registers!.variablesReference).find((v) => v.name === "privilege")!.value,
    groups: groups.map((g) => g.name),
    group,
    fields: (groupName: RegExp, csr: string) => list(group(groupName).find((v) => v.name === csr)!.variablesReference).map((f) => f.name),
  };
}

describe("the Variables view with the H extension", () => {
  it("names every mode with V, and says HS where S-mode hosts a hypervisor", () => {
    assert.equal(privilegeName(1), "S");
    assert.deepEqual([0, 1, 3].map((p) => privilegeName(p, false)), ["U", "HS", "M"]);
    assert.deepEqual([0, 1].map((p) => privilegeName(p, true)), ["VU", "VS"]);
    assert.equal(formatPrivilege(1, true), "VS (1, V=1)");
    assert.equal(formatPrivilege(3, false), "M (3, V=0)");
    assert.equal(formatPrivilege(1), "S (1)");
  });

  it("shows M, then HS, then VS as the tiny hypervisor enters its guest, with the H and VS CSRs decoded", () => {
    const t = target(H);
    assert.equal(view(t).privilege, "M (3, V=0)");
    stepUntil(t, () => t.priv === 1);
    assert.equal(view(t).privilege, "HS (1, V=0)");
    stepUntil(t, () => t.virt === true);
    const v = view(t);
    assert.equal(v.privilege, "VS (1, V=1)");
    assert.deepEqual(v.groups.filter((g) => /H extension/.test(g)), ["Hypervisor (H extension)", "Virtual supervisor (H extension: the guest's S-mode CSRs)"]);
    assert.equal(v.csrScope.namedVariables, v.groups.length);
    const hgatp = v.group(/^Hypervisor/).find((c) => c.name === "hgatp")!;
    assert.match(hgatp.value, /^0x8000100000080200 {2}PPN=0x80200 \(table at 0x80200000\) VMID=0x1 MODE=Sv39x4$/);
    assert.deepEqual(v.group(/^Virtual supervisor/).map((c) => c.name), ["vsstatus", "vsie", "vsip", "vstvec", "vsscratch", "vsepc", "vscause", "vstval", "vsatp"]);
    assert.ok(v.group(/^Machine trap handling/).some((c) => c.name === "mtval2"), "mtval2 is with the machine trap CSRs");
    assert.ok(v.fields(/^Machine status/, "mstatus").includes("MPV"));
    assert.ok(v.fields(/^Machine status/, "medeleg").includes("store-guest-page-fault"));
    assert.ok(v.fields(/^Machine status/, "mie").includes("VSEI"));
  });

  it("stays as it was on a hart without the H extension", () => {
    const t = target(CPU_RV64);
    assert.equal(t.virt, undefined);
    const v = view(t);
    assert.equal(v.privilege, "M (3)");
    assert.deepEqual(v.groups, ["Machine status and trap setup", "Machine trap handling", "Supervisor", "Counters and time", "Memory protection (PMP)", "Machine information"]);
    assert.ok(!v.group(/^Machine trap handling/).some((c) => c.name === "mtval2" || c.name === "mtinst"));
    for (const [csr, h] of [["mstatus", "MPV"], ["medeleg", "ecall-vs"], ["mie", "VSEI"], ["mideleg", "VSSI"]]) {
      assert.ok(!v.fields(/^Machine status/, csr).includes(h), `${csr}.${h} needs the H extension`);
    }
    assert.ok(v.fields(/^Machine status/, "mstatus").includes("MPP"));
  });
});
