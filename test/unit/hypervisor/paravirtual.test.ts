import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { asmGuest, loadGuest, ROOT, runVm } from "./equivalence";
import { PV_START } from "./pv_start";

const LESSON = join(ROOT, "sample-guests/paravirtual/pv_kernel.S");
const TWIN = join(ROOT, "sample-guests/paravirtual/twin_kernel.S");

/** How many exits of each reason a run took. */
function counts(r: ReturnType<typeof runVm>): Record<string, number> {
  return Object.fromEntries(r.target.stats().byReason.map((s) => [s.reason, s.count]));
}

describe("paravirtualization: the lesson's PV kernel", () => {
  const r = runVm(loadGuest(LESSON), { technique: "paravirtual" });

  it("runs to its sched_op shutdown with the expected output", () => {
    assert.deepEqual(r.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.equal(r.uart, [
      "pv-kernel: booted under the Hyperstep PV ABI v1; printing through console_io",
      "pv-kernel: csrw satp trapped (pv-violation): only mmuext_op switches address spaces",
      "pv-kernel: user address space built: 5 PTEs in one batched mmu_update",
      "pv-kernel: refused (EPERM): mapping a page-table page writable",
      "pv-kernel: refused (EPERM): mapping a frame that is not ours",
      "pv-kernel: switched address space (mmuext_op new_baseptr); entering the process",
      "user: hello from the process, through a system call",
      "pv-kernel: the process read kernel memory: page fault (the U bit keeps it out)",
      "pv-kernel: timer event (upcall)",
      "pv-kernel: timer event (upcall)",
      "pv-kernel: the process exited; back on the boot tables; shutting down",
      "",
    ].join("\n"));
  });

  it("takes one exit per hypercall, none for its process's system calls and page faults, and costs them", () => {
    assert.deepEqual(counts(r), {
      "csr-read": 2, timer: 2, "hypercall-set-trap-table": 1, "hypercall-mmu-update": 1, "hypercall-mmuext": 3, "hypercall-timer": 2,
      "hypercall-event-channel": 1, "hypercall-sched": 1, "hypercall-console": 11, "hypercall-iret": 6, "event-upcall": 2, "pv-violation": 3,
    });
    const stats = r.target.stats();
    assert.equal(stats.exits, 35);
    assert.equal(stats.byReason.reduce((n, s) => n + s.cycles, 0), 31 * 650 + 4 * 900, "hypervisor entry+exit for the calls, IRQ entry+exit for the timer and the upcalls");
    assert.equal(r.target.exits({ reasons: ["guest-exception", "ecall"] }).total, 0, "the process's ecalls and faults went to the kernel directly");
  });

  it("batches: the five PTE writes are one exit that says so", () => {
    const [batch] = r.target.exits({ reasons: ["hypercall-mmu-update"] }).exits;
    assert.equal(batch.details.count, 5);
    assert.match(batch.details.hypercall!, /^mmu_update\(0x[0-9a-f]+, 0x5\)$/);
    assert.equal(batch.steps.filter((s) => s.phase === "shadow").length, 5);
  });

  it("refuses, visibly, a page table mapped writable and a frame that is not the guest's (EPERM)", () => {
    const refusals = r.target.exits({ reasons: ["pv-violation"] }).exits.filter((e) => e.details.hypercall);
    assert.deepEqual(refusals.map((e) => e.details.error), ["EPERM", "EPERM"]);
    assert.match(refusals[0].action, /is a page-table frame: it may be mapped read-only, never writable/);
    assert.match(refusals[1].action, /is not the guest's own/);
  });

  it("reports the kernel's satp write as a pv-violation and gives it an illegal-instruction trap", () => {
    const [v] = r.target.exits({ reasons: ["pv-violation"] }).exits.filter((e) => !e.details.hypercall);
    assert.equal(v.instruction?.mnemonic, "csrrw");
    assert.equal(v.details.cause, 2n);
    assert.equal(v.details.toPc, r.target.symbols.find((s) => s.name === "trap_entry")!.address);
  });

  it("delivers timer events as upcalls into the event callback", () => {
    const ups = r.target.exits({ reasons: ["event-upcall"] }).exits;
    assert.equal(ups.length, 2);
    for (const u of ups) {
      assert.equal(u.priv, 0, "the process was running");
      assert.equal(u.details.toPc, r.target.symbols.find((s) => s.name === "event_callback")!.address);
    }
  });

  it("takes fewer exits and modelled cycles than trap-and-emulate on its twin, the same workload as an ordinary kernel", () => {
    const twin = runVm(loadGuest(TWIN), { technique: "trap-and-emulate", boot: "supervisor" });
    assert.deepEqual(twin.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.match(twin.uart, /user: hello from the process[\s\S]*timer interrupt\n[\s\S]*timer interrupt\n[\s\S]*the process exited/);
    const cycles = (x: ReturnType<typeof runVm>) => x.target.stats().byReason.reduce((n, s) => n + s.cycles, 0);
    assert.deepEqual([r.target.stats().exits, twin.target.stats().exits], [35, 62]);
    assert.deepEqual([cycles(r), cycles(twin)], [23_750, 65_760]);
    assert.ok((counts(twin)["hidden-page-fault"] ?? 0) > 0 && (counts(twin).xret ?? 0) > 0, "shadow paging and emulated sret, which PV does not need");
  });

  it("shows the guest's tables as the hart walks them: in machine memory", () => {
    const set = r.target.pageTableTrees(10_000);
    const guest = set.trees.find((t) => t.kind === "guest")!;
    assert.equal(guest.tableSpace, "hpa");
    assert.match(guest.label, /machine frames, walked by the hart/);
    const pv = r.target.paravirtualState()!;
    assert.equal(guest.root.addr, BigInt(pv.rootMfn * 4096), "the root in use, by its machine address");
    assert.ok(guest.root.entries.length > 0, "with its entries");
  });

  it("switches address spaces only through mmuext_op", () => {
    const ops = r.target.exits({ reasons: ["hypercall-mmuext"] }).exits.map((e) => e.details.op);
    assert.deepEqual(ops, ["pin_table,pin_table,pin_table", "new_baseptr,tlb_flush_all", "new_baseptr,tlb_flush_all"]);
  });
});

// A PV kernel that tries what it must not, and the hypercalls the lesson does not make.
const PROBE = `${PV_START}        la      a0, trap
        li      a1, 0
        HYPERCALL 0
        ld      t0, 32(s0)            # the boot root's machine address, to its virtual address
        ld      t1, 16(s0)
        slli    t1, t1, 12
        sub     t0, t0, t1
        ld      t1, 56(s0)
        add     t0, t0, t1
        sd      zero, 0(t0)           # a page table, read-only to the kernel: its own page fault
        sret                          # pv-violation
        wfi                           # pv-violation
        ld      t1, 8(s0)             # nr_pages: the last page of RAM, ordinary memory
        addi    t1, t1, -1
        slli    s1, t1, 12
        ld      t0, 56(s0)
        add     s1, s1, t0            # its virtual address
        ld      t0, 16(s0)
        add     t1, t1, t0            # its machine frame
        slli    s2, t1, 10
        mv      a0, s1
        ori     a1, s2, 0x43          # V R A: read-only now
        li      a2, 1                 # flush its TLB entry
        HYPERCALL 14
        mv      s3, a0
        sd      zero, 0(s1)           # a page fault: the mapping changed
        la      t0, calls             # multicall: console_io, then update_va_mapping back to writable
        la      t1, msg
        sd      t1, 24(t0)
        sd      s1, 64+8(t0)
        ori     t1, s2, 0xc7
        sd      t1, 64+16(t0)
        mv      a0, t0
        li      a1, 2
        HYPERCALL 13
        mv      s4, a0
        sd      zero, 0(s1)           # writable again
        HYPERCALL 99
        mv      s5, a0                # ENOSYS
        li      a0, 0x1000
        li      a1, 1
        HYPERCALL 1
        mv      s6, a0                # EFAULT: the requests are not mapped
        li      a7, 0x10              # a standard SBI call: BASE get_spec_version
        li      a6, 0
        ecall
        mv      s7, a1
        li      a0, 2
        li      a1, 0
        HYPERCALL 29
trap:
        csrr    t0, scause
        la      t1, causes
        ld      t2, 0(t1)
        addi    t2, t2, 1
        sd      t2, 0(t1)
        slli    t2, t2, 3
        add     t1, t1, t2
        sd      t0, 0(t1)
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        HYPERCALL 23
        .section .data
        .balign 8
calls:  .dword 18, 0, 3, 0, 0, 0, 0, 0xff
        .dword 14, 0, 0, 1, 0, 0, 0, 0xff
msg:    .asciz "mc\\n"
        .balign 8
causes: .space 8 * 8
        .globl hyperstep_pv_abi
hyperstep_pv_abi: .dword 1
`;

describe("paravirtualization: what a PV kernel may not do, and the other hypercalls", () => {
  const r = runVm(asmGuest(PROBE, "pv_probe.S"), { technique: "paravirtual" });
  const sym = (name: string) => Number(r.target.symbols.find((s) => s.name === name)!.address);
  const word = (addr: number) => new DataView(r.target.readMemory("gpa", BigInt(addr), 8)!.buffer).getBigUint64(0, true);

  it("runs to its end", () => assert.deepEqual(r.stop, { kind: "halt", code: 0, how: "sbi" }));

  it("the kernel cannot write a page table: a store to one is its own page fault, with no exit", () => {
    assert.equal(word(sym("causes")), 4n);
    assert.deepEqual([1, 2, 3, 4].map((i) => word(sym("causes") + 8 * i)), [15n, 2n, 2n, 15n]);
  });

  it("reports sret and wfi as pv-violations", () => {
    const v = r.target.exits({ reasons: ["pv-violation"] }).exits.filter((e) => !e.details.hypercall);
    assert.deepEqual(v.map((e) => e.instruction?.mnemonic), ["sret", "wfi"]);
    assert.match(v[0].action, /mstatus.TSR: return with the iret hypercall/);
    assert.match(v[1].action, /mstatus.TW: block with sched_op/);
  });

  it("update_va_mapping changes one mapping (unbatched), and multicall runs several calls in one exit", () => {
    assert.equal(r.x[19], 0n, "update_va_mapping: ok");
    assert.equal(r.x[20], 0n, "multicall: ok");
    assert.equal(r.uart, "mc\n");
    const [mc] = r.target.exits({ reasons: ["hypercall-multicall"] }).exits;
    assert.equal(mc.details.count, 2);
    assert.deepEqual([word(sym("calls") + 56), word(sym("calls") + 64 + 56)], [0n, 0n], "each entry's result");
    assert.equal(r.target.exits({ reasons: ["hypercall-update-va-mapping"] }).total, 1);
  });

  it("answers an unknown hypercall ENOSYS and unreadable requests EFAULT", () => {
    assert.equal(BigInt.asIntN(64, r.x[21]), -38n);
    assert.equal(BigInt.asIntN(64, r.x[22]), -14n);
  });

  it("answers a standard SBI call too: any a7 but the PV extension's", () => {
    assert.equal(r.x[23], 2n << 24n, "SBI 2.0");
    assert.deepEqual(r.target.exits({ reasons: ["sbi-call"] }).exits.map((e) => e.details.sbi), ["BASE.get_spec_version"]);
  });
});

/** A PV kernel that binds the timer, masks its port or not, arms the timer, yields, and blocks. */
function eventsGuest(masked: boolean): string {
  return `${PV_START}        la      a0, _start + 2
        li      a1, 0
        HYPERCALL 0
        mv      s1, a0                # EINVAL: a misaligned trap vector
        la      a0, _start
        la      a1, callback
        HYPERCALL 0
        li      a0, 0
        li      a1, 0
        HYPERCALL 32                  # bind the timer's VIRQ: port 0
        mv      s2, a1
        li      a0, 0
        li      a1, 0
        HYPERCALL 32
        mv      s3, a0                # EBUSY: bound already
        ld      t0, 24(s0)            # shared info
        li      t1, ${masked ? 1 : 0}
        sd      t1, 8(t0)             # its mask word
        li      a0, 0
        HYPERCALL 29                  # yield
        mv      s4, a0
        rdtime  a0
        addi    a0, a0, 10
        HYPERCALL 15
        li      a0, 1
        HYPERCALL 29                  # block until the event
        li      a0, 2
        li      a1, 7
        HYPERCALL 29
callback:
        ld      t0, 24(s0)
        ld      s5, 0(t0)             # pending, as the upcall found it
        sd      zero, 0(t0)
        ld      s6, 16(t0)            # the time the VMM wrote
        HYPERCALL 23
        .section .data
        .globl hyperstep_pv_abi
hyperstep_pv_abi: .dword 1
`;
}

describe("paravirtualization: events, the trap table and the scheduler", () => {
  it("an unmasked timer event wakes a blocked kernel with an upcall into its callback", () => {
    const r = runVm(asmGuest(eventsGuest(false), "pv_events.S"), { technique: "paravirtual" });
    assert.deepEqual(r.stop, { kind: "halt", code: 7, how: "sbi" });
    assert.equal(BigInt.asIntN(64, r.x[9]), -22n, "set_trap_table: EINVAL for a misaligned vector");
    assert.equal(r.x[18], 0n, "the timer is on port 0");
    assert.equal(BigInt.asIntN(64, r.x[19]), -16n, "binding it again: EBUSY");
    assert.equal(r.x[20], 0n, "yield: ok");
    assert.equal(r.x[21], 1n, "port 0 was pending at the upcall");
    assert.ok(r.x[22] >= 10n, "shared info carries the virtual time of the upcall");
    const [up] = r.target.exits({ reasons: ["event-upcall"] }).exits;
    assert.equal(up.details.toPc, r.target.symbols.find((s) => s.name === "callback")!.address);
    assert.equal(up.priv, 1, "delivered in the kernel, which block let take events (SIE)");
    assert.deepEqual(r.target.exits({ reasons: ["hypercall-sched"] }).exits.map((e) => e.details.op), ["yield", "block", "shutdown"]);
  });

  it("a masked port stays pending and nothing is delivered: the blocked vCPU idles", () => {
    const r = runVm(asmGuest(eventsGuest(true), "pv_events_masked.S"), { technique: "paravirtual" });
    assert.equal(r.stop.kind, "idle");
    assert.equal(r.target.exits({ reasons: ["event-upcall"] }).total, 0);
    const word = (addr: bigint) => new DataView(r.target.readMemory("gpa", addr, 8)!.buffer).getBigUint64(0, true);
    const shared = word(r.x[8] + 24n);
    assert.deepEqual([word(shared), word(shared + 8n)], [1n, 1n], "port 0 pending and masked");
  });
});
