/**
 * Everything a target's state consists of, as one string to compare: what the debugger shows (pc,
 * privilege, every register and CSR, all of guest RAM, devices, TLB, page tables, the VMM's exit
 * log and statistics) and, beneath it, every value in the machine's object graph (hart, devices,
 * vCPU, shadow and G-stage tables, counters), with caches and debugger hooks left out as history
 * leaves them out.
 */
import { createHash } from "node:crypto";
import { CSRS } from "../../src/isa/csrs";
import type { Hart } from "../../src/machine/hart/hart";
import { machinePolicy } from "../../src/target/history/machine_policy";
import { captureState } from "../../src/target/history/object_state";
import { NativeTarget } from "../../src/target/native_target";
import type { Target } from "../../src/target/target";
import { VmTarget } from "../../src/target/vm_target";

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array || x instanceof Int32Array ? [...x] : x));

/** The guest-visible state: pc, registers, CSRs, RAM (hashed), devices, TLB, tables, exits. */
export function visibleState(t: Target, ramBytes: number): Record<string, string> {
  const ram = t.readMemory("pa", 0x8000_0000n, ramBytes);
  return {
    position: `${t.history.position} instret ${t.instret} pc ${t.pc} priv ${t.priv} virt ${t.virt}`,
    regs: json(Array.from({ length: 32 }, (_, i) => t.getReg(i))),
    csrs: json(CSRS.map((c) => [c.name, t.readCsr(c.num)])),
    ram: ram ? createHash("sha256").update(ram).digest("hex") : "unreadable",
    devices: json(t.deviceStates?.()),
    tlb: json(t.tlbEntries()),
    tables: json(t.pageTableTrees?.(4096)),
    exits: json(t.vmm ? { log: t.vmm.exits({ count: 1_000_000 }), stats: t.vmm.stats() } : null),
  };
}

/** Every value reachable from the machine's root (the board, or the VM), objects named by walk order, and host RAM hashed. */
export function machineGraph(t: Target): string[] {
  const [root, harts, ram]: [object, Hart[], Uint8Array] = t instanceof NativeTarget ? [t.board, [...t.board.harts], t.board.ram.bytes]
    : t instanceof VmTarget ? [t.vm, [t.vm.board.hart, t.vm.vcpu.state], t.vm.board.ram.bytes] : [t, [], new Uint8Array()];
  const { saved } = captureState(root, machinePolicy(harts, []));
  const ids = new Map<unknown, number>(saved.map((s, i) => [s.obj, i]));
  const value = (v: unknown): string =>
    typeof v === "function" ? "fn" : typeof v === "object" && v !== null ? `#${ids.get(v) ?? "opaque"}` : typeof v === "bigint" ? `${v}n` : String(v);
  const lines = [`host RAM ${createHash("sha256").update(ram).digest("hex")}`];
  for (const s of saved) {
    const parts = "keys" in s ? s.keys.map((k, i) => `${k}=${value(s.values[i])}`)
      : "entries" in s ? s.entries.map(([k, v]) => `${value(k)}:${value(v)}`)
      // The last register pair absorbs writes to x0: not state (the interpreter and translated code leave different junk).
      : "copy" in s ? [json(harts.some((h) => h.x === s.obj) ? s.copy.subarray(0, 64) : s.copy)]
      : s.values.map(value);
    lines.push(`${s.obj.constructor?.name ?? "?"}{${parts.join(",")}}`);
  }
  return lines;
}
