import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Exc } from "../../../src/isa/causes";
import { ROOT, loadGuest, runVm } from "./equivalence";

/**
 * Under hardware assistance the guest's own trap delegation (its medeleg) becomes hedeleg: an
 * exception its user process raises that it delegated goes to its stvec in VS-mode, with no exit.
 * twin_kernel.S is an ordinary kernel whose process makes system calls and takes a load page fault;
 * it boots in S-mode behind the VMM's SBI, which delegates ecall from U and the page faults (0xb109).
 */
describe("hardware assistance: the exceptions the guest delegated to its S-mode", () => {
  const p = loadGuest(join(ROOT, "sample-guests/paravirtual/twin_kernel.S"));
  const te = runVm(p, { technique: "trap-and-emulate", boot: "supervisor" });
  const hw = runVm(p, { technique: "hardware-assisted", boot: "supervisor" });
  const fromUser = (r: typeof te) => r.target.exits({ count: 1000 }).exits.filter((e) => e.priv === 0);

  it("are the process's system calls and page fault: trap-and-emulate reflects them", () => {
    const reflected = fromUser(te).filter((e) => e.reason === "ecall" || e.reason === "guest-exception").map((e) => e.details.cause);
    const [ecall, pageFault] = [BigInt(Exc.ecallU), BigInt(Exc.loadPageFault)];
    assert.deepEqual(reflected, [ecall, pageFault, ecall], "a system call, the page fault, the exit call");
    assert.match(hw.uart, /user: hello from the process, through a system call\n/);
    assert.match(hw.uart, /the process read kernel memory: page fault/);
  });

  it("reach the guest kernel in VS-mode without an exit: from the process, only its timer interrupts exit", () => {
    assert.deepEqual([...new Set(fromUser(hw).map((e) => e.reason))], ["timer"]);
  });

  it("leave the guest behaving as under trap-and-emulate", () => {
    assert.deepEqual(hw.stop, { kind: "halt", code: 0, how: "sbi" });
    assert.deepEqual([hw.stop, hw.uart, hw.instret, hw.pc, hw.priv, hw.x, hw.csrs], [te.stop, te.uart, te.instret, te.pc, te.priv, te.x, te.csrs]);
  });
});
