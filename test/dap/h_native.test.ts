/**
 * Debugging a hypervisor of one's own on the bare board with the H extension (launch attribute
 * cpu "rv64,h=true"): the tiny-hypervisor lesson, with exception breakpoints on the H extension's
 * causes, the privilege shown as HS/VS with V, and the H and VS CSRs in the Variables view.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { ROOT } from "../support/guests";
import { csrGroup, failing, launch, repl, scope, stopAfter, value, withClient } from "../support/dap";

const LESSON = path.join(ROOT, "sample-guests", "tiny-hypervisor", "tiny_hypervisor.S");
const H = { cpu: "rv64,h=true" };
const T = { threadId: 1 };

async function privilege(dc: DebugClient): Promise<string> {
  return (await scope(dc, "Registers")).find((v) => v.name === "privilege")!.value;
}

describe("a hypervisor of one's own, natively with cpu rv64,h=true", () => {
  test("the H extension's causes are exception filters, labelled as such", async () => {
    await withClient(async (dc) => {
      const filters = (await dc.initializeRequest()).body!.exceptionBreakpointFilters!;
      for (const id of ["ecall-vs", "fetch-guest-page-fault", "load-guest-page-fault", "virtual-instruction", "store-guest-page-fault"]) {
        assert.match(filters.find((f) => f.filter === id)?.label ?? "", /\(H extension\)$/, id);
      }
    });
  });

  test("a store guest-page fault stops in the hypervisor, in HS-mode, with the fault in the H CSRs", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, H, () => dc.setExceptionBreakpointsRequest({ filters: ["store-guest-page-fault"] }));
      assert.equal(await privilege(dc), "M (3, V=0)");
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "exception");
      assert.equal(await privilege(dc), "HS (1, V=0)");
      assert.equal(await value(dc, "$virt"), 0n);
      assert.equal(await value(dc, "scause"), 23n);
      assert.equal(await value(dc, "htval"), 0x10000000n >> 2n, "htval holds the guest-physical address >> 2");
      assert.equal(await value(dc, "hstatus.SPV"), 1n, "the trap came from a guest");
      const hypervisor = await csrGroup(dc, "Hypervisor (H extension)");
      assert.match(hypervisor.find((v) => v.name === "hgatp")!.value, /MODE=Sv39x4/);
      assert.match(hypervisor.find((v) => v.name === "hstatus")!.value, /GVA SPV SPVP=VS/);
      const top = (await dc.stackTraceRequest(T)).body.stackFrames[0]!;
      assert.equal(top.name, "hs_trap");
      assert.match(await repl(dc, "info registers"), /^privilege +HS \(1, V=0\)$/m);
      // The hart gives the transformed store (sb t1, 0(x0)); with htinst = 0, as QEMU 7.2 gives it,
      // the hypervisor reads the instruction itself with hlvx.hu, and the guest's output is the same.
      assert.equal(await value(dc, "htinst"), 0x600023n);
      await repl(dc, "htinst = 0");
      const out: string[] = [];
      dc.on("output", (e) => {
        if (e.body.category === "stdout") out.push(e.body.output);
      });
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest(T);
      assert.equal((await exited).body.exitCode, 0);
      assert.match(out.join(""), /^Hello from VS-mode! Each byte/m);
    });
  });

  test("the guest's own breakpoint, delegated by hedeleg, stops in its handler in VS-mode", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, H, () => dc.setExceptionBreakpointsRequest({ filters: ["breakpoint"] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(await privilege(dc), "VS (1, V=1)");
      assert.equal((await dc.stackTraceRequest(T)).body.stackFrames[0]!.name, "guest_trap");
      assert.equal(await value(dc, "vscause"), 3n);
      assert.equal(await value(dc, "scause"), 23n, "HS-mode's last trap is still a UART store: the breakpoint went to the guest");
    });
  });

  test("a breakpoint in the guest stops in VS-mode, on the guest's source line, its code at another host address", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, H, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "guest_puts" }] }));
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "breakpoint");
      assert.equal(await privilege(dc), "VS (1, V=1)");
      assert.equal(await value(dc, "$virt"), 1n);
      const top = (await dc.stackTraceRequest(T)).body.stackFrames[0]!;
      assert.equal(top.source?.path, LESSON);
      assert.equal(readFileSync(LESSON, "utf8").split("\n")[top.line - 1]!.trim(), "li      t0, UART_BASE");
      const vs = await csrGroup(dc, "Virtual supervisor (H extension: the guest's S-mode CSRs)");
      assert.equal(BigInt(vs.find((v) => v.name === "vstvec")!.value.split(" ")[0]!), await value(dc, "guest_trap"), "the guest's stvec is vstvec");
      // The guest's pc is a guest-physical address; its code is the copy at host 0x80208000.
      const words = async (x: string) => (await repl(dc, x)).split("\t").slice(1);
      const viaGuest = await words("x/4wx pc");
      assert.equal(viaGuest.length, 4);
      assert.deepEqual(await words("x/4wx pa:0x80208000 + (pc - guest_start)"), viaGuest);
    });
  });

  test("a hypercall stops in HS-mode; the line the guest wrote at GPA 0x8010_0000 is in host page 0x8020_6000", async () => {
    await withClient(async (dc) => {
      await launch(dc, LESSON, H, () => dc.setExceptionBreakpointsRequest({ filters: ["ecall-vs"] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(await privilege(dc), "HS (1, V=0)");
      assert.equal(await value(dc, "a7"), 1n, "HC_PUTS");
      assert.equal(await value(dc, "a0"), 0x80100000n);
      assert.equal(await value(dc, "*(u64*)0x80206000"), 0x6620656e696c2061n, '"a line f", at the host page');
      assert.equal(await value(dc, "*(u64*)0x80100000"), 0n, "nothing at the host page of the same number");
      assert.match(await repl(dc, "x/s pa:0x80206000"), /"a line from guest RAM, printed with one hypercall\\n"/);
    });
  });

  test("with its memory above 128 MiB and memory 256M it runs to the end", async () => {
    const dir = path.join(ROOT, "build", "test-guests");
    mkdirSync(dir, { recursive: true });
    const high = path.join(dir, "tiny_hypervisor_dap_high.S");
    writeFileSync(high, `#define HV_MEMORY 0x8f000000\n#include "${LESSON}"\n`);
    await withClient(async (dc) => {
      const out: string[] = [];
      dc.on("output", (e) => {
        if (e.body.category === "stdout") out.push(e.body.output);
      });
      await launch(dc, high, { ...H, memory: "256M" });
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest(T);
      assert.equal((await exited).body.exitCode, 0);
      assert.match(out.join(""), /guest RAM at GPA 0x0000000080100000 is at host 0x000000008f006000/);
      assert.match(out.join(""), /the guest shut down with code 0 after 160 emulated UART stores and 2 hypercalls\n/);
    });
  });

  test("a bad cpu, or h=true under a VMM, fails the launch naming 'cpu'", async () => {
    await withClient(async (dc) => {
      await dc.initializeRequest();
      assert.match(await failing(dc.launch({ program: LESSON, cpu: "rv64,hh=1" } as never)), /'cpu' is "rv64,hh=1": unknown property 'hh'/);
      assert.match(await failing(dc.launch({ program: LESSON, cpu: "rv64,h=true", technique: "hardware-assisted" } as never)), /'cpu' .*no H extension/);
    });
  });
});
