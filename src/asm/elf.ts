/**
 * Reads little-endian ELF64 RISC-V executables (ET_EXEC): the loadable segments, the entry point,
 * the symbol table and the section headers.
 *
 * Every field is bounds-checked before it is used, so a malformed file yields an `ElfError` that
 * says what is wrong and where, never a RangeError from a DataView and never a hang: every loop is
 * bounded by a count that has already been checked against the file's length.
 *
 * Segments are placed at their physical address (p_paddr), as QEMU's `-kernel` loader does. Whether
 * they fit in RAM is the board's business (`Board.load` throws LoadError).
 */

export class ElfError extends Error {
  override readonly name = "ElfError";
}

export interface ElfSegment {
  paddr: number;
  vaddr: bigint;
  /** The file bytes of the segment (a view into the input, not a copy). */
  data: Uint8Array;
  /** Size in memory; bytes beyond `data.length` are zero (.bss). */
  memsz: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  flags: number;
}

export type SymbolType = "notype" | "object" | "func" | "section" | "file" | "common" | "tls" | "other";
export type SymbolBind = "local" | "global" | "weak" | "other";

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  type: SymbolType;
  bind: SymbolBind;
  /** Section header index (st_shndx): an index into `sections`, or SHN_UNDEF (0), SHN_ABS (0xfff1), SHN_COMMON (0xfff2). */
  section: number;
}

export interface ElfSection {
  name: string;
  /** sh_type: 1 PROGBITS, 2 SYMTAB, 3 STRTAB, 8 NOBITS, … */
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: bigint;
  /** sh_link: for a symbol table, the index of its string table. */
  link: number;
  /** The section's file bytes; empty for SHT_NOBITS. */
  data: Uint8Array;
}

export interface ElfImage {
  entry: bigint;
  segments: ElfSegment[];
  symbols: ElfSymbol[];
  /** All section headers in file order, so `sections[sym.section]` is a symbol's section (index 0 is the null section). */
  sections: ElfSection[];
}

const EM_RISCV = 243;
const ET_EXEC = 2;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
/** Physical addresses are JavaScript numbers; nothing the board decodes lies above 2^53. */
const MAX_PHYS = 2 ** 53;
/** Larger than any RAM a board accepts (4 GiB); a bigger segment is a corrupt header. */
const MAX_SEGMENT_BYTES = 2 ** 32;

const TYPE_NAMES: SymbolType[] = ["notype", "object", "func", "section", "file", "common", "tls"];
const BIND_NAMES: SymbolBind[] = ["local", "global", "weak"];

const hex = (v: number | bigint) => "0x" + v.toString(16);

/** Parses an ELF executable. Returns the image, or an ElfError describing the first problem found. */
export function parseElf(bytes: Uint8Array): ElfImage | ElfError {
  try {
    return new Reader(bytes).image();
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw e;
  }
}

/** Finds a symbol by name (the first global one, else the first of any binding). */
export function findSymbol(image: ElfImage, name: string): ElfSymbol | undefined {
  const all = image.symbols.filter((s) => s.name === name && s.section !== 0);
  return all.find((s) => s.bind === "global") ?? all[0];
}

class Reader {
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  image(): ElfImage {
    const { bytes, view } = this;
    if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new ElfError("not an ELF file (the first bytes are not \\x7fELF)");
    }
    if (bytes.length < EHDR_SIZE) throw new ElfError(`truncated ELF header: the file has ${bytes.length} bytes, the header needs ${EHDR_SIZE}`);
    if (bytes[4] === 1) throw new ElfError("32-bit ELF (ELFCLASS32) is not supported; Hyperstep runs RV64 ELF64 executables");
    if (bytes[4] !== 2) throw new ElfError(`unknown ELF class ${bytes[4]} (expected 2, ELFCLASS64)`);
    if (bytes[5] === 2) throw new ElfError("big-endian ELF is not supported; RISC-V executables are little-endian");
    if (bytes[5] !== 1) throw new ElfError(`unknown ELF data encoding ${bytes[5]} (expected 1, little-endian)`);
    if (bytes[6] !== 1) throw new ElfError(`unknown ELF version ${bytes[6]} (expected 1)`);

    const type = view.getUint16(16, true);
    const machine = view.getUint16(18, true);
    if (machine !== EM_RISCV) throw new ElfError(`ELF machine is ${machine}${machine === 62 ? " (x86-64)" : machine === 183 ? " (AArch64)" : ""}, not RISC-V (243)`);
    if (type !== ET_EXEC) {
      const what = type === 1 ? "a relocatable object (ET_REL); link it first" : type === 3 ? "position-independent (ET_DYN); link it at a fixed address" : `of type ${type}`;
      throw new ElfError(`ELF file is ${what}; only executables (ET_EXEC) can be loaded`);
    }
    const entry = view.getBigUint64(24, true);
    const phoff = this.offset(view.getBigUint64(32, true), "program header offset (e_phoff)");
    const shoff = view.getBigUint64(40, true);
    const phentsize = view.getUint16(54, true);
    const phnum = view.getUint16(56, true);
    const shentsize = view.getUint16(58, true);
    const shnum = view.getUint16(60, true);
    const shstrndx = view.getUint16(62, true);

    if (phnum === 0) throw new ElfError("ELF file has no program headers, so nothing to load");
    if (phnum === 0xffff) throw new ElfError("extended program header numbering (e_phnum = 0xffff) is not supported");
    if (phentsize !== PHDR_SIZE) throw new ElfError(`program header entry size (e_phentsize) is ${phentsize}, expected ${PHDR_SIZE}`);
    this.checkTable(phoff, phnum, PHDR_SIZE, "program header table");

    const segments = this.segments(phoff, phnum);
    const sections = shoff === 0n && shnum === 0 ? [] : this.sections(this.offset(shoff, "section header offset (e_shoff)"), shnum, shentsize, shstrndx);
    return { entry, segments, symbols: this.symbols(sections), sections };
  }

  private segments(phoff: number, phnum: number): ElfSegment[] {
    const { view } = this;
    const segments: ElfSegment[] = [];
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * PHDR_SIZE;
      if (view.getUint32(p, true) !== PT_LOAD) continue;
      const flags = view.getUint32(p + 4, true);
      const offset = view.getBigUint64(p + 8, true);
      const vaddr = view.getBigUint64(p + 16, true);
      const paddr = view.getBigUint64(p + 24, true);
      const filesz = view.getBigUint64(p + 32, true);
      const memsz = view.getBigUint64(p + 40, true);
      const what = `segment ${i} (PT_LOAD at physical ${hex(paddr)})`;
      if (filesz > memsz) throw new ElfError(`${what}: file size ${hex(filesz)} exceeds memory size ${hex(memsz)}`);
      if (memsz > BigInt(MAX_SEGMENT_BYTES)) throw new ElfError(`${what}: memory size ${hex(memsz)} is larger than any RAM (4 GiB)`);
      if (paddr + memsz > BigInt(MAX_PHYS)) throw new ElfError(`${what}: ends beyond the physical address space (2^53)`);
      if (offset + filesz > BigInt(this.bytes.length)) {
        throw new ElfError(`${what}: its file bytes [${hex(offset)}, ${hex(offset + filesz)}) run past the end of the file (${hex(this.bytes.length)} bytes)`);
      }
      const start = Number(offset);
      segments.push({ paddr: Number(paddr), vaddr, data: this.bytes.subarray(start, start + Number(filesz)), memsz: Number(memsz), flags });
    }
    if (segments.length === 0) throw new ElfError("ELF file has no PT_LOAD segment, so nothing to load");
    const sorted = segments.filter((s) => s.memsz > 0).sort((a, b) => a.paddr - b.paddr);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1], b = sorted[i];
      if (b.paddr < a.paddr + a.memsz) {
        throw new ElfError(`PT_LOAD segments overlap: [${hex(a.paddr)}, ${hex(a.paddr + a.memsz)}) and [${hex(b.paddr)}, ${hex(b.paddr + b.memsz)})`);
      }
    }
    return segments;
  }

  private sections(shoff: number, shnum: number, shentsize: number, shstrndx: number): ElfSection[] {
    const { view } = this;
    if (shnum === 0) throw new ElfError("extended section numbering (e_shnum = 0 with a section header table) is not supported");
    if (shentsize !== SHDR_SIZE) throw new ElfError(`section header entry size (e_shentsize) is ${shentsize}, expected ${SHDR_SIZE}`);
    this.checkTable(shoff, shnum, SHDR_SIZE, "section header table");
    if (shstrndx === 0xffff) throw new ElfError("extended section name table index (e_shstrndx = 0xffff) is not supported");
    if (shstrndx >= shnum) throw new ElfError(`section name table index (e_shstrndx) ${shstrndx} is not below the section count ${shnum}`);

    const sections: ElfSection[] = [];
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const s = shoff + i * SHDR_SIZE;
      const type = view.getUint32(s + 4, true);
      const size = view.getBigUint64(s + 32, true);
      let data: Uint8Array = new Uint8Array(0);
      let offset = 0;
      if (i !== 0 && type !== SHT_NOBITS && type !== 0) {
        const off = view.getBigUint64(s + 24, true);
        if (off + size > BigInt(this.bytes.length)) {
          throw new ElfError(`section ${i}: its bytes [${hex(off)}, ${hex(off + size)}) run past the end of the file (${hex(this.bytes.length)} bytes)`);
        }
        offset = Number(off);
        data = this.bytes.subarray(offset, offset + Number(size));
      }
      nameOffsets.push(view.getUint32(s, true));
      sections.push({
        name: "",
        type,
        flags: view.getBigUint64(s + 8, true),
        addr: view.getBigUint64(s + 16, true),
        offset,
        size,
        link: view.getUint32(s + 40, true),
        data,
      });
    }
    const names = sections[shstrndx].data;
    for (let i = 1; i < shnum; i++) sections[i].name = readString(names, nameOffsets[i], `name of section ${i}`);
    return sections;
  }

  private symbols(sections: ElfSection[]): ElfSymbol[] {
    const index = sections.findIndex((s) => s.type === SHT_SYMTAB);
    if (index < 0) return [];
    const symtab = sections[index];
    const link = symtab.link;
    if (link === 0 || link >= sections.length) throw new ElfError(`symbol table (section ${index}) links to string table ${link}, which does not exist`);
    if (symtab.data.length % SYM_SIZE !== 0) throw new ElfError(`symbol table size ${symtab.data.length} is not a multiple of ${SYM_SIZE}`);
    const strings = sections[link].data;
    const view = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
    const symbols: ElfSymbol[] = [];
    for (let o = SYM_SIZE; o < symtab.data.length; o += SYM_SIZE) {
      const info = view.getUint8(o + 4);
      symbols.push({
        name: readString(strings, view.getUint32(o, true), `name of symbol ${o / SYM_SIZE}`),
        type: TYPE_NAMES[info & 0xf] ?? "other",
        bind: BIND_NAMES[info >> 4] ?? "other",
        section: view.getUint16(o + 6, true),
        value: view.getBigUint64(o + 8, true),
        size: view.getBigUint64(o + 16, true),
      });
    }
    return symbols;
  }

  /** A file offset from a 64-bit header field; anything past the file is rejected here. */
  private offset(value: bigint, what: string): number {
    if (value > BigInt(this.bytes.length)) throw new ElfError(`${what} ${hex(value)} lies past the end of the file (${hex(this.bytes.length)} bytes)`);
    return Number(value);
  }

  private checkTable(offset: number, count: number, entrySize: number, what: string): void {
    const end = offset + count * entrySize;
    if (end > this.bytes.length) {
      throw new ElfError(`truncated ${what}: ${count} entries at ${hex(offset)} need bytes up to ${hex(end)}, the file has ${hex(this.bytes.length)}`);
    }
  }
}

const decoder = new TextDecoder("utf-8");

function readString(table: Uint8Array, offset: number, what: string): string {
  if (offset >= table.length) {
    if (offset === 0) return "";
    throw new ElfError(`${what}: string offset ${hex(offset)} lies outside its string table (${table.length} bytes)`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw new ElfError(`${what}: string at offset ${hex(offset)} is not NUL-terminated`);
  return decoder.decode(table.subarray(offset, end));
}
