import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { StopReason } from "../../../src/machine/board";
import type { VmExit } from "../../../src/hypervisor/exits";
import { createTarget } from "../../../src/target/create_target";
import { asmGuest, INPUT, loadGuest, makeVm, ROOT, runVm } from "./equivalence";
import { PV_START } from "./pv_start";

const ECHO = join(ROOT, "sample-guests/paravirtual/pv_echo.S");
const PROMPT = "pv-echo: type a line; each event's input comes back\n";

/** The echo kernel on a VM whose UART input is `waiting` (push to type more), run as the CLI runs it: input polled between runs, and again when the kernel sleeps. */
function echoVm(waiting: number[]) {
  const out = { text: "" };
  const vm = makeVm({ technique: "paravirtual", uartOut: { write: (c) => (out.text += String.fromCharCode(c)) }, uartIn: { read: () => waiting.shift() ?? -1 } });
  const program = loadGuest(ECHO);
  vm.load(program);
  const symbol = (name: string) => program.symbols.find((s) => s.name === name)!.address;
  const run = (): StopReason => {
    vm.pollInput();
    return vm.run(1_000_000);
  };
  const drive = (): StopReason => {
    for (;;) {
      const stop = run();
      if (stop.kind !== "idle" || !vm.pollInput()) return stop;
    }
  };
  return { vm, out, symbol, run, drive };
}

describe("paravirtualization: console input as events (VIRQ_CONSOLE, console_io read)", () => {
  it("the echo kernel reads a typed line with console_io(read) when the console's event comes, and echoes it", () => {
    const { vm, out, symbol, drive } = echoVm([...new TextEncoder().encode(INPUT)]);
    assert.deepEqual(drive(), { kind: "halt", code: 0, how: "sbi" });
    const line = INPUT.slice(0, INPUT.indexOf("\r"));
    assert.equal(out.text, `${PROMPT}${line}\npv-echo: end of the line; shutting down\n`);
    const exits = (reason: VmExit["reason"]) => vm.log.query({ reasons: [reason] }).exits;
    assert.match(exits("hypercall-event-channel")[0].action, /the console's events arrive on port 0/);
    const ups = exits("event-upcall");
    assert.equal(ups.length, 1);
    assert.equal(ups[0].details.toPc, symbol("event_callback"));
    const reads = exits("hypercall-console").filter((e) => e.details.op === "read");
    assert.equal(reads.length, 1);
    assert.equal(reads[0].action, `console_io(0x1, 0x40, 0x${symbol("buf").toString(16)}) → ok: read ${INPUT.length} bytes of console input: ${JSON.stringify(INPUT)}`);
    assert.equal(exits("hypercall-console").at(-1)!.details.op, "write");
  });

  it("raises one event per arrival of input while the kernel sleeps, and leaves input unread until the console is bound", () => {
    const waiting: number[] = [...new TextEncoder().encode("ab")];
    const { vm, out, run } = echoVm(waiting);
    assert.equal(vm.pollInput(), false, "nothing bound yet: the input waits where it is");
    assert.deepEqual(waiting, [97, 98]);
    assert.deepEqual(run(), { kind: "idle" }, "it bound the console and sleeps");
    assert.equal(vm.pollInput(), true);
    assert.deepEqual(run(), { kind: "idle" }, "it read 'ab', echoed it and sleeps again");
    assert.equal(out.text, `${PROMPT}ab`);
    assert.deepEqual(run(), { kind: "idle" }, "no input, no event: it sleeps on");
    waiting.push(...new TextEncoder().encode("c\r"));
    assert.equal(vm.pollInput(), true, "the typed bytes are taken, and raise the console's event");
    assert.deepEqual(run(), { kind: "halt", code: 0, how: "sbi" });
    assert.equal(out.text, `${PROMPT}abc\npv-echo: end of the line; shutting down\n`);
    assert.equal(vm.log.query({ reasons: ["event-upcall"] }).total, 2, "one upcall per arrival");
  });

  it("answers bind_virq and console_io's errors, and a bad buffer loses no input", () => {
    const r = runVm(asmGuest(`${PV_START}        li      a0, 0
        li      a1, 2
        HYPERCALL 32
        mv      s1, a1                # the console's port
        li      a0, 0
        li      a1, 2
        HYPERCALL 32
        mv      s2, a0                # EBUSY: bound already
        li      a0, 0
        li      a1, 1
        HYPERCALL 32
        mv      s3, a0                # EINVAL: no virtual IRQ 1 in v1
        li      a0, 1
        li      a1, 8
        li      a2, 0x1000
        HYPERCALL 18
        mv      s4, a0                # EFAULT: the kernel could not write there
        li      a0, 1
        li      a1, 5
        la      a2, buf
        HYPERCALL 18
        mv      s5, a0
        mv      s6, a1                # 5 bytes read
        la      t0, buf
        ld      s8, 0(t0)
        li      a0, 7
        HYPERCALL 18
        mv      s7, a0                # ENOSYS: no console_io command 7
        li      a0, 2
        li      a1, 0
        HYPERCALL 29
        .section .data
        .balign 8
buf:    .space 8
        .globl hyperstep_pv_abi
hyperstep_pv_abi: .dword 1
`, "pv_console_probe.S"), { technique: "paravirtual" });
    assert.deepEqual(r.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.equal(r.x[9], 0n, "the first port");
    assert.deepEqual([r.x[18], r.x[19], r.x[20], r.x[21], r.x[23]].map((x) => BigInt.asIntN(64, x)), [-16n, -22n, -14n, 0n, -38n]);
    assert.equal(r.x[22], 5n);
    const bytes = Array.from({ length: 5 }, (_, i) => Number((r.x[24] >> BigInt(8 * i)) & 0xffn));
    assert.equal(String.fromCharCode(...bytes), INPUT.slice(0, 5), "the first five bytes typed: the refused read took none");
  });

  it("time travel: back to before a line's end arrived, the run reads the recorded input again and ends the same", () => {
    const waiting: number[] = [];
    let out = "";
    const made = createTarget(loadGuest(ECHO), {
      technique: "paravirtual", boot: "machine", memoryBytes: 16 << 20,
      uartOut: { write: (b) => (out += String.fromCharCode(b)) }, uartIn: { read: () => waiting.shift() ?? -1 },
    });
    if (!made.ok) assert.fail(made.error);
    const t = made.target;
    const run = (): StopReason => {
      t.pollInput();
      return t.run(1_000_000);
    };
    assert.equal(run().kind, "idle");
    waiting.push(...new TextEncoder().encode("ab"));
    assert.equal(run().kind, "idle");
    const before = t.history.position;
    waiting.push(...new TextEncoder().encode("c\r"));
    assert.deepEqual(run(), { kind: "halt", code: 0, how: "sbi" });
    const end = { position: t.history.position, instret: t.instret, exits: t.vmm!.stats().exits };
    const printed = out;
    assert.ok(t.history.travelTo(before));
    assert.deepEqual(run(), { kind: "halt", code: 0, how: "sbi" }, "the input typed then is read again from the recording");
    assert.deepEqual({ position: t.history.position, instret: t.instret, exits: t.vmm!.stats().exits }, end);
    assert.equal(out, printed, "the past is replayed silently");
  });
});
