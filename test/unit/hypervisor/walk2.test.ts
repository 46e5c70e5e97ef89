import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatWalk2, walk2, type Walk2Fetch, type Walk2Request, type Walk2Result } from "../../../src/hypervisor/walk2";

/**
 * A plain memory image (HPA → 8-byte word) with hand-built tables:
 * - G stage (hgatp root at hpa 0x10000): GPA 0x8000_0000..+2 MiB → HPA 0x9000_0000.. in 4 KiB pages,
 *   every leaf V R W X U A D; except GPA 0x8010_0000, whose leaf lacks U, and GPA 0x8010_1000, X only.
 * - VS stage (vsatp root at gpa 0x8000_1000): GVA 0x4000_0000 → GPA 0x8000_5000 (V R W, no U, A D),
 *   0x4000_1000 → 0x1000_0000 (the UART: no G-stage mapping), 0x4000_2000 → 0x8000_6000 (U),
 *   0x4000_3000 → 0x8000_7000 (X only), 0x4000_4000 → 0x8000_8000 (A = 0, D = 0),
 *   0x4000_5000 → 0x8010_0000 (G leaf without U), 0x4000_6000 → 0x8010_1000 (G leaf X only);
 *   gva 0x4020_0000: a 2 MiB VS superpage → GPA 0x8000_0000; gva 0x8000_0000: root entry 2 points at
 *   GPA 0x3000_0000, which the G stage does not map.
 */
const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const G_ROOT = 0x1_0000;
const G_L1 = 0x2_0000;
const G_L0 = 0x2_1000;
const HOST = 0x9000_0000;
const GPA = 0x8000_0000;
const VS_ROOT = 0x8000_1000;
const hpaOf = (gpa: number) => gpa - GPA + HOST;
const pte = (addr: number, flags: bigint) => (BigInt(Math.floor(addr / 4096)) << 10n) | flags;

function image() {
  const mem = new Map<number, bigint>();
  mem.set(G_ROOT + 2 * 8, pte(G_L1, V));
  mem.set(G_L1 + 0 * 8, pte(G_L0, V));
  for (let i = 0; i < 512; i++) mem.set(G_L0 + i * 8, pte(HOST + i * 4096, V | R | W | X | U | A | D));
  // GPA 0x8010_0000 is index 256 of the L0 table.
  mem.set(G_L0 + 256 * 8, pte(HOST + 0x10_0000, V | R | W | X | A | D));
  mem.set(G_L0 + 257 * 8, pte(HOST + 0x10_1000, V | X | U | A | D));
  const vs = (gpa: number, value: bigint) => mem.set(hpaOf(gpa), value);
  const vsL1 = 0x8000_2000, vsL0 = 0x8000_3000;
  vs(VS_ROOT + 1 * 8, pte(vsL1, V)); // gva 0x4000_0000..
  vs(VS_ROOT + 2 * 8, pte(0x3000_0000, V)); // gva 0x8000_0000: a table at an unmapped GPA
  vs(vsL1 + 0 * 8, pte(vsL0, V));
  vs(vsL1 + 1 * 8, pte(GPA, V | R | W | X | A | D)); // gva 0x4020_0000: 2 MiB
  vs(vsL0 + 0 * 8, pte(0x8000_5000, V | R | W | A | D));
  vs(vsL0 + 1 * 8, pte(0x1000_0000, V | R | W | A | D));
  vs(vsL0 + 2 * 8, pte(0x8000_6000, V | R | W | U | A | D));
  vs(vsL0 + 3 * 8, pte(0x8000_7000, V | X | A | D));
  vs(vsL0 + 4 * 8, pte(0x8000_8000, V | R | W));
  vs(vsL0 + 5 * 8, pte(0x8010_0000, V | R | W | A | D));
  vs(vsL0 + 6 * 8, pte(0x8010_1000, V | R | W | A | D));
  return (hpa: number) => (hpa >= HOST && hpa < HOST + 0x20_0000 ? mem.get(hpa) ?? 0n : hpa < 0x10_0000 ? mem.get(hpa) ?? 0n : undefined);
}

const read = image();
const VSATP = (8n << 60n) | (5n << 44n) | BigInt(VS_ROOT / 4096);
const HGATP = (8n << 60n) | (7n << 44n) | BigInt(G_ROOT / 4096);
const walk = (gva: number, over: Partial<Walk2Request> = {}): Walk2Result =>
  walk2(read, { gva: BigInt(gva), access: "r", priv: 1, vsatp: VSATP, hgatp: HGATP, ...over });
const fetches = (r: Walk2Result) => r.steps.filter((s): s is Walk2Fetch => s.type === "fetch");
const stages = (r: Walk2Result) => fetches(r).map((f) => f.stage[0]).join("");

describe("walk2: the two-stage walk", () => {
  it("reads 15 PTEs for Sv39 over Sv39x4 with 4 KiB pages: a G walk before every VS PTE, then one for the GPA", () => {
    const r = walk(0x4000_0010);
    assert.equal(r.fault, undefined);
    assert.equal(r.gpa, 0x8000_5010);
    assert.equal(r.hpa, 0x9000_5010);
    assert.equal(r.memoryReferences, 15);
    assert.equal(stages(r), "GGGVGGGVGGGVGGG");
    assert.deepEqual(fetches(r).map((f) => f.ref), Array.from({ length: 15 }, (_, i) => i + 1));
    const vsFetches = fetches(r).filter((f) => f.stage === "VS");
    assert.deepEqual(vsFetches.map((f) => [f.level, f.index, f.pteGpa, f.pteHpa]), [
      [2, 1, VS_ROOT + 8, hpaOf(VS_ROOT + 8)], [1, 0, 0x8000_2000, hpaOf(0x8000_2000)], [0, 0, 0x8000_3000, hpaOf(0x8000_3000)],
    ]);
    assert.deepEqual(vsFetches.map((f) => f.kind), ["pointer", "pointer", "leaf"]);
    const gWalks = r.steps.filter((s) => s.type === "g-walk");
    assert.deepEqual(gWalks.map((g) => g.type === "g-walk" && [g.gpa, g.forVsLevel]), [[VS_ROOT + 8, 2], [0x8000_2000, 1], [0x8000_3000, 0], [0x8000_5010, undefined]]);
    const firstG = fetches(r)[0];
    assert.deepEqual([firstG.stage, firstG.level, firstG.index, firstG.pteHpa, firstG.pteGpa], ["G", 2, 2, G_ROOT + 16, undefined]);
    assert.equal(firstG.flags, "V-------");
    assert.equal(fetches(r)[14].flags, "VRWXU-AD");
    assert.deepEqual(r.vs, { mode: "sv39", asid: 5, rootGpa: VS_ROOT });
    assert.deepEqual(r.g, { mode: "sv39x4", vmid: 7, rootHpa: G_ROOT });
    const checks = r.steps.filter((s) => s.type === "check");
    assert.ok(checks.every((c) => c.type === "check" && c.ok));
    assert.ok(checks.some((c) => c.type === "check" && c.stage === "G" && /U = 1/.test(c.what)));
    assert.ok(checks.some((c) => c.type === "check" && c.stage === "VS" && /^R = 1/.test(c.what)));
  });

  it("counts 11 references through a 2 MiB VS superpage", () => {
    const r = walk(0x4020_3008);
    assert.equal(r.gpa, GPA + 0x3008);
    assert.equal(r.hpa, HOST + 0x3008);
    assert.equal(r.memoryReferences, 2 * 4 + 3);
  });

  it("walks one stage when the other is Bare", () => {
    const gOnly = walk(0x8000_5010, { vsatp: 0n });
    assert.equal(stages(gOnly), "GGG");
    assert.equal(gOnly.hpa, 0x9000_5010);
    // hgatp Bare: host-physical is guest-physical, so the VS tables are read at their GPAs.
    const vsOnly = walk2((a) => (a >= GPA ? read(hpaOf(a)) : undefined), { gva: 0x4000_0010n, access: "r", priv: 1, vsatp: VSATP, hgatp: 0n });
    assert.equal(stages(vsOnly), "VVV");
    assert.deepEqual([vsOnly.gpa, vsOnly.hpa], [0x8000_5010, 0x8000_5010]);
    assert.equal(vsOnly.memoryReferences, 3);
    const none = walk(0x1234, { vsatp: 0n, hgatp: 0n });
    assert.deepEqual([none.hpa, none.memoryReferences], [0x1234, 0]);
    assert.match(walk(0, { vsatp: 9n << 60n }).error ?? "", /vsatp mode 9/);
    assert.match(walk(0, { hgatp: 10n << 60n }).error ?? "", /hgatp mode 10/);
  });

  it("reports guest-page faults with the GPA, by the original access type, even for a VS PTE's G walk", () => {
    const mmio = walk(0x4000_1000, { access: "w" });
    assert.deepEqual(mmio.fault && [mmio.fault.cause, mmio.fault.stage, mmio.fault.gpa], [23, "G", 0x1000_0000]);
    assert.deepEqual([mmio.gpa, mmio.hpa], [0x1000_0000, undefined], "the VS stage reached a GPA; the G stage has nothing there");
    assert.equal(mmio.memoryReferences, 13, "12 for the VS walk, then the G root entry that is invalid");
    const ptGpa = walk(0x8000_0000, { access: "r" });
    assert.deepEqual(ptGpa.fault && [ptGpa.fault.cause, ptGpa.fault.gpa], [21, 0x3000_0000], "the level-1 VS table's GPA is unmapped");
    const fetch = walk(0x8000_0000, { access: "x" });
    assert.equal(fetch.fault?.cause, 20);
    const noU = walk(0x4000_5000);
    assert.deepEqual(noU.fault && [noU.fault.cause, noU.fault.gpa], [21, 0x8010_0000]);
    assert.match(noU.fault?.why ?? "", /lacks U/);
    const noMemory = walk(0x4000_0000, { hgatp: (8n << 60n) | BigInt(0x5000_0000 / 4096) });
    assert.deepEqual(noMemory.fault && [noMemory.fault.cause, noMemory.fault.name, noMemory.memoryReferences], [5, "load access fault", 1]);
    assert.match(formatWalk2(noMemory), /\(no memory\)[\s\S]*FAIL G: memory answers at hpa 0x50000010/);
    const beyond = walk(2 ** 41, { vsatp: 0n });
    assert.equal(beyond.fault?.cause, 21);
    assert.match(formatWalk2(beyond), /bits set above bit 40/);
  });

  it("reports VS-stage page faults: invalid PTE, U/SUM rules, rights, a non-canonical GVA", () => {
    const invalid = walk(0x4000_9000, { access: "w" });
    assert.deepEqual(invalid.fault && [invalid.fault.cause, invalid.fault.stage, invalid.fault.gpa], [15, "VS", undefined]);
    assert.equal(walk(0x4000_0000, { priv: 0 }).fault?.cause, 13, "VU-mode may not touch a page without U");
    assert.equal(walk(0x4000_2000, { priv: 0 }).fault, undefined);
    assert.equal(walk(0x4000_2000, { priv: 1 }).fault?.cause, 13, "VS-mode needs SUM for a U page");
    assert.equal(walk(0x4000_2000, { priv: 1, sum: true }).fault, undefined);
    assert.equal(walk(0x4000_2000, { priv: 1, sum: true, access: "x" }).fault?.cause, 12, "VS never executes U pages");
    assert.equal(walk(0x4000_0000, { access: "x" }).fault?.cause, 12, "no X");
    const odd = walk2(read, { gva: 1n << 40n, access: "r", priv: 1, vsatp: VSATP, hgatp: HGATP });
    assert.deepEqual(odd.fault && [odd.fault.cause, odd.memoryReferences], [13, 0]);
  });

  it("applies vsstatus.MXR to the VS stage only and the HS-level MXR to both", () => {
    assert.equal(walk(0x4000_3000).fault?.cause, 13, "X-only VS page, no MXR");
    assert.equal(walk(0x4000_3000, { vsMxr: true }).fault, undefined);
    assert.equal(walk(0x4000_3000, { hsMxr: true }).fault, undefined);
    assert.equal(walk(0x4000_6000).fault?.cause, 21, "X-only G leaf");
    assert.equal(walk(0x4000_6000, { vsMxr: true }).fault?.cause, 21, "vsstatus.MXR does not reach the G stage");
    assert.equal(walk(0x4000_6000, { hsMxr: true }).fault, undefined);
  });

  it("shows the A/D state and what the hardware walker would set, changing nothing", () => {
    const ad = (r: Walk2Result) => r.steps.filter((s) => s.type === "ad").map((s) => s.type === "ad" && `${s.stage}:${s.wouldSet}`);
    assert.deepEqual(ad(walk(0x4000_4000)), ["G:", "G:", "G:", "VS:A", "G:"]);
    assert.deepEqual(ad(walk(0x4000_4000, { access: "w" })), ["G:", "G:", "G:", "VS:A and D", "G:"]);
    assert.deepEqual(ad(walk(0x4000_4000, { access: "w" })), ["G:", "G:", "G:", "VS:A and D", "G:"], "the image is unchanged");
  });

  it("formats an aligned trace with the reference count", () => {
    const text = formatWalk2(walk(0x4000_0010));
    const lines = text.trimEnd().split("\n");
    assert.match(lines[0], /^walk2 gva 0x40000010: read from VS-mode; vsatp Sv39 ASID 5 root gpa 0x80001000; hgatp Sv39x4 VMID 7 root hpa 0x10000$/);
    assert.match(lines[1], /^ ref {2}stage lvl index {2}PTE address/);
    assert.match(text, /G-stage walk of gpa 0x80001008 \(where the VS level-2 PTE lives\):/);
    assert.match(text, /G-stage walk of gpa 0x80005010 \(the access's guest-physical address\):/);
    const rows = lines.filter((l) => /^ {1,3}\d+ /.test(l));
    assert.equal(rows.length, 15);
    const flagCol = new Set(rows.map((l) => l.search(/V[-R][-W][-X][-U][-G][-A][-D] {2}/)));
    assert.equal(flagCol.size, 1, "the flags line up in one column");
    assert.match(rows[3], /^ {3}4 {2}VS {4}2 {7}1 {2}gpa 0x80001008 = hpa 0x90001008 +0x0000000020000801 {2}V------- {2}table gpa 0x80002000$/);
    assert.match(lines[lines.length - 1], /^result: gva 0x40000010 → gpa 0x80005010 → hpa 0x90005010; 15 memory references$/);
    const fault = formatWalk2(walk(0x4000_1000, { access: "w" }));
    assert.match(fault, /FAIL G: .*\n/);
    assert.match(fault, /fault: store\/AMO guest-page fault \(cause 23\) at the G stage, gpa 0x10000000 \(htval 0x4000000\): the level-2 PTE is not valid \(V = 0\); 13 memory references\n$/);
  });
});
