import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { buildGuest } from "../../fixtures/elf/build";

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");

/** Runs `hyperstep …` from source, as the bundled dist/hyperstep.js would run. */
function hyperstep(args: string[], input = "") {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "src/cli/main.ts"), ...args], { input, encoding: "latin1", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `hyperstep …` with stdout and stderr into one file, as a terminal shows them: the order they were written in. */
function interleaved(args: string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "hyperstep-order-")), "out.txt");
  const fd = openSync(file, "w");
  try {
    spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "src/cli/main.ts"), ...args], { stdio: ["ignore", fd, fd], timeout: 60_000 });
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, "latin1");
}

describe("hyperstep command line (spawned)", () => {
  it("run --disk: an image that is not whole sectors is a load error that says why, before the guest runs", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-disk-"));
    writeFileSync(path.join(dir, "short.img"), new Uint8Array(700));
    const r = hyperstep(["run", path.join(repo, "sample-guests/hello/hello.S"), "--disk", path.join(dir, "short.img")]);
    assert.equal(r.status, 1, "the load-error status");
    assert.equal(r.stdout, "", "the guest never ran");
    assert.match(r.stderr, /^hyperstep: --disk: '.*short\.img' is 700 bytes, not a whole number of 512-byte sectors/);
  });

  it("run --config: runs a lesson's configuration from the sample guests' launch.json by its name, as F5 would", () => {
    const config = path.join(repo, "sample-guests/.vscode/launch.json");
    const r = hyperstep(["run", "--config", config, "--name", "binary-translation (trap-and-emulate)", "--exits"]);
    assert.equal(r.status, 0, r.stderr);
    const native = hyperstep(["run", path.join(repo, "sample-guests/binary-translation/binary_translation.S")]);
    assert.equal(r.stdout, native.stdout, "the guest's output, the same as a native run's");
    assert.match(r.stderr, /^exit #1 /m, "under the configuration's technique: the VMM's exits");
    const unnamed = hyperstep(["run", "--config", config]);
    assert.equal(unnamed.status, 1);
    assert.match(unnamed.stderr, /launch\.json has \d+ Hyperstep configurations: choose one with --name:\n {2}"hello \(native\)"\n/);
  });

  it("run --trace-traps: the guest's output and the trap lines come out in the order the guest made them", () => {
    // hello.S prints a line, takes an ecall into its handler, then prints another.
    const text = interleaved(["run", path.join(repo, "sample-guests/hello/hello.S"), "--trace-traps"]);
    assert.match(text, /^Hello from a RISC-V guest!\ntrap: ecall-m [^\n]*\nBack from the trap handler\. Goodbye\.\nhyperstep: the guest exited with code 0/);
  });

  it("run --exits: each UART byte is out before the exit line of the store that sent it, and each exit line starts a line", () => {
    const text = interleaved(["run", path.join(repo, "sample-guests/uart-mmio/uart_mmio.S"), "--technique", "trap-and-emulate", "--exits"]);
    const exitLine = /exit #\d+ [^\n]*\n/g;
    let sent = 0;
    let guest = "";
    let pos = 0;
    let checked = 0;
    let divisorLatch = false; // LCR bit 7: offset 0 is then the divisor, not THR
    for (const m of text.matchAll(exitLine)) {
      const store = / to uart (THR|LCR) \(0x([0-9a-f]+)\)$/.exec(m[0].trimEnd());
      const value = store ? parseInt(store[2], 16) : 0;
      if (store?.[1] === "LCR") divisorLatch = (value & 0x80) !== 0;
      if (store?.[1] === "THR" && !divisorLatch) guest += String.fromCharCode(value);
      // Between two exit lines: what the guest sent since, then a line break if it stopped mid-line.
      const chunk = guest.slice(sent);
      const expected = chunk + (chunk !== "" && !chunk.endsWith("\n") ? "\n" : "");
      assert.equal(text.slice(pos, m.index), expected, `before ${m[0].trimEnd()}`);
      sent = guest.length;
      pos = m.index + m[0].length;
      checked++;
    }
    assert.ok(guest.length > 10 && checked > guest.length, `${checked} exits, ${guest.length} bytes`);
  });

  it("run: guest UART output on stdout, the finisher code as exit status, a summary on stderr", () => {
    const r = hyperstep(["run", buildGuest("hello_uart")]);
    assert.equal(r.stdout, "hello\n");
    assert.equal(r.status, 3);
    assert.match(r.stderr, /^hyperstep: the guest exited with code 3 through the SiFive test finisher; \d+ instructions in [\d.]+ m?s\n$/);
  });

  it("run: an assembly source is assembled and run, its traps traced (the demo)", () => {
    const r = hyperstep(["run", path.join(repo, "sample-guests/hello/hello.S"), "--trace-traps"]);
    assert.equal(r.stdout, "Hello from a RISC-V guest!\nBack from the trap handler. Goodbye.\n");
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^trap: ecall-m \(Environment call from M-mode\), cause 0xb, tval 0x0, pc 0x80000020, M -> M, handler 0x80000064$/m);
  });

  it("run: stdin (a pipe) reaches the guest's UART", () => {
    const r = hyperstep(["run", buildGuest("echo")], "ping.");
    assert.equal(r.stdout, "ping.");
    assert.equal(r.status, 0);
  });

  it("run: input that arrives while the guest sleeps in WFI wakes it through the UART interrupt", () => {
    const r = hyperstep(["run", buildGuest("uart_irq")], "wake.");
    assert.equal(r.stdout, "wake.");
    assert.equal(r.status, 0);
  });

  it("run: stdin reaches a paravirtual kernel as console events, which it reads with console_io", () => {
    const r = hyperstep(["run", path.join(repo, "sample-guests/paravirtual/pv_echo.S"), "--technique", "paravirtual", "--exits"], "hello, pv\r");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pv-echo: type a line; each event's input comes back\nhello, pv\npv-echo: end of the line; shutting down\n$/);
    assert.match(r.stderr, /exit #\d+ event-upcall .*events pending on ports 0b1: entered the kernel's event callback/);
    assert.match(r.stderr, /hypercall-console .*console_io\(0x1, 0x40, 0x[0-9a-f]+\) .+ ok: read 10 bytes of console input: "hello, pv\\r"/);
  });

  it("run: --max-instructions ends a guest that never halts with status 124", () => {
    const r = hyperstep(["run", buildGuest("loop"), "--max-instructions", "300000"]);
    assert.equal(r.status, 124);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /stopped at the --max-instructions limit; the guest had not halted; 300000 instructions/);
  });

  it("help, run help and version", () => {
    const help = hyperstep(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: hyperstep <command>/);
    const runHelp = hyperstep(["help", "run"]);
    assert.match(runHelp.stdout, /--max-instructions <n>/);
    assert.match(runHelp.stdout, /124 {2,}the guest did not halt/);
    assert.match(hyperstep(["--version"]).stdout, /^hyperstep \d+\.\d+\.\d+\n$/);
  });

  it("bad arguments: a usage error naming the flag, status 2", () => {
    const r = hyperstep(["run", "x.elf", "--memory", "banana"]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "hyperstep: --memory must be a size such as 128M, 64K or 1G (whole 4 KiB pages, 4K to 4G), not 'banana'\nTry 'hyperstep help run'.\n");
  });

  it("programs that cannot run: clear messages, status 1", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-cli-"));
    const source = path.join(dir, "guest.S");
    writeFileSync(source, "_start: bogus a0\n  addi a0, a1\n");
    const text = path.join(dir, "notes.txt");
    writeFileSync(text, "hello");

    const asm = hyperstep(["run", source]);
    assert.equal(asm.status, 1);
    // Every assembly error is listed, each with file:line:column, as a compiler would.
    assert.match(asm.stderr, new RegExp(`${source.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:9: error: unknown instruction 'bogus'`));
    assert.match(asm.stderr, /guest\.S:2:3: error: 'addi' takes two registers and an immediate/);
    const missing = hyperstep(["run", path.join(dir, "missing.elf")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^hyperstep: cannot read .*missing\.elf: no such file\n$/);
    const notElf = hyperstep(["run", text]);
    assert.equal(notElf.status, 1);
    assert.match(notElf.stderr, /notes\.txt: is neither an ELF executable nor an assembly source/);
  });
});
