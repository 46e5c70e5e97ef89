import assert from "node:assert/strict";
import { test } from "node:test";
import { causeName, EXCEPTIONS, INTERRUPTS } from "../../../src/isa/causes";
import { expandCompressed } from "../../../src/isa/compressed";
import { CSR_TABLE, csrByName, csrByNumber, csrNameUnder, csrPrivilege, csrReadOnly, CSRS } from "../../../src/isa/csrs";
import { immB, immI, immJ, immS, immU, encB, encI, encJ, encS, encU } from "../../../src/isa/fields";
import { COMPRESSED, findCompressed, findInstruction, INSTRUCTIONS, instructionByName } from "../../../src/isa/instructions";

/**
 * Compressed encodings from binutils 2.40 (`as -march=rv64imac`) and the 32-bit encodings `as`
 * gives for the instruction each one abbreviates (`-march=rv64ima`, no C), generated once.
 */
const C_VECTORS: [number, number, string][] = [
  [0x1fe0, 0x3fc10413, "c.addi4spn s0,sp,1020"],
  [0x5d7c, 0x07c52783, "c.lw a5,124(a0)"],
  [0x7cf8, 0x0f84b703, "c.ld a4,248(s1)"],
  [0xc2b0, 0x04c6a023, "c.sw a2,64(a3)"],
  [0xe784, 0x0097b423, "c.sd s1,8(a5)"],
  [0x0001, 0x00000013, "c.addi zero,0"],
  [0x1501, 0xfe050513, "c.addi a0,-32"],
  [0x237d, 0x01f3031b, "c.addiw t1,31"],
  [0x50fd, 0xfff00093, "c.li ra,-1"],
  [0x7101, 0xe0010113, "c.addi16sp sp,-512"],
  [0x617d, 0x1f010113, "c.addi16sp sp,496"],
  [0x7281, 0xfffe02b7, "c.lui t0,0xfffe0"],
  [0x6d85, 0x00001db7, "c.lui s11,0x1"],
  [0x917d, 0x03f55513, "c.srli a0,0x3f"],
  [0x8485, 0x4014d493, "c.srai s1,0x1"],
  [0x9bbd, 0xfef7f793, "c.andi a5,-17"],
  [0x8d0d, 0x40b50533, "c.sub a0,a1"],
  [0x8c25, 0x00944433, "c.xor s0,s1"],
  [0x8e55, 0x00d66633, "c.or a2,a3"],
  [0x8f7d, 0x00f77733, "c.and a4,a5"],
  [0x9c1d, 0x40f4043b, "c.subw s0,a5"],
  [0x9d25, 0x0095053b, "c.addw a0,s1"],
  [0xb001, 0x801ff06f, "c.j fffffffffffff82c"],
  [0xaffd, 0x7fe0006f, "c.j 82c"],
  [0xd101, 0xf00500e3, "c.beqz a0,ffffffffffffff30"],
  [0xecfd, 0x0e049f63, "c.bnez s1,130"],
  [0x1f86, 0x021f9f93, "c.slli t6,0x21"],
  [0x50fe, 0x0fc12083, "c.lwsp ra,252(sp)"],
  [0x797e, 0x1f813903, "c.ldsp s2,504(sp)"],
  [0x8282, 0x00028067, "c.jr t0"],
  [0x857e, 0x01f00533, "c.mv a0,t6"],
  [0x9002, 0x00100073, "c.ebreak"],
  [0x9882, 0x000880e7, "c.jalr a7"],
  [0x916a, 0x01a10133, "c.add sp,s10"],
  [0xdfc6, 0x0f112e23, "c.swsp a7,252(sp)"],
  [0xffce, 0x1f313c23, "c.sdsp s3,504(sp)"],
];

test("every compressed instruction expands to what binutils assembles for its 32-bit form", () => {
  for (const [c, full, text] of C_VECTORS) {
    assert.equal(expandCompressed(c) >>> 0, full, text);
    const name = text.split(" ")[0];
    assert.equal(findCompressed(c)?.name, name === "c.addi" && c === 0x0001 ? "c.nop" : name, text);
  }
});

test("reserved compressed encodings expand to 0 (illegal)", () => {
  for (const c of [
    0x0000, // c.addi4spn with zero immediate (the all-zero halfword)
    0x8000, // quadrant 0 funct3 100
    0x2001, // c.addiw x0
    0x6101, // c.addi16sp 0
    0x6281, // c.lui t0, 0
    0x4002, // c.lwsp x0
    0x6002, // c.ldsp x0
    0x8002, // c.jr x0
    0x9c41, // CA reserved (funct 10 with bit 12)
  ]) {
    assert.equal(expandCompressed(c), 0, c.toString(16));
  }
});

test("the D extension's compressed forms expand to fld/fsd (f0 is a valid c.fldsp destination)", () => {
  assert.equal(expandCompressed(0x2000), 0x00043407, "c.fld fs0, 0(s0)");
  assert.equal(expandCompressed(0xa000), 0x00843027, "c.fsd fs0, 0(s0)");
  assert.equal(expandCompressed(0x2002), 0x00013007, "c.fldsp f0, 0(sp)");
  assert.equal(expandCompressed(0xa006), 0x00113027, "c.fsdsp ft1, 0(sp)");
  assert.equal(expandCompressed(0x3ffe), encI(0x3007, 31, 2, 0x1f8), "c.fldsp ft11, 504(sp)");
  for (const c of [0x2000, 0xa000, 0x2002, 0xa002]) assert.equal(findCompressed(c)?.needs, "D");
});

test("instruction table: masks cover matches, names unique, every encoding decodes to itself", () => {
  const names = new Set<string>();
  for (const s of INSTRUCTIONS) {
    assert.equal((s.match & ~s.mask) >>> 0, 0, s.name);
    assert.ok(!names.has(s.name), s.name);
    names.add(s.name);
    assert.equal(findInstruction(s.match)?.name, s.name, s.name);
  }
  for (const s of COMPRESSED) assert.equal((s.match & ~s.mask) & 0xffff, 0, s.name);
  for (const n of ["hfence.vvma", "hfence.gvma", "hlv.d", "hlvx.wu", "hsv.w", "sfence.vma", "wfi", "mret", "sret", "dret"]) {
    assert.ok(instructionByName(n), n);
  }
  assert.deepEqual(findInstruction(0x7b200073), { name: "dret", match: 0x7b200073, mask: 0xffffffff, format: "NONE", ext: "Sdext" });
  assert.equal(findInstruction(0x0100000f)?.ext, "Zihintpause");
  assert.equal(findInstruction(0x0110000f)?.name, "fence"); // fence w,w is no pause
  assert.equal(findInstruction(0x0000_0000), undefined);
  assert.equal(findInstruction(0x0000_2007)?.name, "flw");
  assert.equal(findInstruction(0x0000_2007)?.ext, "F");
  assert.equal(findInstruction(0x0200_7053)?.name, "fadd.d", "rm is free in fadd.d");
  assert.equal(findInstruction(0x0200_5053)?.name, "fadd.d", "a reserved rm still decodes; executing it is illegal");
  assert.equal(findInstruction(0xe000_1053)?.name, "fclass.s");
  assert.equal(findInstruction(0xe000_2053), undefined, "fmv.x.w and fclass.s fix funct3");
});

test("immediates round-trip through the encoders at their extremes", () => {
  for (const v of [-2048, -1, 0, 1, 2047]) {
    assert.equal(immI(encI(0x13, 1, 2, v)), v);
    assert.equal(immS(encS(0x23, 1, 2, v)), v);
  }
  for (const v of [-4096, -2, 2, 4094]) assert.equal(immB(encB(0x63, 1, 2, v)), v);
  for (const v of [-(1 << 20), -2, 2, (1 << 20) - 2]) assert.equal(immJ(encJ(0x6f, 1, v)), v);
  assert.equal(immU(encU(0x37, 1, 0xfffff)), 0xfffff000 | 0);
});

test("CSR table: numbers and names unique; privilege and read-only from the number", () => {
  const nums = new Set<number>();
  for (const c of CSRS) {
    assert.ok(!nums.has(c.num), c.name);
    nums.add(c.num);
    assert.equal(csrByName(c.name)?.num, c.num);
  }
  assert.equal(csrByNumber(0x300)?.name, "mstatus");
  for (const n of ["hstatus", "hgatp", "vsatp", "vsstatus", "htinst", "mtval2", "pmpaddr63", "pmpcfg14", "mconfigptr", "menvcfg", "senvcfg", "mhpmevent31"]) {
    assert.ok(csrByName(n), n);
  }
  assert.equal(csrPrivilege(0x300), 3);
  assert.equal(csrPrivilege(0x100), 1);
  assert.equal(csrPrivilege(0x600), 2);
  assert.equal(csrPrivilege(0xc00), 0);
  assert.ok(csrReadOnly(0xc00) && csrReadOnly(0xf14));
  assert.ok(!csrReadOnly(0x300));
});

test("CSR table: name-only CSRs are named for the disassembler but left out of CSRS and the lookups", () => {
  const nums = new Set<number>();
  for (const c of CSR_TABLE) {
    assert.ok(!nums.has(c.num), c.name);
    nums.add(c.num);
  }
  const nameOnly = CSR_TABLE.filter((c) => c.nameOnly);
  assert.equal(nameOnly.length, 97 + 10); // objdump's extra names, and the N extension's under 1.11
  assert.equal(CSRS.length + nameOnly.length, CSR_TABLE.length);
  for (const c of nameOnly) {
    assert.ok(!CSRS.includes(c), c.name);
    assert.equal(csrByName(c.name), undefined, c.name);
    assert.equal(csrByNumber(c.num), undefined, c.name);
  }
  for (const [num, name] of [[0x008, "vstart"], [0x14d, "stimecmp"], [0xfb0, "mtopi"], [0x73f, "mhpmevent31h"], [0x7aa, "mscontext"]] as const) {
    assert.equal(csrByNumber(num), undefined, name);
    assert.equal(csrNameUnder(num, "1.12"), name);
    assert.equal(csrNameUnder(num, "1.11"), name);
  }
});

test("CSR names follow the privileged-spec version: 1.12 added the env-config and H trap CSRs, dropped N", () => {
  for (const name of ["menvcfg", "senvcfg", "mconfigptr", "mtinst", "mtval2", "mseccfg", "pmpcfg4", "pmpaddr16", "pmpaddr63"]) {
    const num = csrByName(name)!.num;
    assert.equal(csrNameUnder(num, "1.12"), name);
    assert.equal(csrNameUnder(num, "1.11"), undefined, name);
  }
  for (const name of ["mstatus", "pmpcfg3", "pmpaddr15", "hstatus", "hgatp", "cycle"]) {
    assert.equal(csrNameUnder(csrByName(name)!.num, "1.11"), name);
  }
  assert.equal(csrNameUnder(0x000, "1.11"), "ustatus");
  assert.equal(csrNameUnder(0x000, "1.12"), undefined);
  assert.equal(csrNameUnder(0x103, "1.11"), "sideleg");
  assert.equal(csrNameUnder(0x7c0, "1.12"), undefined);
});

test("trap causes have names", () => {
  assert.equal(causeName(13n), "load-page-fault");
  assert.equal(causeName((1n << 63n) | 7n), "interrupt mti");
  assert.equal(EXCEPTIONS.find((e) => e.code === 2)?.name, "illegal-instruction");
  assert.equal(INTERRUPTS.length, 11);
});
