import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { ROOT } from "../support/guests";
import { launch, repl, stopAfter, value, withClient } from "../support/dap";

/**
 * Stores the VMM makes on the guest's behalf (an emulated store to a write-protected guest page
 * table, a paravirtual mmu_update) are the guest's stores for data breakpoints and `lastwrite`.
 */
const SHADOW = path.join(ROOT, "sample-guests", "shadow-paging", "shadow_paging.S");
const PV = path.join(ROOT, "sample-guests", "paravirtual", "pv_kernel.S");

const cont = (dc: DebugClient) => () => dc.continueRequest({ threadId: 1 });
const hex = (n: bigint) => "0x" + n.toString(16);

/** What the shadow-paging lesson's S-mode edit writes into l0_a[0]: a PTE for page_c, V R W A D. */
const EDITED_PTE = "((page_c >> 12) << 10) | 0xc7";

/** The 8 bytes at guest-physical `pa`, little-endian. */
async function u64At(dc: DebugClient, pa: bigint): Promise<bigint> {
  const r = await dc.customRequest("readMemory", { memoryReference: `pa:${hex(pa)}`, count: 8 });
  return Buffer.from((r.body as { data: string }).data, "base64").readBigUInt64LE(0);
}

/** Sets a write data breakpoint on `bytes` bytes at `ref` (va: or pa:); returns its id. */
async function watchWrites(dc: DebugClient, ref: string, bytes: number): Promise<number> {
  const info = await dc.dataBreakpointInfoRequest({ name: ref, asAddress: true, bytes });
  const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
  assert.equal(set.body.breakpoints[0].verified, true);
  return set.body.breakpoints[0].id!;
}

describe("stores the VMM makes for the guest", () => {
  test("trap-and-emulate: a data breakpoint on a guest PTE stops after the emulated store of the guest's page-table edit", async () => {
    await withClient(async (dc) => {
      await launch(dc, SHADOW, { technique: "trap-and-emulate" });
      const l0 = await value(dc, "l0_a");
      const id = await watchWrites(dc, `pa:${hex(l0)}`, 8);
      const built = await stopAfter(dc, cont(dc));
      assert.equal(built.body.reason, "data breakpoint", "the M-mode build's store, made by the hart");
      assert.equal(await value(dc, "$priv"), 3n);
      const edited = await stopAfter(dc, cont(dc));
      assert.equal(edited.body.reason, "data breakpoint");
      assert.deepEqual(edited.body.hitBreakpointIds, [id]);
      assert.equal(await value(dc, "$priv"), 1n, "the edit in S-mode, which the VMM emulated");
      assert.equal(await u64At(dc, l0), await value(dc, EDITED_PTE), "stopped after the store");
      assert.match(await repl(dc, "exits 1"), /guest-pt-write/, "the store was a guest-pt-write exit");
      assert.match(edited.body.description ?? "", new RegExp(`by the instruction at ${hex(await value(dc, "pc") - 4n)}`));
    });
  });

  test("trap-and-emulate: lastwrite on the guest PTE travels to just before the emulated store", async () => {
    await withClient(async (dc) => {
      // Run to the end: m_trap, which the final ecall reaches after the edit.
      await launch(dc, SHADOW, { technique: "trap-and-emulate", stopOnEntry: false }, () =>
        dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "m_trap" }] }));
      const l0 = await value(dc, "l0_a");
      const out = await stopAfter(dc, () => repl(dc, `lastwrite pa:${hex(l0)}`)).then(() => repl(dc, "x/1i pc"));
      assert.match(out, /sd\s+t1,\s*0\(t0\)/);
      assert.equal(await value(dc, "$priv"), 1n, "the S-mode edit, not the M-mode build");
      assert.notEqual(await u64At(dc, l0), await value(dc, EDITED_PTE), "the edit has not happened yet");
      assert.equal(await value(dc, "t1"), await value(dc, EDITED_PTE), "t1 holds what the store writes");
    });
  });

  test("paravirtual: lastwrite on a PTE written by mmu_update travels to that hypercall's exit, and a data breakpoint stops there", async () => {
    await withClient(async (dc) => {
      await launch(dc, PV, { technique: "paravirtual" }, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-pv-violation", condition: 'error == "EPERM"' }] }));
      // The first refused mmu_update comes after the batch of five that built the process's tables.
      await stopAfter(dc, cont(dc));
      const firstMfn = BigInt(/from machine frame (0x[0-9a-f]+)/.exec(await repl(dc, "pv"))![1]);
      // s5 holds P2's machine address; its entry 0 maps the process's code. Pseudo-physical = machine - first frame + RAM base.
      const machine = await value(dc, "s5");
      const pte = machine - firstMfn * 4096n + 0x80000000n;
      const written = await u64At(dc, pte);
      assert.notEqual(written, 0n);
      const batch = /^\s*(\d+)\s+hypercall-mmu-update\s+(0x[0-9a-f]+)[^\n]*\n\s*mmu_update\([^,]+, 0x5\)/m.exec(await repl(dc, "exits hypercall-mmu-update 10"));
      assert.ok(batch, "the batched mmu_update is in the exit log");
      // By its machine address, as the Page Tables panel names the kernel's PTEs.
      let said = "";
      await stopAfter(dc, async () => (said = await repl(dc, `lastwrite hpa:${hex(machine)}`)));
      assert.match(said, new RegExp(`the last store to 8 bytes at pa ${hex(pte)}: the instruction at pc ${batch[2]}`));
      assert.equal(await value(dc, "pc"), BigInt(batch[2]), "at the hypercall's ecall");
      assert.equal(await u64At(dc, pte), 0n, "before the VMM wrote the entry");
      assert.equal(await value(dc, "a1"), 5n, "the batch of five");
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await watchWrites(dc, `pa:${hex(pte)}`, 8);
      const stop = await stopAfter(dc, cont(dc));
      assert.equal(stop.body.reason, "data breakpoint");
      assert.equal(await u64At(dc, pte), written, "right after the exit wrote it");
      assert.match(stop.body.description ?? "", new RegExp(`by the instruction at ${batch[2]}`));
    });
  });
});
