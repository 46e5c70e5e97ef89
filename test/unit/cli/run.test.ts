import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadProgram, ProgramError, type GuestProgram } from "../../../src/cli/program";
import { runProgram, speed, type RunIo, type RunSettings } from "../../../src/cli/run";
import { buildGuest } from "../../fixtures/elf/build";
import { ROOT } from "../../support/guests";

async function guest(name: string): Promise<GuestProgram> {
  const p = await loadProgram(buildGuest(name));
  if (p instanceof ProgramError) assert.fail(p.message);
  return p;
}

function fakeIo(inputText = "", interruptAfterBreaths = Infinity) {
  const out: number[] = [];
  const logs: string[] = [];
  const input = [...Buffer.from(inputText)];
  let breaths = 0;
  const io: RunIo = {
    out: { write: (b) => out.push(b) },
    input: { read: () => input.shift() ?? -1 },
    log: (line) => logs.push(line),
    flush: () => {},
    inputOpen: () => input.length > 0,
    waitForInput: async () => {},
    breathe: async () => void breaths++,
    interrupted: () => breaths >= interruptAfterBreaths,
    now: () => performance.now(),
  };
  return { io, logs, output: () => Buffer.from(out).toString("latin1") };
}

const settings = (more: Partial<RunSettings> = {}): RunSettings => ({ memoryBytes: 1 << 20, traceTraps: false, ...more });

describe("the CLI run loop on real guests (built with riscv64-unknown-elf-gcc)", () => {
  it("prints the guest's UART output and exits with its finisher code", async () => {
    const { io, output } = fakeIo();
    const r = await runProgram(await guest("hello_uart"), settings(), io);
    assert.equal(output(), "hello\n");
    assert.equal(r.exitCode, 3);
    assert.deepEqual(r.end, { kind: "halt", code: 3, how: "finisher" });
    assert.match(r.summary, /^hyperstep: the guest exited with code 3 through the SiFive test finisher; \d+ instructions in [\d.]+ m?s$/);
  });

  it("feeds input to the UART", async () => {
    const { io, output } = fakeIo("abc.rest");
    const r = await runProgram(await guest("echo"), settings(), io);
    assert.equal(output(), "abc.");
    assert.equal(r.exitCode, 0);
  });

  it("delivers UART receive interrupts through the PLIC to a guest sleeping in WFI", async () => {
    const { io, output } = fakeIo("hey.");
    const r = await runProgram(await guest("uart_irq"), settings(), io);
    assert.equal(output(), "hey.");
    assert.equal(r.exitCode, 0);
  });

  it("ends the run when the guest sleeps in WFI and no input can ever wake it, with exit code 124", async () => {
    const { io } = fakeIo("no dot");
    const r = await runProgram(await guest("uart_irq"), settings(), io);
    assert.equal(r.end.kind, "idle");
    assert.equal(r.exitCode, 124);
  });

  it("runs HTIF guests: console through tohost, exit code from tohost", async () => {
    const { io, output } = fakeIo();
    const r = await runProgram(await guest("htif_hello"), settings(), io);
    assert.equal(output(), "hi\n");
    assert.deepEqual(r.end, { kind: "halt", code: 5, how: "htif" });
    assert.equal(r.exitCode, 5);
  });

  it("stops a guest that never halts after exactly --max-instructions, with exit code 124", async () => {
    const { io } = fakeIo();
    const r = await runProgram(await guest("loop"), settings({ maxInstructions: 2_500_000 }), io);
    assert.equal(r.end.kind, "limit");
    assert.equal(r.exitCode, 124);
    assert.equal(r.instructions, 2_500_000n);
    assert.match(r.summary, /stopped at the --max-instructions limit; the guest had not halted; 2500000 instructions/);
  });

  it("ends a trap loop (a handler that faults forever retires nothing), with exit code 124", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hyperstep-"));
    const src = join(dir, "trap_loop.S");
    writeFileSync(src, ".globl _start\n_start:\n  csrw mtvec, zero\n  ecall\n");
    const p = await loadProgram(src);
    if (p instanceof ProgramError) assert.fail(p.message);
    const { io } = fakeIo();
    const r = await runProgram(p, settings({ maxInstructions: 1000 }), io);
    assert.deepEqual(r.end, { kind: "trap-loop", pc: 0n });
    assert.equal(r.exitCode, 124);
    assert.equal(r.instructions, 1n);
    assert.match(r.summary, /stuck in a trap loop at pc 0x0/);
  });

  it("stops a guest that never halts at --timeout, with exit code 124", async () => {
    const { io } = fakeIo();
    const r = await runProgram(await guest("loop"), settings({ timeoutSeconds: 0.3 }), io);
    assert.equal(r.end.kind, "timeout");
    assert.equal(r.exitCode, 124);
    assert.ok(r.seconds >= 0.3 && r.seconds < 2, `ran ${r.seconds} s`);
  });

  it("stops on Ctrl-C between slices, with exit code 130", async () => {
    const { io } = fakeIo("", 2);
    const r = await runProgram(await guest("loop"), settings(), io);
    assert.equal(r.end.kind, "interrupted");
    assert.equal(r.exitCode, 130);
  });

  it("traces traps with cause name, tval, pc and mode change", async () => {
    const { io, logs } = fakeIo();
    const r = await runProgram(await guest("trap_ecall"), settings({ traceTraps: true }), io);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(logs, ["trap: ecall-u (Environment call from U-mode), cause 0x8, tval 0x0, pc 0x80000034, U -> M, handler 0x8000003c"]);
  });

  it("reports a segment outside RAM as a load error, exit code 1", async () => {
    const g = await guest("hello_uart");
    const outside = { ...g, image: { ...g.image, segments: g.image.segments.map((s) => ({ ...s, paddr: 0x1000 })) } };
    const { io } = fakeIo();
    const r = await runProgram(outside, settings(), io);
    assert.equal(r.end.kind, "load-error");
    assert.equal(r.exitCode, 1);
    assert.match(r.summary, /^hyperstep: cannot load the program: .*0x1000/);
  });
});

describe("the run summary's speed", () => {
  it("is given from a million instructions on, never for a run that is mostly start-up", () => {
    assert.equal(speed(2_000_000n, 0.5), " (4.0 MIPS)");
    assert.equal(speed(1_000_000n, 2), " (0.5 MIPS)");
    assert.equal(speed(999_999n, 0.001), "");
    assert.equal(speed(5_000_000n, 0), "");
  });
});

describe("the Popek–Goldberg option on the command line", () => {
  const lesson = join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S");

  it("hides sstatus from trap-and-emulate, which then diverges, but not from binary translation", async () => {
    const p = await loadProgram(lesson);
    if (p instanceof ProgramError) assert.fail(p.message);
    const outputs = new Map<string, string>();
    for (const technique of ["native", "trap-and-emulate", "binary-translation"] as const) {
      const { io, output } = fakeIo();
      const nonTrappingSensitive = technique === "native" ? [] : (["sstatus-read", "sstatus-write"] as const);
      const r = await runProgram(p, settings({ memoryBytes: 16 << 20, technique, nonTrappingSensitive }), io);
      assert.equal(r.exitCode, 0, technique);
      outputs.set(technique, output());
    }
    assert.match(outputs.get("native")!, /interrupts are enabled as I asked/);
    assert.equal(outputs.get("binary-translation"), outputs.get("native"), "the translator still rewrites them");
    assert.notEqual(outputs.get("trap-and-emulate"), outputs.get("native"), "the VMM never sees them");
  });
});

describe("hyperstep run --exits on the paravirtual lesson", () => {
  it("lines up the long hypercall reasons and says why there is no native run", async () => {
    const p = await loadProgram(join(__dirname, "../../../sample-guests/paravirtual/pv_kernel.S"));
    if (p instanceof ProgramError) assert.fail(p.message);
    const { io, logs, output } = fakeIo();
    await runProgram(p, settings({ technique: "paravirtual", exits: true, memoryBytes: 16 << 20 }), io);
    assert.match(output(), /the process exited; back on the boot tables; shutting down\n$/);
    const table = logs.slice(logs.findIndex((l) => l.startsWith("exits by reason:")), logs.findIndex((l) => l.startsWith("  total")) + 1);
    assert.ok(table.some((l) => l.includes("hypercall-set-trap-table")));
    assert.equal(new Set(table.map((l) => l.indexOf("count") >= 0 ? l.indexOf("count") + 5 : l.trimEnd().length - 15)).size, 1, `one count column:\n${table.join("\n")}`);
    assert.ok(logs.some((l) => /no native run: this guest is written for the VMM \(it defines hyperstep_pv_abi\)/.test(l)));
  });
});

describe("hyperstep run --host-swap on the double-paging lesson", () => {
  const lesson = join(ROOT, "sample-guests/double-paging/double_paging.S");

  it("swaps, and says the swap area was full when the VMM powers the guest off", async () => {
    const p = await loadProgram(lesson);
    if (p instanceof ProgramError) assert.fail(p.message);
    // 8216K: the 8 MiB shadow-table pool and 6 frames for guest pages.
    const ok = fakeIo();
    const swapped = await runProgram(p, settings({ technique: "trap-and-emulate", hostMemoryBytes: 8216 * 1024, hostSwapBytes: 64 * 1024 }), ok.io);
    assert.equal(swapped.exitCode, 0);
    assert.match(ok.output(), /disk and page 0 checked\n$/);
    // Two pages of swap: page 7 of the fill needs a frame when the swap area holds pages 0 and 1 already.
    const full = fakeIo();
    const r = await runProgram(p, settings({ technique: "trap-and-emulate", hostMemoryBytes: 8216 * 1024, hostSwapBytes: 8192 }), full.io);
    assert.equal(r.exitCode, 1);
    assert.match(r.summary, /^hyperstep: the VMM powered the guest off: host memory is exhausted and so is the swap area: all 2054 host frames of 4 KiB are in use, and all 2 pages of hostSwap hold swapped-out guest pages \(give the VM a larger hostMemory or hostSwap\); \d+ instructions/);
  });
});
