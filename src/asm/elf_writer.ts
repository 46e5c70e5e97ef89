/**
 * Writes an assembled program as a little-endian ELF64 RISC-V executable (ET_EXEC), the file
 * `hyperstep asm in.S -o out.elf` produces. binutils (`objdump -d`, `readelf -a`), QEMU's `-kernel`
 * loader and Hyperstep's own ELF reader accept it.
 *
 * Layout: the ELF header and program headers, then each allocated section at a file offset congruent
 * to its address modulo the page size (so every PT_LOAD can be mapped as `ld` would map it), then
 * `.riscv.attributes`, `.symtab`, `.strtab`, `.shstrtab` and the section header table. There is one
 * PT_LOAD per allocated section, with the section's permissions, and a PT_RISCV_ATTRIBUTES header.
 *
 * `.riscv.attributes` records the architecture string and the privileged-spec version (1.11, what
 * GNU `as` 2.40 records by default), because objdump picks the extensions and CSR names it decodes
 * from them. A `$x<arch>` mapping symbol opens every executable section, as GNU `as` puts one there.
 */
import type { AssembleResult } from "./assemble";
import { DEFAULT_MARCH, parseMarch, type Ext } from "./arch";
import type { LinkedSection, LinkedSymbol } from "./link";
import { nothingToRunInSections } from "./runnable";

export interface ElfWriterInput {
  entry: bigint;
  sections: readonly LinkedSection[];
  symbols: readonly LinkedSymbol[];
  /** Symbols the linker script defines (`__global_pointer$`, `_end`, …); global, as ld writes them. */
  scriptSymbols?: ReadonlyMap<string, bigint>;
  /** The architecture to record (as gcc's -march); default rv64imafdc_zicsr_zifencei. */
  march?: string;
}

export class ElfWriteError extends Error {
  override readonly name = "ElfWriteError";
}

const PAGE = 0x1000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const EM_RISCV = 243;
const ET_EXEC = 2;
const EF_RISCV_RVC = 0x1;
const PT_LOAD = 1;
const PT_RISCV_ATTRIBUTES = 0x7000_0003;
const PF_X = 1, PF_W = 2, PF_R = 4;
const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8, SHT_RISCV_ATTRIBUTES = 0x7000_0003;
const SHF_WRITE = 1n, SHF_ALLOC = 2n, SHF_EXECINSTR = 4n;
const SHN_ABS = 0xfff1;
const STB_LOCAL = 0, STB_GLOBAL = 1;
const STT_NOTYPE = 0, STT_FUNC = 2, STT_SECTION = 3;

/** The ISA versions binutils 2.40 records (ISA spec 20191213), in its canonical order. */
const ISA_VERSIONS: [Ext | "Zmmul", string][] = [
  ["I", "i2p1"], ["M", "m2p0"], ["A", "a2p1"], ["F", "f2p2"], ["D", "d2p2"], ["C", "c2p0"], ["H", "h1p0"],
  ["Zicsr", "zicsr2p0"], ["Zifencei", "zifencei2p0"], ["Zmmul", "zmmul1p0"],
];

/** The `Tag_RISCV_arch` string GNU `as` writes for `march`, e.g. rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0_zmmul1p0. */
export function attributeArch(march: string): string | ElfWriteError {
  const exts = parseMarch(march);
  if (typeof exts === "string") return new ElfWriteError(exts);
  // M implies Zmmul (multiplication without division), and binutils spells the implication out.
  const has = (e: Ext | "Zmmul") => (e === "Zmmul" ? exts.has("M") : exts.has(e));
  return "rv64" + ISA_VERSIONS.filter(([e]) => has(e)).map(([, v]) => v).join("_");
}

/** Writes the ELF file; an ElfWriteError when the architecture string is not understood. */
export function writeElf(input: ElfWriterInput): Uint8Array | ElfWriteError {
  const march = input.march ?? DEFAULT_MARCH;
  const arch = attributeArch(march);
  if (arch instanceof ElfWriteError) return arch;
  const rvc = (parseMarch(march) as Set<Ext>).has("C");

  const alloc = input.sections.filter((s) => s.size > 0);
  // Section header indices: 0 null, then the allocated sections, then the four non-allocated ones.
  const attrIndex = alloc.length + 1;
  const symtabIndex = attrIndex + 1;
  const strtabIndex = symtabIndex + 1;
  const shstrtabIndex = strtabIndex + 1;
  const sectionIndex = new Map(alloc.map((s, i) => [s.name, i + 1]));

  const attributes = attributesSection(arch);
  const { symtab, strtab, firstGlobal } = symbolTable(input, alloc, sectionIndex, arch);
  const shstr = new StringTable();
  const names = [...alloc.map((s) => s.name), ".riscv.attributes", ".symtab", ".strtab", ".shstrtab"].map((n) => shstr.add(n));
  const shstrtab = shstr.bytes();

  // File layout.
  const phnum = alloc.length + 1;
  let offset = EHDR_SIZE + phnum * PHDR_SIZE;
  const sectionOffsets: number[] = [];
  for (const s of alloc) {
    const want = Number(s.addr % BigInt(PAGE));
    offset += (want - (offset % PAGE) + PAGE) % PAGE;
    sectionOffsets.push(offset);
    if (!s.nobits) offset += s.data.length;
  }
  const attrOffset = offset;
  offset += attributes.length;
  offset = alignUp(offset, 8);
  const symtabOffset = offset;
  offset += symtab.length;
  const strtabOffset = offset;
  offset += strtab.length;
  const shstrtabOffset = offset;
  offset += shstrtab.length;
  const shoff = alignUp(offset, 8);
  const shnum = shstrtabIndex + 1;
  const out = new Uint8Array(shoff + shnum * SHDR_SIZE);
  const view = new DataView(out.buffer);

  // ELF header.
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  view.setUint16(16, ET_EXEC, true);
  view.setUint16(18, EM_RISCV, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(24, input.entry, true);
  view.setBigUint64(32, BigInt(EHDR_SIZE), true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint32(48, rvc ? EF_RISCV_RVC : 0, true); // soft-float ABI: the float-ABI bits stay 0
  view.setUint16(52, EHDR_SIZE, true);
  view.setUint16(54, PHDR_SIZE, true);
  view.setUint16(56, phnum, true);
  view.setUint16(58, SHDR_SIZE, true);
  view.setUint16(60, shnum, true);
  view.setUint16(62, shstrtabIndex, true);

  // Program headers.
  const phdr = (i: number, type: number, flags: number, off: number, addr: bigint, filesz: number, memsz: number, align: number) => {
    const p = EHDR_SIZE + i * PHDR_SIZE;
    view.setUint32(p, type, true);
    view.setUint32(p + 4, flags, true);
    view.setBigUint64(p + 8, BigInt(off), true);
    view.setBigUint64(p + 16, addr, true);
    view.setBigUint64(p + 24, addr, true);
    view.setBigUint64(p + 32, BigInt(filesz), true);
    view.setBigUint64(p + 40, BigInt(memsz), true);
    view.setBigUint64(p + 48, BigInt(align), true);
  };
  phdr(0, PT_RISCV_ATTRIBUTES, PF_R, attrOffset, 0n, attributes.length, 0, 1);
  alloc.forEach((s, i) => {
    const flags = PF_R | (s.write ? PF_W : 0) | (s.exec ? PF_X : 0);
    phdr(i + 1, PT_LOAD, flags, sectionOffsets[i]!, s.addr, s.nobits ? 0 : s.data.length, s.size, PAGE);
  });

  // Contents.
  alloc.forEach((s, i) => {
    if (!s.nobits) out.set(s.data, sectionOffsets[i]!);
  });
  out.set(attributes, attrOffset);
  out.set(symtab, symtabOffset);
  out.set(strtab, strtabOffset);
  out.set(shstrtab, shstrtabOffset);

  // Section headers.
  const shdr = (i: number, name: number, type: number, flags: bigint, addr: bigint, off: number, size: number, link: number, info: number, align: number, entsize: number) => {
    const h = shoff + i * SHDR_SIZE;
    view.setUint32(h, name, true);
    view.setUint32(h + 4, type, true);
    view.setBigUint64(h + 8, flags, true);
    view.setBigUint64(h + 16, addr, true);
    view.setBigUint64(h + 24, BigInt(off), true);
    view.setBigUint64(h + 32, BigInt(size), true);
    view.setUint32(h + 40, link, true);
    view.setUint32(h + 44, info, true);
    view.setBigUint64(h + 48, BigInt(align), true);
    view.setBigUint64(h + 56, BigInt(entsize), true);
  };
  alloc.forEach((s, i) => {
    const flags = SHF_ALLOC | (s.write ? SHF_WRITE : 0n) | (s.exec ? SHF_EXECINSTR : 0n);
    shdr(i + 1, names[i]!, s.nobits ? SHT_NOBITS : SHT_PROGBITS, flags, s.addr, sectionOffsets[i]!, s.size, 0, 0, s.align, 0);
  });
  shdr(attrIndex, names[alloc.length]!, SHT_RISCV_ATTRIBUTES, 0n, 0n, attrOffset, attributes.length, 0, 0, 1, 0);
  shdr(symtabIndex, names[alloc.length + 1]!, SHT_SYMTAB, 0n, 0n, symtabOffset, symtab.length, strtabIndex, firstGlobal, 8, SYM_SIZE);
  shdr(strtabIndex, names[alloc.length + 2]!, SHT_STRTAB, 0n, 0n, strtabOffset, strtab.length, 0, 0, 1, 0);
  shdr(shstrtabIndex, names[alloc.length + 3]!, SHT_STRTAB, 0n, 0n, shstrtabOffset, shstrtab.length, 0, 0, 1, 0);
  return out;
}

/**
 * The ELF of an assembler result (the `hyperstep asm` path); undefined when the assembly had errors,
 * an ElfWriteError when the program has nothing to run (it could not be loaded).
 */
export function elfFromAssembly(
  result: AssembleResult,
  march?: string,
): Uint8Array | ElfWriteError | undefined {
  if (!result.program) return undefined;
  const empty = nothingToRunInSections(result.program.entry, result.sections);
  if (empty) return new ElfWriteError(empty);
  return writeElf({ entry: result.program.entry, sections: result.sections, symbols: result.linkedSymbols, scriptSymbols: result.scriptSymbols, march });
}

/** `.riscv.attributes`: format 'A', one "riscv" subsection with the file-scope tags. */
function attributesSection(arch: string): Uint8Array {
  const TAG_FILE = 1, TAG_ARCH = 5, TAG_PRIV_SPEC = 8, TAG_PRIV_SPEC_MINOR = 10;
  const archBytes = new TextEncoder().encode(arch);
  const tags = [TAG_ARCH, ...archBytes, 0, TAG_PRIV_SPEC, 1, TAG_PRIV_SPEC_MINOR, 11];
  const fileAttrs = [TAG_FILE, ...le32(5 + tags.length), ...tags];
  const vendor = [...new TextEncoder().encode("riscv"), 0];
  const sub = [...le32(4 + vendor.length + fileAttrs.length), ...vendor, ...fileAttrs];
  return Uint8Array.from([0x41, ...sub]);
}

function symbolTable(input: ElfWriterInput, alloc: readonly LinkedSection[], sectionIndex: Map<string, number>, arch: string) {
  const strings = new StringTable();
  const locals: number[][] = [];
  const globals: number[][] = [];
  const sym = (name: string, value: bigint, size: bigint, bind: number, type: number, shndx: number) => {
    const e = new Uint8Array(SYM_SIZE);
    const v = new DataView(e.buffer);
    v.setUint32(0, name === "" ? 0 : strings.add(name), true);
    v.setUint8(4, (bind << 4) | type);
    v.setUint16(6, shndx, true);
    v.setBigUint64(8, BigInt.asUintN(64, value), true);
    v.setBigUint64(16, BigInt.asUintN(64, size), true);
    (bind === STB_LOCAL ? locals : globals).push([...e]);
  };
  sym("", 0n, 0n, STB_LOCAL, STT_NOTYPE, 0);
  alloc.forEach((s, i) => sym("", s.addr, 0n, STB_LOCAL, STT_SECTION, i + 1));
  for (const s of alloc) if (s.exec) sym(`$x${arch}`, s.addr, 0n, STB_LOCAL, STT_NOTYPE, sectionIndex.get(s.name)!);
  const defined = new Set<string>();
  for (const s of input.symbols) {
    defined.add(s.name);
    const shndx = s.section === undefined ? SHN_ABS : sectionIndex.get(s.section) ?? SHN_ABS;
    sym(s.name, s.address, s.size, s.global ? STB_GLOBAL : STB_LOCAL, s.isFunction ? STT_FUNC : STT_NOTYPE, shndx);
  }
  for (const [name, value] of input.scriptSymbols ?? []) {
    if (defined.has(name)) continue;
    // ld makes __global_pointer$ absolute; the others belong to the section they point into (or end).
    const home = name === "__global_pointer$" ? undefined : alloc.find((s) => value >= s.addr && value <= s.addr + BigInt(s.size));
    sym(name, value, 0n, STB_GLOBAL, STT_NOTYPE, home ? sectionIndex.get(home.name)! : SHN_ABS);
  }
  const all = [...locals, ...globals];
  return { symtab: Uint8Array.from(all.flat()), strtab: strings.bytes(), firstGlobal: locals.length };
}

/** An ELF string table: a leading NUL, then each distinct name once. */
class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private readonly offsets = new Map<string, number>();
  private size = 1;

  add(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(name + "\0");
    const at = this.size;
    this.parts.push(bytes);
    this.offsets.set(name, at);
    this.size += bytes.length;
    return at;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}
