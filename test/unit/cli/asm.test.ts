import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const repo = path.resolve(import.meta.dirname, "../../..");
const HELLO = path.join(repo, "sample-guests/hello/hello.S");

function hyperstep(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "src/cli/main.ts"), ...args], { encoding: "latin1", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("hyperstep asm", () => {
  it("writes an ELF that objdump reads, QEMU runs and Hyperstep runs, all alike", () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "hyperstep-asm-")), "hello.elf");
    const r = hyperstep(["asm", HELLO, "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");

    const dump = spawnSync("riscv64-unknown-elf-objdump", ["-d", out], { encoding: "utf8" });
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /^0000000080000000 <_start>:$/m);
    assert.match(dump.stdout, /<trap_handler>:\n.*csrr\tt0,mepc/);

    const expected = "Hello from a RISC-V guest!\nBack from the trap handler. Goodbye.\n";
    const qemu = spawnSync("qemu-system-riscv64", ["-machine", "virt", "-nographic", "-bios", "none", "-kernel", out], { encoding: "latin1", timeout: 30_000 });
    assert.equal(qemu.status, 0, qemu.stderr);
    assert.equal(qemu.stdout.replace(/\r\n/g, "\n"), expected);
    const ours = hyperstep(["run", out]);
    assert.equal(ours.status, 0);
    assert.equal(ours.stdout, expected);
  });

  it("lists every assembly error with its location, and writes nothing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-asm-"));
    const bad = path.join(dir, "bad.S");
    writeFileSync(bad, "_start:\n  addi a0, a1\n  frob t0\n");
    const r = hyperstep(["asm", bad, "-o", path.join(dir, "bad.elf")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.S:2:3: error: 'addi' takes two registers and an immediate/);
    assert.match(r.stderr, /bad\.S:3:3: error: unknown instruction 'frob'/);
    assert.equal(spawnSync("test", ["-e", path.join(dir, "bad.elf")]).status, 1, "no ELF was written");
  });

  it("usage errors name what is missing", () => {
    const noOut = hyperstep(["asm", HELLO]);
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /'asm' needs an output file: -o out\.elf\nTry 'hyperstep help asm'\./);
    const help = hyperstep(["help", "asm"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: hyperstep asm <source\.S\|source\.s> -o <output\.elf>/);
  });
});
