/**
 * The S-mode sample guest (sample-guests/supervisor-boot) on its reference platform: QEMU's `virt` board with
 * the OpenSBI that Debian ships for it as firmware (`-bios default`), the guest loaded behind it at
 * 0x80200000 and entered in S-mode, as a Linux kernel would be. Hyperstep's VMM plays OpenSBI's part under
 * `boot: "supervisor"`; this pins down what the guest does against the real thing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { assemble } from "../../src/asm/assemble";
import { ElfError, parseElf, type ElfImage } from "../../src/asm/elf";
import { ROOT } from "./guests";
import { OracleMissingError, QEMU, QEMU_CPU } from "./qemu";

const SOURCE = join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S");
const ELF = join(ROOT, "build/test-guests/supervisor-boot.elf");
/** Where OpenSBI's fw_dynamic enters the kernel on a 64-bit `virt` board: the 2 MiB after the firmware. */
const KERNEL_BASE = 0x80200000n;
const GCC = "riscv64-unknown-elf-gcc";

const EXPECTED = `supervisor-boot: hello from S-mode
legacy putchar: booted on hart 0
probe TIME: yes
probe SRST: yes
Sv39 on; at VA 0x40000000: a note in a page of its own
supervisor timer interrupt 1
supervisor timer interrupt 2
shutting down through SRST
`;

/** Builds the guest at KERNEL_BASE; `-n` keeps the ELF headers out of the image, whose lowest address QEMU hands OpenSBI as the entry. */
function buildGuest(): void {
  mkdirSync(join(ROOT, "build/test-guests"), { recursive: true });
  const r = spawnSync(GCC, [
    "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-nostdlib", "-nostartfiles", "-g",
    `-Wl,-Ttext=0x${KERNEL_BASE.toString(16)},-n,--no-warn-rwx-segments`, "-o", ELF, SOURCE,
  ], { encoding: "utf8" });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OracleMissingError(GCC, "gcc-riscv64-unknown-elf");
  if (r.status !== 0) throw new Error(`${GCC} failed on ${SOURCE}:\n${r.stderr}`);
}

function readElf(path: string): ElfImage {
  const image = parseElf(new Uint8Array(readFileSync(path)));
  if (image instanceof ElfError) throw image;
  return image;
}

before(() => buildGuest());

test("the guest is linked behind the firmware: entry and lowest loaded address 0x80200000", () => {
  const image = readElf(ELF);
  assert.equal(image.entry, KERNEL_BASE);
  const loaded = image.segments.filter((s) => s.memsz > 0).map((s) => BigInt(s.paddr));
  assert.equal(loaded.reduce((a, b) => (a < b ? a : b)), KERNEL_BASE);
});

test("on QEMU with OpenSBI, the guest boots in S-mode, prints through the SBI and shuts down through SRST", () => {
  const r = spawnSync(QEMU, [
    "-machine", "virt", "-cpu", QEMU_CPU, "-nographic", "-bios", "default", "-kernel", ELF, "-icount", "shift=0,sleep=off",
  ], { encoding: "latin1", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OracleMissingError(QEMU, "qemu-system-misc");
  assert.equal(r.error, undefined, `QEMU did not finish: ${String(r.error)}`);
  const out = r.stdout;
  // The firmware ran first and handed over to the guest in S-mode at its entry.
  assert.match(out, /^OpenSBI v\d+\.\d+$/m, `no OpenSBI banner (is qemu-system-data's firmware installed?): ${r.stderr}`);
  assert.match(out, /^Domain0 Next Address\s*: 0x0*80200000$/m);
  assert.match(out, /^Domain0 Next Mode\s*: S-mode$/m);
  // Everything after the banner is the guest's: compare all of it. OpenSBI's console adds a carriage
  // return before each newline (sbi_putc); the guest sends none, and Hyperstep's SBI passes bytes as they are.
  const start = out.indexOf("supervisor-boot: ");
  assert.ok(start >= 0, `the guest printed nothing:\n${out}\n${r.stderr}`);
  assert.equal(out.slice(start).replaceAll("\r\n", "\n"), EXPECTED);
  // SRST shutdown reaches the SiFive test finisher as "pass".
  assert.equal(r.status, 0, r.stderr);
});

test("Hyperstep's assembler gives the same code and data as gcc, though it links at 0x80000000: all of it is pc-relative", () => {
  const ours = assemble(SOURCE, (p) => (existsSync(p) ? readFileSync(p, "utf8") : undefined));
  assert.deepEqual(ours.errors, []);
  assert.equal(ours.program?.entry, 0x80000000n);
  const gcc = readElf(ELF);
  for (const name of [".text", ".rodata", ".data"]) {
    const mine = ours.sections.find((s) => s.name === name);
    const theirs = gcc.sections.find((s) => s.name === name);
    assert.ok(mine && theirs, `${name} is in both`);
    assert.deepEqual(mine.data, theirs.data, `${name} has the same bytes`);
  }
});
