import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { DwarfError, dwarfSectionsOf, lineEntriesOf, readDebugLine, type DwarfLineRow, type DwarfSections } from "../../../src/asm/dwarf_line";
import { parseElf } from "../../../src/asm/elf";
import { readGuestImage } from "../../../src/asm/guest_image";

/** A C guest across two files and a header (so the line program switches files), a loop, and a .S. */
const SOURCES: Record<string, string> = {
  "main.c": `int sum(int n);
int square(int x);
void boot(void);
void _start(void) {
  volatile int total = 0;
  for (int i = 0; i < 10; i++) {
    total += square(i);
  }
  total += sum(5);
  boot();
  for (;;) {}
}
`,
  "util.c": `#include "inc/helpers.h"
int square(int x) {
  return twice(x) * x;
}
int sum(int n) {
  int s = 0;
  while (n > 0) {
    s += n;
    n--;
  }
  return s;
}
`,
  "inc/helpers.h": `static __attribute__((noinline)) int twice(int v) {
  return v + v;
}
`,
  "start.S": `#define STEP 2
  .globl boot
boot:
  li a0, 1
  addi a0, a0, STEP
  ret
`,
};

/** Builds the guest with Debian's gcc in a fresh directory; throws (so the test fails) without gcc. */
function buildCGuest(dwarfVersion: 4 | 5, opt: string): { dir: string; elf: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "hs-dwarf-"));
  for (const [name, text] of Object.entries(SOURCES)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const elf = path.join(dir, "guest.elf");
  try {
    execFileSync("riscv64-unknown-elf-gcc", [
      "-g", `-gdwarf-${dwarfVersion}`, opt, "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-nostdlib", "-nostartfiles",
      "-Wl,-Ttext=0x80000000", "main.c", "util.c", "start.S", "-o", elf,
    ], { cwd: dir, stdio: "pipe" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("riscv64-unknown-elf-gcc is missing: install gcc-riscv64-unknown-elf");
    throw new Error(`gcc failed: ${err.stderr?.toString() ?? err.message}`);
  }
  return { dir, elf };
}

interface OracleRow {
  base: string;
  line: number | undefined;
  address: bigint;
  isStmt: boolean;
}

/** `objdump --dwarf=decodedline` rows: file (base name), line ("-" ends a sequence), address, stmt mark. */
function objdumpRows(elf: string): OracleRow[] {
  const text = execFileSync("riscv64-unknown-elf-objdump", ["--dwarf=decodedline", "-w", elf], { encoding: "utf8" });
  const rows: OracleRow[] = [];
  for (const l of text.split("\n")) {
    const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?(\s+x)?\s*$/.exec(l);
    if (m) rows.push({ base: m[1], line: m[2] === "-" ? undefined : Number(m[2]), address: BigInt(m[3]), isStmt: m[4] !== undefined });
  }
  return rows;
}

function ourRows(elf: string): DwarfLineRow[] {
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  if (image instanceof Error) throw image;
  const sections = dwarfSectionsOf(image);
  assert.ok(sections, "the ELF has no .debug_line");
  const rows = readDebugLine(sections);
  if (rows instanceof DwarfError) assert.fail(rows.message);
  return rows;
}

describe("DWARF .debug_line matches objdump --dwarf=decodedline on a gcc -g guest", () => {
  for (const version of [4, 5] as const) {
    for (const opt of ["-O0", "-O1"]) {
      it(`DWARF ${version}, ${opt}`, () => {
        const { dir, elf } = buildCGuest(version, opt);
        const expected = objdumpRows(elf);
        const rows = ourRows(elf);
        assert.ok(expected.length > 20, `objdump printed only ${expected.length} rows`);
        const got: OracleRow[] = rows.map((r) => ({
          base: path.basename(r.file),
          line: r.endSequence ? undefined : r.line,
          address: r.address,
          // objdump leaves the stmt column empty on end-of-sequence rows.
          isStmt: r.isStmt && !r.endSequence,
        }));
        assert.deepEqual(got, expected);

        // Every file name is resolved to the file gcc compiled, header and .S included.
        const files = new Set(rows.map((r) => r.file));
        for (const name of ["main.c", "util.c", "inc/helpers.h", "start.S"]) {
          assert.ok(files.has(path.join(dir, name)), `${name} is missing from ${[...files].join(", ")}`);
        }
        for (const f of files) assert.ok(existsSync(f), `${f} does not exist`);
        // Columns come through (the .S rows have none; C statements do).
        assert.ok(rows.some((r) => r.column > 0));
      });
    }
  }

  it("gives ELF guests a line table: the loop's lines and the .S lines, sorted by address", () => {
    const { dir, elf } = buildCGuest(5, "-O0");
    const r = readGuestImage(elf, new Uint8Array(readFileSync(elf)));
    assert.ok(r.ok);
    const table = r.program.lineTable ?? [];
    for (let i = 1; i < table.length; i++) assert.ok(table[i - 1].address <= table[i].address);
    const at = (file: string, line: number) => table.filter((e) => e.file === path.join(dir, file) && e.line === line);
    assert.ok(at("main.c", 7).length >= 1, "the loop body (main.c:7) has no address");
    assert.ok(at("util.c", 8).length >= 1, "the while body (util.c:8) has no address");
    const boot = r.program.symbols.find((s) => s.name === "boot");
    assert.ok(boot);
    assert.deepEqual(at("start.S", 4).map((e) => e.address), [boot.address]);
    assert.equal(at("start.S", 5)[0]?.address, boot.address + 2n); // c.li is 2 bytes
  });
});

describe("lineEntriesOf", () => {
  const row = (address: bigint, line: number, isStmt = true, endSequence = false): DwarfLineRow =>
    ({ address, file: "/a.c", line, column: 0, isStmt, endSequence });
  it("keeps is_stmt rows, sorted stably by address, without end markers or repeats", () => {
    const rows = [row(0x20n, 9), row(0x24n, 9, true, true), row(0x10n, 3), row(0x10n, 3), row(0x10n, 4, false), row(0x12n, 5)];
    assert.deepEqual(lineEntriesOf(rows), [
      { address: 0x10n, file: "/a.c", line: 3 },
      { address: 0x12n, file: "/a.c", line: 5 },
      { address: 0x20n, file: "/a.c", line: 9 },
    ]);
  });
});

/** A small seeded generator, so a failure names a reproducible iteration. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("readDebugLine on malformed input", () => {
  it("returns DwarfError for truncated, empty-field and absurd-count tables", () => {
    const unit = (body: number[]) => new Uint8Array([...u32(body.length), ...body]);
    // A DWARF 5 unit: version, address size 8, segment selector size 0, then the header after its length.
    const v5 = (header: number[], program: number[] = []) => unit([5, 0, 8, 0, ...u32(header.length), ...header, ...program]);
    const EMPTY_TABLES = [1, 1, 1, 0xfb, 14, 1, 0, 0, 0, 0];
    const cases: [string, DwarfSections][] = [
      ["truncated length", { debugLine: new Uint8Array([0x10, 0, 0]) }],
      ["length past the end", { debugLine: new Uint8Array([0xff, 0, 0, 0, 5, 0]) }],
      ["version 9", { debugLine: unit([9, 0, 0, 0, 0, 0]) }],
      ["header past the unit", { debugLine: unit([5, 0, 8, 0, ...u32(99), 1, 1, 1]) }],
      // min 1, maxops 1, stmt 1, base -5, range 0 (invalid), opcode base 13.
      ["line range 0", { debugLine: v5([1, 1, 1, 0xfb, 0, 13, ...Array(12).fill(0)]) }],
      // A directory table with no fields but 2^35 entries must not loop.
      ["fieldless directory table", { debugLine: v5([1, 1, 1, 0xfb, 14, 2, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0, 0, 0]) }],
      ["line_strp without .debug_line_str", { debugLine: v5([1, 1, 1, 0xfb, 14, 1, 1, 1, 0x1f, 1, 0, 0, 0, 0]) }],
      ["extended opcode past the unit", { debugLine: v5(EMPTY_TABLES, [0, 9, 2]) }],
      ["set_address of 3 bytes", { debugLine: v5(EMPTY_TABLES, [0, 4, 2, 1, 2, 3]) }],
    ];
    for (const [what, sections] of cases) {
      const r = readDebugLine(sections);
      assert.ok(r instanceof DwarfError, `${what}: expected an error, got ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
      assert.match(r.message, /^malformed DWARF: /);
    }
  });

  it("survives 3000 mutations of a real DWARF 5 and DWARF 4 table without throwing or hanging", () => {
    for (const version of [4, 5] as const) {
      const image = parseElf(new Uint8Array(readFileSync(buildCGuest(version, "-O1").elf)));
      if (image instanceof Error) throw image;
      const good = dwarfSectionsOf(image)!;
      const rnd = prng(version);
      const started = Date.now();
      for (let iter = 0; iter < 1500; iter++) {
        const target = (["debugLine", "debugLine", "debugLine", "debugInfo", "debugAbbrev", "debugLineStr"] as const)[Math.floor(rnd() * 6)];
        const original = good[target];
        if (!original) continue;
        let bytes = original.slice();
        for (let e = 0, n = 1 + Math.floor(rnd() * 4); e < n; e++) {
          if (rnd() < 0.85) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
          else bytes = bytes.subarray(0, Math.floor(rnd() * bytes.length));
        }
        let r: ReturnType<typeof readDebugLine>;
        try {
          r = readDebugLine({ ...good, [target]: bytes });
        } catch (e) {
          assert.fail(`DWARF ${version} iteration ${iter} (${target}) threw: ${String(e)}`);
        }
        if (!(r instanceof DwarfError)) assert.ok(Array.isArray(r));
      }
      assert.ok(Date.now() - started < 20_000, "fuzzing took too long: something loops");
    }
  });

  it("never throws on random bytes", () => {
    const rnd = prng(42);
    for (let iter = 0; iter < 2000; iter++) {
      const bytes = Uint8Array.from({ length: Math.floor(rnd() * 96) }, () => Math.floor(rnd() * 256));
      // Plausible unit headers make the random bytes reach the header and program readers.
      if (bytes.length > 8 && rnd() < 0.7) {
        bytes.set(u32(bytes.length - 4), 0);
        bytes[4] = rnd() < 0.5 ? 4 : 5;
        bytes[5] = 0;
      }
      const r = readDebugLine({ debugLine: bytes, debugLineStr: bytes, debugStr: bytes });
      assert.ok(r instanceof DwarfError || Array.isArray(r));
    }
  });
});

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
