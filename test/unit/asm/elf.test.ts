import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ElfError, findSymbol, parseElf, type ElfImage } from "../../../src/asm/elf";
import { binutils, buildGuest } from "../../fixtures/elf/build";

function parseOk(bytes: Uint8Array): ElfImage {
  const r = parseElf(bytes);
  if (r instanceof ElfError) assert.fail(`unexpected ElfError: ${r.message}`);
  return r;
}

function parseErr(bytes: Uint8Array): string {
  const r = parseElf(bytes);
  assert.ok(r instanceof ElfError, "expected an ElfError");
  return r.message;
}

describe("parseElf on gcc-built guests (checked against readelf and nm)", () => {
  const file = buildGuest("htif_hello");
  const bytes = new Uint8Array(readFileSync(file));
  const image = parseOk(bytes);

  it("reads the entry point", () => {
    const entry = /Entry point address:\s+(0x[0-9a-f]+)/.exec(binutils("readelf", ["-hW", file]))![1];
    assert.equal(image.entry, BigInt(entry));
  });

  it("reads the PT_LOAD segments with their file and memory sizes", () => {
    const loads = binutils("readelf", ["-lW", file]).split("\n").filter((l) => /^\s+LOAD\s/.test(l)).map((l) => l.trim().split(/\s+/));
    assert.equal(image.segments.length, loads.length);
    for (const [i, [, offset, vaddr, paddr, filesz, memsz]] of loads.entries()) {
      const seg = image.segments[i];
      assert.equal(seg.paddr, Number(paddr));
      assert.equal(seg.vaddr, BigInt(vaddr));
      assert.equal(seg.data.length, Number(filesz));
      assert.equal(seg.memsz, Number(memsz));
      assert.deepEqual(seg.data, bytes.subarray(Number(offset), Number(offset) + Number(filesz)));
    }
    assert.ok(image.segments[0].memsz > image.segments[0].data.length, "the guest has .bss beyond its file bytes");
  });

  it("reads every symbol nm lists, with value and type", () => {
    const nm = binutils("nm", ["-S", file]).trim().split("\n").map((l) => l.trim().split(/\s+/));
    for (const fields of nm) {
      const name = fields[fields.length - 1];
      const sym = image.symbols.find((s) => s.name === name);
      assert.ok(sym, `symbol ${name} missing`);
      assert.equal(sym.value, BigInt("0x" + fields[0]));
      if (fields.length === 4) assert.equal(sym.size, BigInt("0x" + fields[1]));
    }
    const tohost = findSymbol(image, "tohost")!;
    assert.equal(tohost.bind, "global");
    assert.equal(tohost.size, 8n);
    assert.equal(image.sections[tohost.section].name, ".tohost");
  });

  it("reads the section headers with names, addresses and data", () => {
    const rows = binutils("readelf", ["-SW", file]).split("\n").map((l) => /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l)).filter((m): m is RegExpExecArray => m !== null && m[1] !== "0");
    assert.equal(image.sections.length, rows.length + 1, "plus the null section, which readelf prints without a name");
    for (const m of rows) {
      const s = image.sections[Number(m[1])];
      assert.equal(s.name, m[2]);
      assert.equal(s.addr, BigInt("0x" + m[4]));
      assert.equal(s.offset, m[3] === "NOBITS" ? 0 : Number("0x" + m[5]));
      assert.equal(s.size, BigInt("0x" + m[6]));
      assert.equal(s.data.length, m[3] === "NOBITS" ? 0 : Number("0x" + m[6]));
    }
    const text = image.sections.find((s) => s.name === ".text")!;
    assert.deepEqual(text.data, bytes.subarray(text.offset, text.offset + Number(text.size)));
  });
});

describe("parseElf rejects malformed and unsupported files, saying what is wrong", () => {
  const good = new Uint8Array(readFileSync(buildGuest("hello_uart")));
  const patched = (edit: (v: DataView, b: Uint8Array) => void) => {
    const b = good.slice();
    edit(new DataView(b.buffer), b);
    return b;
  };
  const phdr = (i: number) => 64 + i * 56;
  const loadIndex = (() => {
    const v = new DataView(good.buffer, good.byteOffset);
    for (let i = 0; ; i++) if (v.getUint32(phdr(i), true) === 1) return i;
  })();

  it("not an ELF at all", () => {
    assert.match(parseErr(new TextEncoder().encode("#!/bin/sh\necho hi\n")), /not an ELF file/);
    assert.match(parseErr(new Uint8Array(0)), /not an ELF file/);
  });
  it("truncated header", () => assert.match(parseErr(good.subarray(0, 40)), /truncated ELF header: the file has 40 bytes/));
  it("32-bit class", () => assert.match(parseErr(patched((_, b) => (b[4] = 1))), /32-bit ELF \(ELFCLASS32\) is not supported/));
  it("big-endian", () => assert.match(parseErr(patched((_, b) => (b[5] = 2))), /big-endian ELF is not supported/));
  it("wrong machine", () => assert.match(parseErr(patched((v) => v.setUint16(18, 62, true))), /machine is 62 \(x86-64\), not RISC-V/));
  it("relocatable object", () => assert.match(parseErr(patched((v) => v.setUint16(16, 1, true))), /relocatable object \(ET_REL\); link it first/));
  it("position-independent executable", () => assert.match(parseErr(patched((v) => v.setUint16(16, 3, true))), /position-independent \(ET_DYN\)/));
  it("program headers past the end", () => {
    assert.match(parseErr(patched((v) => v.setBigUint64(32, 0x10_0000n, true))), /program header offset \(e_phoff\) 0x100000 lies past the end of the file/);
    assert.match(parseErr(good.subarray(0, 64 + 56)), /truncated program header table: 2 entries at 0x40 need bytes up to 0xb0/);
  });
  it("wrong program header entry size", () => assert.match(parseErr(patched((v) => v.setUint16(54, 32, true))), /e_phentsize\) is 32, expected 56/));
  it("segment bytes past the end of the file", () => {
    assert.match(parseErr(good.subarray(0, 0x1010)), new RegExp(`segment ${loadIndex} \\(PT_LOAD at physical 0x80000000\\): its file bytes \\[0x1000, 0x103f\\) run past the end of the file \\(0x1010 bytes\\)`));
  });
  it("file size larger than memory size", () => {
    assert.match(parseErr(patched((v) => v.setBigUint64(phdr(loadIndex) + 40, 4n, true))), /file size 0x3f exceeds memory size 0x4/);
  });
  it("absurd memory size and addresses", () => {
    assert.match(parseErr(patched((v) => v.setBigUint64(phdr(loadIndex) + 40, 1n << 40n, true))), /memory size 0x10000000000 is larger than any RAM/);
    assert.match(parseErr(patched((v) => v.setBigUint64(phdr(loadIndex) + 24, 0xffff_ffff_ffff_f000n, true))), /ends beyond the physical address space/);
  });
  it("overlapping segments", () => {
    const other = loadIndex === 0 ? 1 : 0;
    const b = patched((v) => {
      v.setUint32(phdr(other), 1, true); // turn the attributes header into a PT_LOAD
      v.setBigUint64(phdr(other) + 24, 0x8000_0010n, true);
      v.setBigUint64(phdr(other) + 40, 0x100n, true);
    });
    assert.match(parseErr(b), /PT_LOAD segments overlap: \[0x80000000, 0x8000003f\) and \[0x80000010, 0x80000110\)/);
  });
  it("no loadable segment", () => assert.match(parseErr(patched((v) => v.setUint32(phdr(loadIndex), 4, true))), /no PT_LOAD segment/));
  it("section headers past the end, and a bad name table index", () => {
    assert.match(parseErr(patched((v) => v.setUint16(60, 500, true))), /truncated section header table: 500 entries/);
    assert.match(parseErr(patched((v) => v.setUint16(62, 200, true))), /e_shstrndx\) 200 is not below the section count/);
  });
});
