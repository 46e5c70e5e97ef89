/**
 * dret (Sdext) and pause (Zihintpause) through every reader of the instruction table: the assembler
 * and the disassembler against GNU as and objdump 2.40, the hart against what QEMU 7.2 does (dret is
 * illegal outside debug mode: cause 2 with the instruction as tval, in M, S, U and VS-mode alike),
 * and the editor's hover.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../../src/asm/assemble";
import { disassemble } from "../../../src/asm/disasm";
import { mnemonicMarkdown } from "../../../src/extension/completion";
import { compareWithGnu } from "../asm/compare";
import { differences, objdumpAndOurs } from "../asm/disasm_oracle";
import { gnuAssemble } from "../asm/gnu";
import { ins } from "../machine/hart/encode";
import { boot, bootGuest, openPmp, runToTrap } from "../machine/hart/harness";

const DRET = 0x7b200073;
const PAUSE = 0x0100000f;

test("dret assembles under any architecture and pause under Zihintpause, as GNU as assembles them", () => {
  assert.deepEqual(compareWithGnu("a.s", "_start:\n  dret\n  ebreak\n", "rv64imac_zicsr_zifencei"), []);
  assert.deepEqual(compareWithGnu("a.s", "_start:\n  pause\n  dret\n", "rv64imac_zicsr_zifencei_zihintpause"), []);
  assert.deepEqual(compareWithGnu("a.s", "_start:\n  .option arch, +zihintpause\n  pause\n", "rv64imac_zicsr_zifencei"), []);
});

test("pause without Zihintpause is rejected, as GNU as rejects it", () => {
  const source = "_start:\n  pause\n";
  const ours = assemble("a.s", () => source, { march: "rv64imac_zicsr_zifencei" });
  assert.match(ours.errors[0]?.message ?? "", /^'pause' needs the zihintpause extension/);
  const gnu = gnuAssemble("a.s", source);
  assert.equal(gnu.ok, false);
  assert.match(gnu.stderr, /extension `zihintpause' required/);
});

test("objdump and Hyperstep print dret, pause, and pause's word without Zihintpause, alike", () => {
  const plain = objdumpAndOurs("        .text\n_start:\n        dret\n        .insn i 0x0f, 0, x0, x0, 0x010\n");
  assert.deepEqual(differences(plain), []);
  assert.ok(plain.ours.some((l) => l.endsWith("\tdret")), plain.ours.join("\n"));
  assert.ok(plain.ours.some((l) => l.endsWith("\tfence\tw,unknown")), plain.ours.join("\n"));
  const hinted = objdumpAndOurs("        .text\n_start:\n        .option arch, +zihintpause\n        pause\n        dret\n");
  assert.deepEqual(differences(hinted), []);
  assert.ok(hinted.ours.some((l) => l.endsWith("\tpause")), hinted.ours.join("\n"));
});

test("the disassembler's text of dret and pause assembles back to the same word", () => {
  for (const [word, march] of [[DRET, "rv64imac_zicsr_zifencei"], [PAUSE, "rv64imac_zicsr_zifencei_zihintpause"]] as const) {
    const text = disassemble(word, 0x80000000n, { march }).text;
    const out = assemble("a.s", () => `_start:\n  ${text}\n`, { march });
    assert.deepEqual(out.errors, [], text);
    const data = out.sections.find((s) => s.name === ".text")!.data;
    assert.equal(new DataView(data.buffer, data.byteOffset).getUint32(0, true), word, text);
  }
});

test("the hart raises illegal instruction for dret in M, S, U and VS-mode, with the instruction as tval", () => {
  const program = [ins("dret")];
  assert.equal(ins("dret"), DRET);
  const expectIllegal = (b: ReturnType<typeof boot>, mode: string) => {
    const t = runToTrap(b);
    assert.equal(t.cause, 2n, mode);
    assert.equal(t.tval, BigInt(DRET), mode);
    assert.equal(t.pc, 0x80000000n, mode);
  };
  expectIllegal(boot(program), "M");
  for (const prv of [1, 0]) {
    const b = boot(program);
    openPmp(b);
    b.hart.setMode(prv, false);
    expectIllegal(b, prv === 1 ? "S" : "U");
  }
  expectIllegal(bootGuest(program, 1, true), "VS"); // illegal, not virtual instruction: HS-mode has no dret either
});

test("hover names the extension of dret and pause", () => {
  assert.match(mnemonicMarkdown("dret")!, /^`dret` — Sdext instruction\n\nReturn from debug mode/);
  assert.match(mnemonicMarkdown("pause")!, /^`pause` — Zihintpause instruction\n\nHint that the hart is spinning/);
});
