import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { twoStageText } from "../../../src/debug/walk_text";
import { createVirtBoard } from "../../../src/machine/virt";
import { NativeTarget } from "../../../src/target/native_target";
import type { AddressWalk, TwoStageWalk } from "../../../src/target/target";
import { twoStageAddressWalk } from "../../../src/target/walk_view";

/**
 * The hart's own two-stage walk (mmu.ts), as `walk2`, `hyperstep/walk` and the Page Tables panel tell
 * it, on the bare board with the H extension, whose vsatp and hgatp a hand-built image sets up:
 * - G stage (hgatp root at pa 0x8010_0000, VMID 7): GPA 0x8000_0000..+2 MiB → PA 0x8040_0000.. in
 *   4 KiB pages, every leaf V R W X U A D; except GPA 0x8010_0000, whose leaf lacks U, and GPA
 *   0x8010_1000, X only.
 * - VS stage (vsatp root at gpa 0x8000_1000, ASID 5): GVA 0x4000_0000 → GPA 0x8000_5000 (V R W, no
 *   U, A D), 0x4000_1000 → 0x1000_0000 (the UART: no G-stage mapping), 0x4000_2000 → 0x8000_6000
 *   (U), 0x4000_3000 → 0x8000_7000 (X only), 0x4000_4000 → 0x8000_8000 (A = 0, D = 0),
 *   0x4000_5000 → 0x8010_0000 (G leaf without U), 0x4000_6000 → 0x8010_1000 (G leaf X only);
 *   gva 0x4020_0000: a 2 MiB VS superpage → GPA 0x8000_0000; gva 0x8000_0000: root entry 2 points at
 *   GPA 0x3000_0000, which the G stage does not map.
 */
const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const RAM = 0x8000_0000;
const G_ROOT = 0x8010_0000, G_L1 = 0x8010_4000, G_L0 = 0x8010_5000;
const HOST = 0x8040_0000;
const GPA = 0x8000_0000;
const VS_ROOT = 0x8000_1000, VS_L1 = 0x8000_2000, VS_L0 = 0x8000_3000;
const hpaOf = (gpa: number) => gpa - GPA + HOST;
const pte = (addr: number, flags: bigint) => (BigInt(Math.floor(addr / 4096)) << 10n) | flags;
const VSATP = (8n << 60n) | (5n << 44n) | BigInt(VS_ROOT / 4096);
const HGATP = (8n << 60n) | (7n << 44n) | BigInt(G_ROOT / 4096);
const SUM = 1 << 18, MXR = 1 << 19;

function board(hypervisorExtension = true) {
  const b = createVirtBoard({ memoryBytes: 8 << 20, hypervisorExtension });
  const put = (pa: number, value: bigint) => b.ram.view.setBigUint64(pa - RAM, value, true);
  put(G_ROOT + 2 * 8, pte(G_L1, V));
  put(G_L1, pte(G_L0, V));
  for (let i = 0; i < 512; i++) put(G_L0 + i * 8, pte(HOST + i * 4096, V | R | W | X | U | A | D));
  put(G_L0 + 256 * 8, pte(HOST + 0x10_0000, V | R | W | X | A | D));
  put(G_L0 + 257 * 8, pte(HOST + 0x10_1000, V | X | U | A | D));
  const vs = (gpa: number, value: bigint) => put(hpaOf(gpa), value);
  vs(VS_ROOT + 1 * 8, pte(VS_L1, V));
  vs(VS_ROOT + 2 * 8, pte(0x3000_0000, V));
  vs(VS_L1, pte(VS_L0, V));
  vs(VS_L1 + 8, pte(GPA, V | R | W | X | A | D));
  [[0x8000_5000, V | R | W | A | D], [0x1000_0000, V | R | W | A | D], [0x8000_6000, V | R | W | U | A | D], [0x8000_7000, V | X | A | D],
    [0x8000_8000, V | R | W], [0x8010_0000, V | R | W | A | D], [0x8010_1000, V | R | W | A | D]]
    .forEach(([gpa, flags], i) => vs(VS_L0 + i * 8, pte(Number(gpa), flags as bigint)));
  const h = b.hart;
  h.writeCsr(0x3b0, (1n << 54n) - 1n); // PMP: S and U reach all memory, as firmware leaves it
  h.writeCsr(0x3a0, 0x1fn);
  if (hypervisorExtension) {
    h.hgatp = HGATP;
    h.vsatp = VSATP;
    h.setMode(1, true);
  }
  return { b, target: new NativeTarget(b, [], []), put };
}

const { b, target } = board();
const walk = (gva: number, access: "r" | "w" | "x" = "r"): TwoStageWalk => target.twoStageWalk(BigInt(gva), access)!;
const told = (gva: number, access: "r" | "w" | "x" = "r"): AddressWalk => twoStageAddressWalk(walk(gva, access), { vs: "vsatp", g: "gstage" }, "pa");
const stages = (w: TwoStageWalk) => w.walk.steps.map((s) => s.stage[0].toUpperCase()).join("");
/** Runs `fn` with the hart in another mode or status, and puts it back. */
function withHart(change: () => void, fn: () => void): void {
  const h = b.hart;
  const saved = { prv: h.prv, virt: h.virt, vsstatus: h.vsstatus, mstatus: h.mstatus };
  change();
  try {
    fn();
  } finally {
    h.setMode(saved.prv, saved.virt);
    h.vsstatus = saved.vsstatus;
    h.mstatus = saved.mstatus;
  }
}

describe("the hart's two-stage walk on the bare board with the H extension", () => {
  it("reads 15 PTEs for Sv39 over Sv39x4 with 4 KiB pages: a G walk before every VS PTE, then one for the GPA", () => {
    const t = walk(0x4000_0010);
    assert.equal(t.note, undefined, "the hart runs with V=1: its own mode");
    assert.deepEqual([t.walk.fault, t.walk.gpa, t.walk.pa], [undefined, 0x8000_5010, 0x8040_5010]);
    assert.equal(stages(t), "GGGVGGGVGGGVGGG");
    const w = told(0x4000_0010);
    const steps = w.parts[0].steps;
    assert.equal(w.references, 15);
    assert.deepEqual(steps.map((s) => s.ref), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.deepEqual(steps.filter((s) => s.stage === "vs").map((s) => [s.level, s.index, s.pteAddr, s.hpa, s.tree]), [
      [2, 1, BigInt(VS_ROOT + 8), BigInt(hpaOf(VS_ROOT + 8)), "vsatp"], [1, 0, BigInt(VS_L1), BigInt(hpaOf(VS_L1)), "vsatp"], [0, 0, BigInt(VS_L0), BigInt(hpaOf(VS_L0)), "vsatp"],
    ]);
    assert.deepEqual(steps.filter((s) => s.begins).map((s) => [s.begins!.gpa, s.begins!.purpose]), [
      [BigInt(VS_ROOT + 8), "where the VS level-2 PTE lives"], [BigInt(VS_L1), "where the VS level-1 PTE lives"],
      [BigInt(VS_L0), "where the VS level-0 PTE lives"], [0x8000_5010n, "the access's guest-physical address"],
    ]);
    assert.deepEqual([steps[0].stage, steps[0].level, steps[0].index, steps[0].pteAddr, steps[0].space, steps[0].tree], ["g", 2, 2, BigInt(G_ROOT + 16), "pa", "gstage"]);
    assert.deepEqual(steps[11].notes, ["ok   VS: the leaf permits a read from VS-mode", "A/D  VS: A=1 D=1"]);
    assert.deepEqual(steps[14].notes, ["ok   G: the leaf permits a read as a U-mode access (U = 1)", "A/D  G: A=1 D=1"]);
    assert.deepEqual(w.result, { kind: "translated", text: "pa 0x80405010 (gpa 0x80005010)", addr: 0x8040_5010n, space: "pa" });
  });

  it("counts 11 references through a 2 MiB VS superpage, and walks one stage when vsatp is Bare", () => {
    const t = walk(0x4020_3008);
    assert.deepEqual([t.walk.gpa, t.walk.pa, t.walk.steps.length], [GPA + 0x3008, HOST + 0x3008, 2 * 4 + 3]);
    const gOnly = target.twoStageWalk(0x8000_5010n, "r", 0n)!;
    assert.equal(stages(gOnly), "GGG");
    assert.equal(gOnly.walk.pa, 0x8040_5010);
    const asked = target.walkAddress(0x8000_5010n, "r", "gpa");
    assert.ok(typeof asked !== "string");
    assert.match(asked.title, /vsatp Bare; hgatp Sv39x4 VMID 7 root pa 0x80100000$/);
    assert.equal(b.hart.vsatp, VSATP, "the hart's own vsatp is back");
  });

  it("reports guest-page faults with the GPA, by the original access type, even for a VS PTE's G walk", () => {
    const mmio = told(0x4000_1000, "w");
    assert.equal(mmio.result.kind, "fault");
    assert.equal(mmio.result.text, "store/AMO guest-page fault (cause 23) at the G stage, gpa 0x10000000 (htval 0x4000000): the level-2 PTE at pa 0x80100000 is not valid (V = 0)");
    assert.equal(mmio.references, 13, "12 for the VS walk, then the G root entry that is invalid");
    assert.deepEqual([walk(0x4000_1000, "w").walk.gpa, walk(0x4000_1000, "w").walk.pa], [0x1000_0000, undefined]);
    const ptGpa = walk(0x8000_0000);
    assert.deepEqual([ptGpa.walk.fault, ptGpa.walk.stop?.stage, ptGpa.walk.steps.at(-1)?.gpaWalked], [21n, "g", 0x3000_0000], "the level-1 VS table's GPA is unmapped");
    assert.match(told(0x8000_0000).result.text, /gpa 0x30000000 \(htval 0xc000000\)/);
    assert.equal(walk(0x8000_0000, "x").walk.fault, 20n);
    const noU = told(0x4000_5000);
    assert.match(noU.result.text, /^load guest-page fault \(cause 21\) at the G stage, gpa 0x80100000 \(htval 0x20040000\): the G-stage leaf lacks U: every G-stage access counts as a U-mode access$/);
    assert.match(noU.parts[0].steps.at(-1)!.notes.join("\n"), /^FAIL G: the G-stage leaf lacks U/);
    const beyond = target.twoStageWalk(2n ** 41n, "r", 0n)!;
    assert.deepEqual([beyond.walk.fault, beyond.walk.stop?.why], [21n, "gpa-range"]);
    assert.match(twoStageAddressWalk(beyond, {}, "pa").result.text, /bits set above bit 40/);
  });

  it("stops where a PTE read is not in RAM, with an access fault, and says so", () => {
    const { b: other, target: t } = board();
    other.hart.hgatp = (8n << 60n) | BigInt(0x5000_0000 / 4096);
    const w = t.twoStageWalk(0x4000_0000n, "r")!;
    assert.deepEqual([w.walk.stop?.why, w.walk.stop?.stage, w.walk.stop?.pteAddr, w.walk.steps.length], ["no-memory", "g", 0x5000_0010, 0]);
    assert.equal(w.walk.fault, 5n, "a load access fault");
    assert.match(twoStageAddressWalk(w, {}, "pa").result.text, /the level-2 PTE at pa 0x50000010 is not in RAM, where page tables must be \(an access fault\)$/);
  });

  it("reports VS-stage page faults: invalid PTE, U and SUM, rights, a non-canonical GVA", () => {
    const invalid = told(0x4000_9000, "w");
    assert.equal(invalid.result.text, `store/AMO page fault (cause 15) at the VS stage: the level-0 PTE at hpa 0x${(hpaOf(VS_L0) + 9 * 8).toString(16)} is not valid (V = 0)`);
    withHart(() => b.hart.setMode(0, true), () => {
      assert.match(told(0x4000_0000).result.text, /^load page fault \(cause 13\) at the VS stage: the VS-stage leaf lacks U: VU-mode may only use U pages$/);
      assert.equal(walk(0x4000_2000).walk.fault, undefined);
    });
    assert.match(told(0x4000_2000).result.text, /the VS-stage leaf is a U page: VS-mode reaches it only with SUM = 1$/);
    withHart(() => (b.hart.vsstatus |= SUM), () => {
      assert.equal(walk(0x4000_2000).walk.fault, undefined, "vsstatus.SUM lets VS-mode read a U page");
      assert.match(told(0x4000_2000, "x").result.text, /^instruction page fault \(cause 12\).*VS-mode never executes U pages$/);
    });
    assert.match(told(0x4000_0000, "x").result.text, /the VS-stage leaf permits no execute \(X = 0\)$/);
    const odd = walk(2 ** 40);
    assert.deepEqual([odd.walk.fault, odd.walk.steps.length, odd.walk.stop?.why], [13n, 0, "va-range"]);
  });

  it("applies vsstatus.MXR to the VS stage only and mstatus.MXR to both", () => {
    assert.match(told(0x4000_3000).result.text, /permits no read \(R = 0, and MXR = 0 does not let X stand for it\)$/);
    withHart(() => (b.hart.vsstatus |= MXR), () => {
      assert.equal(walk(0x4000_3000).walk.fault, undefined);
      assert.equal(walk(0x4000_6000).walk.fault, 21n, "vsstatus.MXR does not reach the G stage");
    });
    withHart(() => (b.hart.mstatus |= MXR), () => {
      assert.equal(walk(0x4000_3000).walk.fault, undefined);
      assert.equal(walk(0x4000_6000).walk.fault, undefined);
    });
    assert.equal(walk(0x4000_6000).walk.fault, 21n, "an X-only G leaf");
  });

  it("shows the A/D state and what the hardware walker would set, changing nothing", () => {
    const leafNotes = (access: "r" | "w") => told(0x4000_4000, access).parts[0].steps.find((s) => s.stage === "vs" && s.level === 0)!.notes;
    const leaf = b.ram.view.getBigUint64(hpaOf(VS_L0 + 4 * 8) - RAM, true);
    assert.deepEqual(leafNotes("r"), ["ok   VS: the leaf permits a read from VS-mode", "A/D  VS: A=0 D=0; the hardware walker sets A"]);
    assert.deepEqual(leafNotes("w"), ["ok   VS: the leaf permits a write from VS-mode", "A/D  VS: A=0 D=0; the hardware walker sets A and D"]);
    assert.equal(b.ram.view.getBigUint64(hpaOf(VS_L0 + 4 * 8) - RAM, true), leaf, "the PTE is unchanged");
  });

  it("formats walk2's aligned trace with the reference count", () => {
    const text = twoStageText(told(0x4000_0010));
    const lines = text.split("\n");
    assert.equal(lines[0], "walk2 gva 0x40000010: read from VS-mode; vsatp Sv39 ASID 5 root gpa 0x80001000; hgatp Sv39x4 VMID 7 root pa 0x80100000");
    assert.match(lines[1], /^ ref {2}stage lvl index {2}PTE address/);
    assert.match(text, /^ {2}G-stage walk of gpa 0x80001008 \(where the VS level-2 PTE lives\):$/m);
    assert.match(text, /^G-stage walk of gpa 0x80005010 \(the access's guest-physical address\):$/m);
    const rows = lines.filter((l) => /^ {1,3}\d+ /.test(l));
    assert.equal(rows.length, 15);
    assert.equal(new Set(rows.map((l) => l.search(/[V-][R-][W-][X-][U-][G-][A-][D-] {2}(table|page|invalid)/))).size, 1, "the flags line up in one column");
    assert.equal(rows[3], "   4  VS    2       1  gpa 0x80001008 = hpa 0x80401008          0x0000000020000801  V-------  table gpa 0x80002000");
    assert.equal(lines.at(-1), "result: gva 0x40000010 → gpa 0x80005010 → pa 0x80405010; 15 memory references");
    const fault = twoStageText(told(0x4000_1000, "w"));
    assert.match(fault, /^ {6}FAIL G: the level-2 PTE at pa 0x80100000 is not valid \(V = 0\)$/m);
    assert.match(fault, /\nfault: store\/AMO guest-page fault \(cause 23\) at the G stage, gpa 0x10000000 \(htval 0x4000000\): the level-2 PTE at pa 0x80100000 is not valid \(V = 0\); 13 memory references$/);
  });

  it("outside V=1 walks as HLV does, from the mode hstatus.SPVP names, and says so", () => {
    withHart(() => b.hart.setMode(1, false), () => {
      const vu = target.twoStageWalk(0x4000_0000n, "r")!;
      assert.equal(vu.priv, 0, "hstatus.SPVP = 0: VU-mode");
      assert.match(vu.note ?? "", /the hart runs in HS-mode, not with V=1: walking as HLV does, from VU-mode \(hstatus\.SPVP = 0\)/);
      assert.equal(vu.walk.fault, 13n, "VU-mode may not use the kernel's page");
      b.hart.hstatus |= 1 << 8;
      assert.equal(target.twoStageWalk(0x4000_0000n, "r")!.walk.pa, 0x8040_5000);
      b.hart.hstatus &= ~(1 << 8);
      const own = target.walkAddress(0x4000_0000n, "r");
      assert.ok(typeof own !== "string");
      assert.deepEqual([own.parts.length, own.result.kind], [0, "translated"], "HS-mode with satp Bare: no translation of its own");
    });
  });

  it("without the H extension there is no two-stage walk, and the walk request says why", () => {
    const { target: plain } = board(false);
    assert.equal(plain.twoStageWalk(0x4000_0000n, "r"), undefined);
    assert.equal(plain.walkAddress(0x8000_0000n, "r", "gpa"), "the hart has no H extension: there is no G stage to walk");
    assert.equal(plain.walkAddress(0x4000_0000n, "r", "gva"), "the hart has no H extension: there is no guest-virtual address space to walk");
  });
});

describe("the Page Tables of the bare board with the H extension", () => {
  it("shows satp's, vsatp's and hgatp's tables, each labelled, the guest's two active with V=1", () => {
    const { b: hb, target: t, put } = board();
    const hostRoot = 0x8020_0000;
    put(hostRoot + 2 * 8, pte(RAM, V | R | W | X | A | D));
    hb.hart.writeCsr(0x180, (8n << 60n) | (3n << 44n) | BigInt(hostRoot / 4096));
    const set = t.pageTableTrees(1 << 16);
    assert.deepEqual(set.trees.map((x) => [x.id, x.kind, x.label, x.input, x.output, x.tableSpace, x.active]), [
      ["guest", "guest", "host (satp, ASID 3)", "va", "pa", "pa", false],
      ["vsatp", "guest", "VS stage (vsatp, ASID 5)", "gva", "gpa", "gpa", true],
      ["gstage", "gstage", "G stage (hgatp, VMID 7)", "gpa", "pa", "pa", true],
    ]);
    const vs = set.trees[1];
    assert.equal(vs.root.addr, BigInt(VS_ROOT), "the VS tree's pages are named by their guest-physical addresses");
    assert.deepEqual(vs.root.entries.map((e) => e.index), [1, 2], "read through the G stage from host memory");
    assert.deepEqual(vs.root.entries[0].next?.entries[0].next?.entries.map((e) => e.index), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(set.trees[2].root.entries[0].index, 2);
    assert.equal(set.note, undefined);
    hb.hart.setMode(1, false);
    assert.deepEqual(t.pageTableTrees(16).trees.map((x) => x.active), [true, false, false], "V=0: the host's table is the one in use");
  });
});
