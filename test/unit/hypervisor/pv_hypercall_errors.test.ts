import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asmGuest, runVm } from "./equivalence";
import { PV_START } from "./pv_start";

/**
 * A PV kernel that makes one malformed or refused call of each hypercall from a table { fid, a0,
 * a1, a2 } (32 bytes an entry), then shuts down: the exit log says what each one got.
 */
const CALLS = `${PV_START}        la      s1, calls
        la      s2, calls_end
1:      ld      a6, 0(s1)
        ld      a0, 8(s1)
        ld      a1, 16(s1)
        ld      a2, 24(s1)
        li      a7, PV_EID
        ecall
        addi    s1, s1, 32
        bltu    s1, s2, 1b
        li      a0, 2
        li      a1, 0
        HYPERCALL 29
        .section .data
        .balign 8
calls:  .dword 1, 0x1000, 513, 0          # mmu_update: too many requests
        .dword 26, 0x1000, 1, 0           # mmuext_op: ops the kernel cannot read
        .dword 26, bad_cmd, 1, 0          # mmuext_op: no such command
        .dword 26, not_root, 1, 0         # mmuext_op: new_baseptr to a frame that is no pinned root
        .dword 26, not_pinned, 1, 0       # mmuext_op: unpin a frame that is not pinned
        .dword 26, flushes, 3, 0          # mmuext_op: invlpg, flush_asid, tlb_flush_all
        .dword 13, nested, 2, 0           # multicall: a multicall and an iret inside
        .dword 13, nested, 600, 0         # multicall: too many entries
        .dword 14, 0x40000000, 0x1, 0     # update_va_mapping: no level-0 table maps the address
        .dword 15, 0, 0, 0                # set_timer_op: 0 cancels
        .dword 29, 7, 0, 0                # sched_op: no such command
        .dword 32, 5, 0, 0                # event_channel_op: no such command
        .dword 18, 0, 5000, msg           # console_io: too many bytes
        .dword 18, 0, 1, 0x1000           # console_io: a buffer the kernel cannot read
calls_end:
bad_cmd:    .dword 99, 0
not_root:   .dword 5, 0
not_pinned: .dword 4, 0
flushes:    .dword 7, 0x80000000, 8, 1, 6, 0
nested:     .dword 13, 0, 0, 0, 0, 0, 0, 0xff
            .dword 23, 0, 0, 0, 0, 0, 0, 0xff
msg:        .asciz "x"
        .balign 8
        .globl hyperstep_pv_abi
hyperstep_pv_abi: .dword 1
`;

describe("paravirtualization: each hypercall's malformed or refused call", () => {
  const r = runVm(asmGuest(CALLS, "pv_calls.S"), { technique: "paravirtual" });
  const exits = r.target.exits({ count: 100 }).exits.filter((e) => e.details.hypercall);

  it("runs to its end", () => assert.deepEqual(r.stop, { kind: "halt", code: 0, how: "sbi" }));

  it("answers each with its error, tells why, and reports refused page-table operations as pv-violations", () => {
    const told = exits.map((e) => [e.reason, e.details.hypercall!.split("(")[0], e.details.error, e.action.replace(/^[^→]*→ \w+: /, "")]);
    assert.deepEqual(told.slice(0, -1), [
      ["hypercall-mmu-update", "mmu_update", "EINVAL", "count 513 is not 0–512"],
      ["hypercall-mmuext", "mmuext_op", "EFAULT", "op 0 is not readable by the kernel"],
      ["pv-violation", "mmuext_op", "EINVAL", "op 99 refused (no mmuext command 99); 0 of 1 done"],
      ["pv-violation", "mmuext_op", "EINVAL", "new_baseptr refused (frame 0x0 is not a pinned root (level 2)); 0 of 1 done"],
      ["pv-violation", "mmuext_op", "EINVAL", "unpin_table refused (frame 0x0 is not a pinned table); 0 of 1 done"],
      ["hypercall-mmuext", "mmuext_op", "ok", "invlpg, flush_asid, tlb_flush_all"],
      ["hypercall-multicall", "multicall", "ok", "2 hypercalls in one exit"],
      ["hypercall-multicall", "multicall", "EINVAL", "count 600 is not 0–512"],
      ["hypercall-update-va-mapping", "update_va_mapping", "EINVAL", "no level-0 table maps 0x40000000 in the current address space"],
      ["hypercall-timer", "set_timer_op", "ok", "timer cancelled"],
      ["hypercall-sched", "sched_op", "EINVAL", "no sched_op command 7"],
      ["hypercall-event-channel", "event_channel_op", "EINVAL", "no event_channel_op command 5 in ABI v1 (only bind_virq, 0)"],
      ["hypercall-console", "console_io", "EINVAL", "count 5000 is not 0–4096"],
      ["hypercall-console", "console_io", "EFAULT", "the buffer at 0x1000 is not readable by the kernel"],
    ]);
    assert.deepEqual(told.at(-1)!.slice(0, 3), ["hypercall-sched", "sched_op", "ok"]);
  });

  it("a multicall runs neither a multicall nor an iret inside it: each entry's result word says EINVAL", () => {
    const nested = Number(r.target.symbols.find((s) => s.name === "nested")!.address);
    const word = (at: number) => BigInt.asIntN(64, new DataView(r.target.readMemory("gpa", BigInt(at), 8)!.buffer).getBigUint64(0, true));
    assert.deepEqual([word(nested + 56), word(nested + 64 + 56)], [-22n, -22n]);
    const [mc] = exits.filter((e) => e.reason === "hypercall-multicall");
    assert.match(mc.steps.map((s) => s.text).join("\n"), /0: multicall\(.*\) → EINVAL: a multicall cannot contain a multicall\n1: iret\(\) → EINVAL: iret cannot be batched/);
  });
});
