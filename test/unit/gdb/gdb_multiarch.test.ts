/**
 * Debian's gdb-multiarch, in batch mode, against `hyperstep run --gdb tcp::0 --wait` on sample
 * guests: what a user of GDB sees. Fails (never skips) when gdb-multiarch is not installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EXIT_INTERRUPTED } from "../../../src/cli/exit_status";
import { CLI, gdb, hyperstep } from "../../support/gdb";

const repo = path.resolve(import.meta.dirname, "../../..");

/** Assembles a sample guest into an ELF, so that GDB has its symbols. */
function elf(source: string): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "hyperstep-gdb-")), path.basename(source).replace(/\.S$/, ".elf"));
  const r = spawnSync(process.execPath, [...CLI, "asm", path.join(repo, source), "-o", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const TIMER = "sample-guests/timer-interrupts/timer_interrupts.S";

describe("gdb-multiarch against hyperstep run --gdb", { timeout: 120_000 }, () => {
  it("breakpoint, step, registers (CSRs and priv too), memory, a watchpoint, and the guest's exit", async () => {
    const program = elf(TIMER);
    const run = await hyperstep(program);
    const session = gdb(program, run.port, [
      "p $pc",
      "break *timer_handler",
      "continue",
      "p/x $sp",
      "stepi",
      "p $pc",
      "p/x $mcause",
      "p $priv",
      "p/x $sp",
      "x/s &msg_tick",
      "delete",
      "watch *(char *)&tick_digit",
      "continue",
      "delete",
      "continue",
    ]);
    const g = await session.done;
    const out = g.stdout;
    assert.match(out, /^\$1 = \(void \(\*\)\(\)\) 0x80000000 <_start>$/m, "held at the entry");
    assert.match(out, /^Breakpoint 1, 0x[0-9a-f]+ in timer_handler \(\)$/m);
    const sp = [...out.matchAll(/^\$[26] = (0x[0-9a-f]+)$/gm)].map((m) => BigInt(m[1]));
    assert.deepEqual(sp.length === 2 && sp[0] - sp[1], 16n, "the step ran the handler's addi sp, sp, -16");
    assert.match(out, /^\$3 = \(void \(\*\)\(\)\) 0x[0-9a-f]+ <timer_handler\+2>$/m, "one instruction (2 bytes) further");
    assert.match(out, /^\$4 = 0x8000000000000007$/m, "mcause: the machine timer interrupt");
    assert.match(out, /^\$5 = 3$/m, "priv: M-mode");
    assert.match(out, /^0x[0-9a-f]+:\s+"tick \?\\n"$/m, "the digit is not written yet");
    assert.match(out, /Hardware watchpoint 2: \*\(char \*\)&tick_digit\n\nOld value = 63 '\?'\nNew value = 49 '1'/);
    assert.match(out, /\[Inferior 1 \(Remote target\) exited normally\]/);
    assert.equal(g.status, 0, g.stderr);
    const r = await run.done;
    assert.equal(r.stdout, "tick 1\ntick 2\ntick 3\nthree timer interrupts taken; done\n");
    assert.equal(r.status, 0);
    assert.match(r.stderr, /the guest exited with code 0 through the SiFive test finisher/);
  });

  it("monitor runs the Debug Console's VMM views; info all-registers lists the hart's CSRs and f registers", async () => {
    const program = elf(TIMER);
    const run = await hyperstep(program, ["--technique", "trap-and-emulate"]);
    const g = await gdb(program, run.port, [
      "break *timer_handler",
      "continue",
      "monitor exits 2",
      "monitor stats",
      "monitor shadow tick_digit",
      "info all-registers",
      "set $fa1 = 2.5",
      "p $fa1",
      "kill",
    ]).done;
    // GDB prints what the stub sends for `monitor` on stderr.
    assert.match(g.stderr, /^\(the last 2 of \d+\)$/m);
    assert.match(g.stderr, /^\s+\d+\s+virtual-interrupt\s+0x[0-9a-f]+ <wait\+0x4>/m);
    assert.match(g.stderr, /^exits per million instructions: [\d.]+$/m);
    assert.match(g.stderr, /^gva 0x[0-9a-f]+ in context /m);
    for (const csr of ["mstatus", "mtvec", "mepc", "satp", "priv"]) assert.match(g.stdout, new RegExp(`^${csr}\\s+0x[0-9a-f]+`, "m"), csr);
    assert.doesNotMatch(g.stdout, /^hgatp\s/m, "no H extension on this hart");
    // F and D: the fpu feature's f registers (as float and double) and fcsr, writable from GDB.
    assert.match(g.stdout, /^ft0\s+\{float = 0, double = 0\}/m);
    assert.match(g.stdout, /^fcsr\s+0x0/m);
    assert.match(g.stdout, /^\$1 = \{float = [^,]+, double = 2\.5\}$/m);
    const r = await run.done;
    assert.equal(r.status, EXIT_INTERRUPTED);
    assert.match(r.stderr, /killed by the GDB client/);
  });

  it("Ctrl-C in GDB interrupts a guest that runs forever", async () => {
    const program = elf("test/fixtures/elf/loop.S");
    const run = await hyperstep(program);
    const session = gdb(program, run.port, ["continue", "p $a0 > 1000", "p $pc", "kill"]);
    // Once GDB has continued the guest, and the guest has run a while: as a user pressing Ctrl-C.
    let out = "";
    session.child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("in _start ()")) setTimeout(() => session.child.kill("SIGINT"), 500);
    });
    const g = await session.done;
    assert.match(g.stdout, /Program received signal SIGINT, Interrupt\./);
    assert.match(g.stdout, /^\$1 = 1$/m, "a0 counted on while the guest ran");
    assert.match(g.stdout, /^\$2 = \(void \(\*\)\(\)\) 0x8000000[0-9a-f] <_start(\+\d+)?>$/m);
    assert.equal((await run.done).status, EXIT_INTERRUPTED);
  });

  it("a --gdb port in use ends the run before it starts, with status 1 and why", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [...CLI, "run", elf(TIMER), "--gdb", `tcp::${port}`], { encoding: "utf8" });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`cannot serve GDB: port ${port} on 127\\.0\\.0\\.1 is in use`));
      assert.equal(r.stdout, "", "the guest never ran");
    } finally {
      taken.close();
    }
  });
});
