import type { ExitDetails, ExitReason, NarrativeStep } from "../exits";
import type { DirectPaging, Refusal } from "../mm/direct_paging";
import {
  CONSOLEIO_MAX, CONSOLEIO_READ, CONSOLEIO_WRITE, EVTCHN_BIND_VIRQ, HC, HYPERCALL_NAMES, MAX_BATCH, MMU_UPDATE_BYTES, MMUEXT, MMUEXT_NAMES, MMUEXT_OP_BYTES,
  MULTICALL_BYTES, PV_ERR, PV_ERROR_NAMES, SCHED, SCHED_NAMES, UVM_FLUSH, VIRQ, VIRQ_NAMES,
} from "./abi";
import type { GuestVirtual } from "./guest_virtual";

/**
 * The hypercalls of the Hyperstep PV ABI v1 (abi.ts), as the VMM answers them: each one validated,
 * applied, and told (what it checked and changed) for its exit record. What a hypercall needs from
 * the rest of the VMM — the vCPU, the console, the timer, the TLB — comes through `PvPlatform`, so
 * these are the whole of the paravirtual interface in one place.
 */

export interface PvPlatform {
  putchar(byte: number): void;
  /** Up to `max` bytes of console input that have arrived (none: an empty list; never waits). */
  readConsole(max: number): number[];
  /** Programs the one-shot timer (absolute virtual time; undefined: cancel). */
  setTimer(deadline: bigint | undefined): void;
  shutdown(code: number): void;
  /** The guest's satp (Sv39, its root's machine frame and ASID). */
  satp: bigint;
  /** Drops the hart's cached translations: one page (vpn) or all (−1), one ASID or all (−1). */
  flushTlb(vpn: number, asid: number): void;
  /** The guest kernel's trap vector (stvec): where its exceptions and its processes' ecalls go. */
  trapVector: bigint;
  /** Waits for an event (sched_op block): event delivery on, the vCPU idle until one comes. */
  block(): void;
  /** Returns from the kernel's trap or upcall (iret): sret's effect on the vCPU. */
  iret(): { toPc: bigint; toPriv: number };
}

export interface HypercallOutcome {
  /** a0 (0 or a negative PV_ERR) and a1. */
  error: number;
  value: bigint;
  reason: ExitReason;
  /** The call with its arguments, e.g. "mmu_update(0x80013000, 3)". */
  call: string;
  details: ExitDetails;
  action: string;
  steps: NarrativeStep[];
  /** The call ended the guest or returned from a trap: the pc is set, not advanced past the ecall. */
  jumped?: boolean;
  halted?: boolean;
}

const hex = (n: number | bigint) => `0x${BigInt.asUintN(64, BigInt(n)).toString(16)}`;
const errName = (e: number) => PV_ERROR_NAMES[e] ?? String(e);
const REASON: Record<number, ExitReason> = {
  [HC.setTrapTable]: "hypercall-set-trap-table", [HC.mmuUpdate]: "hypercall-mmu-update", [HC.multicall]: "hypercall-multicall",
  [HC.updateVaMapping]: "hypercall-update-va-mapping", [HC.setTimerOp]: "hypercall-timer", [HC.consoleIo]: "hypercall-console",
  [HC.iret]: "hypercall-iret", [HC.mmuextOp]: "hypercall-mmuext", [HC.schedOp]: "hypercall-sched", [HC.eventChannelOp]: "hypercall-event-channel",
};

interface Done {
  error: number;
  value?: bigint;
  /** What was done (one line), and the steps of the narrative. */
  action: string;
  steps?: NarrativeStep[];
  refused?: Refusal;
  op?: string;
  count?: number;
  jumped?: boolean;
  halted?: boolean;
}

export class Hypercalls {
  /** The upcall entry point set_trap_table gave (0: none yet; events then go to the trap vector). */
  callback = 0n;
  /** The event port each bound virtual IRQ raises (VIRQ → port). */
  readonly virqPorts = new Map<number, number>();
  /** Event ports bound so far: port p is bit p of shared info's pending and mask words. */
  private ports = 0;

  /** The port the timer's virtual IRQ is bound to, once bound. */
  get timerPort(): number | undefined {
    return this.virqPorts.get(VIRQ.timer);
  }

  /** The port console input raises, once bound. */
  get consolePort(): number | undefined {
    return this.virqPorts.get(VIRQ.console);
  }

  constructor(
    private readonly paging: DirectPaging,
    private readonly mem: GuestVirtual,
    private readonly p: PvPlatform,
  ) {}

  reset(): void {
    this.callback = 0n;
    this.virqPorts.clear();
    this.ports = 0;
  }

  /** Hypercall `fid` with arguments a0–a5, as the guest made it. */
  call(fid: number, args: readonly bigint[]): HypercallOutcome {
    const name = HYPERCALL_NAMES[fid] ?? `hypercall ${fid}`;
    const call = `${name}(${argsOf(fid, args)})`;
    const d = this.dispatch(fid, args, false);
    const reason: ExitReason = d.refused || REASON[fid] === undefined ? "pv-violation" : REASON[fid];
    const details: ExitDetails = { hypercall: call, error: errName(d.error) };
    if (d.op !== undefined) details.op = d.op;
    if (d.count !== undefined) details.count = d.count;
    return {
      error: d.error, value: d.value ?? 0n, reason, call, details, jumped: d.jumped, halted: d.halted,
      action: `${call} → ${errName(d.error)}: ${d.action}`,
      steps: [{ phase: "decode", text: `ecall from the guest kernel: a7 = PV extension, a6 = ${fid} (${name})` }, ...(d.steps ?? [])],
    };
  }

  private dispatch(fid: number, a: readonly bigint[], inBatch: boolean): Done {
    const n = (i: number) => Number(BigInt.asIntN(64, a[i]));
    switch (fid) {
      case HC.setTrapTable: return this.setTrapTable(a[0], a[1]);
      case HC.mmuUpdate: return this.mmuUpdate(n(0), n(1));
      case HC.multicall: return inBatch ? invalid("a multicall cannot contain a multicall") : this.multicall(n(0), n(1));
      case HC.updateVaMapping: return this.updateVaMapping(n(0), a[1], n(2));
      case HC.setTimerOp: return this.setTimerOp(BigInt.asUintN(64, a[0]));
      case HC.consoleIo: return this.consoleIo(n(0), n(1), n(2));
      case HC.iret: return inBatch ? invalid("iret cannot be batched") : this.iret();
      case HC.mmuextOp: return this.mmuextOp(n(0), n(1));
      case HC.schedOp: return this.schedOp(n(0), n(1));
      case HC.eventChannelOp: return this.eventChannelOp(n(0), n(1));
    }
    return { error: PV_ERR.ENOSYS, action: `no hypercall ${fid} in the Hyperstep PV ABI v1` };
  }

  private setTrapTable(vector: bigint, callback: bigint): Done {
    if ((vector & 3n) !== 0n || (callback & 3n) !== 0n) return invalid("the trap vector and the callback must be 4-byte aligned (direct mode)");
    this.p.trapVector = vector;
    this.callback = callback;
    return { error: 0, action: `traps and system calls go to ${hex(vector)}, event upcalls to ${hex(callback)}`, steps: [
      { phase: "vcpu", text: `stvec ← ${hex(vector)} (the kernel's trap vector; its processes' ecalls reach it directly)` },
      { phase: "vcpu", text: `event callback ← ${hex(callback)}` },
    ] };
  }

  /** A batch of PTE writes, each validated; the first refusal stops the batch (a1: how many were done). */
  private mmuUpdate(reqs: number, count: number): Done {
    if (count < 0 || count > MAX_BATCH) return invalid(`count ${count} is not 0–${MAX_BATCH}`);
    const steps: NarrativeStep[] = [];
    for (let i = 0; i < count; i++) {
      const ptr = this.mem.readU64(reqs + i * MMU_UPDATE_BYTES), val = this.mem.readU64(reqs + i * MMU_UPDATE_BYTES + 8);
      if (ptr === undefined || val === undefined) {
        return { error: PV_ERR.EFAULT, value: BigInt(i), count, steps, action: `request ${i} at ${hex(reqs + i * MMU_UPDATE_BYTES)} is not readable by the kernel` };
      }
      const r = this.paging.update(Number(ptr), val);
      if ("code" in r) {
        steps.push({ phase: "check", text: `request ${i}: PTE at ${hex(ptr)} ← ${hex(val)} refused: ${r.why}` });
        return { error: r.code, value: BigInt(i), refused: r, count, steps, action: `request ${i} refused (${r.why}); ${i} of ${count} done` };
      }
      steps.push({ phase: "check", text: `request ${i}: level-${r.level} PTE at ${hex(r.ptr)}: valid` },
        { phase: "shadow", text: `PTE at ${hex(r.ptr)}`, before: r.before, after: r.after });
    }
    return { error: 0, value: BigInt(count), count, steps, action: `validated and wrote ${count} page-table entr${count === 1 ? "y" : "ies"} in one exit` };
  }

  /** One PTE, found by its virtual address in the current address space (Xen's update_va_mapping). */
  private updateVaMapping(va: number, val: bigint, flags: number): Done {
    const ptr = this.leafEntry(va);
    if (ptr === undefined) return invalid(`no level-0 table maps ${hex(va)} in the current address space`);
    const r = this.paging.update(ptr, val);
    if ("code" in r) return { error: r.code, refused: r, action: `refused: ${r.why}`, steps: [{ phase: "check", text: `PTE at ${hex(ptr)} ← ${hex(val)}: ${r.why}` }] };
    const vpn = Math.floor(va / 4096) & 0x7ffffff;
    if (flags === UVM_FLUSH.invlpg) this.p.flushTlb(vpn, -1);
    if (flags === UVM_FLUSH.all) this.p.flushTlb(-1, -1);
    return { error: 0, action: `wrote the PTE of ${hex(va)}${flags ? `, flushed ${flags === UVM_FLUSH.all ? "the TLB" : "its TLB entry"}` : ""}`, steps: [
      { phase: "check", text: `the walk of ${hex(va)} ends in the level-0 table; the new entry is valid` },
      { phase: "shadow", text: `PTE at ${hex(ptr)}`, before: r.before, after: r.after },
    ] };
  }

  private leafEntry(va: number): number | undefined {
    let table = Number((this.p.satp & ((1n << 44n) - 1n)) * 4096n);
    const vpn = Math.floor(va / 4096) & 0x7ffffff;
    for (let level = 2; level > 0; level--) {
      const pte = this.paging.read(table + ((vpn >>> (9 * level)) & 511) * 8);
      if ((pte & 0xfn) !== 1n) return undefined;
      table = Number((pte >> 10n) & ((1n << 44n) - 1n)) * 4096;
    }
    return table + (vpn & 511) * 8;
  }

  private mmuextOp(ops: number, count: number): Done {
    if (count < 0 || count > MAX_BATCH) return invalid(`count ${count} is not 0–${MAX_BATCH}`);
    const steps: NarrativeStep[] = [];
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const cmd = this.mem.readU64(ops + i * MMUEXT_OP_BYTES), arg = this.mem.readU64(ops + i * MMUEXT_OP_BYTES + 8);
      if (cmd === undefined || arg === undefined) return { error: PV_ERR.EFAULT, value: BigInt(i), steps, action: `op ${i} is not readable by the kernel` };
      const name = MMUEXT_NAMES[Number(cmd & 0xffn)] ?? `op ${cmd}`;
      names.push(name);
      const r = this.mmuext(Number(cmd), arg);
      if (r) {
        steps.push({ phase: "check", text: `${name}(${hex(arg)}) refused: ${r.why}` });
        return { error: r.code, value: BigInt(i), refused: r, op: name, count, steps, action: `${name} refused (${r.why}); ${i} of ${count} done` };
      }
      steps.push({ phase: "shadow", text: `${name}(${hex(arg)})` });
    }
    return { error: 0, value: BigInt(count), op: names.join(","), count, steps, action: names.join(", ") || "nothing" };
  }

  /** One mmuext_op: cmd's low byte is the command; pin's level is in bits 15:8 (0, 1 or 2). */
  private mmuext(cmd: number, arg: bigint): Refusal | undefined {
    const mfn = Number(arg & ((1n << 44n) - 1n));
    switch (cmd & 0xff) {
      case MMUEXT.pinTable: {
        const r = this.paging.pin(mfn, cmd >> 8);
        // A stale TLB entry could still write the new table: every cached translation goes.
        if (!r) this.p.flushTlb(-1, -1);
        return r;
      }
      case MMUEXT.unpinTable:
        return this.paging.unpin(mfn, Number(this.p.satp & ((1n << 44n) - 1n)));
      case MMUEXT.newBaseptr:
        if (this.paging.tables.get(mfn) !== 2) return { code: PV_ERR.EINVAL, why: `frame ${hex(mfn)} is not a pinned root (level 2)` };
        this.p.satp = (8n << 60n) | (arg & ((1n << 60n) - 1n));
        return undefined;
      case MMUEXT.tlbFlushAll: this.p.flushTlb(-1, -1); return undefined;
      case MMUEXT.invlpg: this.p.flushTlb(Number((arg >> 12n) & 0x7ffffffn), -1); return undefined;
      case MMUEXT.flushAsid: this.p.flushTlb(-1, Number(arg & 0xffffn)); return undefined;
    }
    return { code: PV_ERR.EINVAL, why: `no mmuext command ${cmd & 0xff}` };
  }

  /** Several hypercalls in one exit (Xen's multicall): each entry's result word gets its error. */
  private multicall(calls: number, count: number): Done {
    if (count < 0 || count > MAX_BATCH) return invalid(`count ${count} is not 0–${MAX_BATCH}`);
    const steps: NarrativeStep[] = [];
    for (let i = 0; i < count; i++) {
      const at = calls + i * MULTICALL_BYTES;
      const words = Array.from({ length: 7 }, (_, k) => this.mem.readU64(at + k * 8));
      if (words.some((w) => w === undefined)) return { error: PV_ERR.EFAULT, value: BigInt(i), count, steps, action: `entry ${i} is not readable by the kernel` };
      const [op, ...args] = words as bigint[];
      const d = this.dispatch(Number(op), args, true);
      if (!this.mem.writeU64(at + 56, BigInt.asUintN(64, BigInt(d.error)))) return { error: PV_ERR.EFAULT, value: BigInt(i), count, steps, action: `entry ${i}'s result is not writable by the kernel` };
      const name = HYPERCALL_NAMES[Number(op)] ?? `hypercall ${op}`;
      steps.push({ phase: "check", text: `${i}: ${name}(${argsOf(Number(op), args)}) → ${errName(d.error)}: ${d.action}` }, ...(d.steps ?? []));
    }
    return { error: 0, value: BigInt(count), count, steps, action: `${count} hypercall${count === 1 ? "" : "s"} in one exit` };
  }

  private setTimerOp(deadline: bigint): Done {
    this.p.setTimer(deadline === 0n ? undefined : deadline);
    return { error: 0, action: deadline === 0n ? "timer cancelled" : `the timer event fires when time reaches ${hex(deadline)}` };
  }

  private consoleIo(cmd: number, count: number, buffer: number): Done {
    if (cmd !== CONSOLEIO_WRITE && cmd !== CONSOLEIO_READ) return { error: PV_ERR.ENOSYS, action: `console_io command ${cmd} is not in ABI v1 (write, 0; read, 1)` };
    if (count < 0 || count > CONSOLEIO_MAX) return invalid(`count ${count} is not 0–${CONSOLEIO_MAX}`);
    return cmd === CONSOLEIO_WRITE ? this.consoleWrite(count, buffer) : this.consoleRead(count, buffer);
  }

  private consoleWrite(count: number, buffer: number): Done {
    const bytes = this.mem.readBytes(buffer, count);
    if (!bytes) return { error: PV_ERR.EFAULT, op: "write", action: `the buffer at ${hex(buffer)} is not readable by the kernel` };
    bytes.forEach((b) => this.p.putchar(b));
    return { error: 0, value: BigInt(count), op: "write", count, action: `wrote ${count} byte${count === 1 ? "" : "s"} to the console: ${JSON.stringify(new TextDecoder().decode(bytes))}` };
  }

  /** Xen's CONSOLEIO_read: what input has arrived, up to count bytes; never waits (the console's event says when to read). */
  private consoleRead(count: number, buffer: number): Done {
    // Checked before any byte is taken, so a bad buffer loses no input.
    if (!this.mem.writable(buffer, count)) return { error: PV_ERR.EFAULT, op: "read", action: `the buffer at ${hex(buffer)} is not writable by the kernel` };
    const bytes = Uint8Array.from(this.p.readConsole(count));
    this.mem.writeBytes(buffer, bytes);
    return {
      error: 0, value: BigInt(bytes.length), op: "read", count,
      action: bytes.length === 0 ? "no console input waiting: read 0 bytes" : `read ${bytes.length} byte${bytes.length === 1 ? "" : "s"} of console input: ${JSON.stringify(new TextDecoder().decode(bytes))}`,
      steps: [{ phase: "device", text: `${bytes.length} byte${bytes.length === 1 ? "" : "s"} from the UART's receive FIFO (the VMM's console backend) into the kernel's buffer at ${hex(buffer)}` }],
    };
  }

  private iret(): Done {
    const { toPc, toPriv } = this.p.iret();
    return { error: 0, jumped: true, action: `returned to ${hex(toPc)} in ${toPriv === 0 ? "U" : "S"}-mode (sret's effect: pc ← sepc, mode ← SPP, SIE ← SPIE)` };
  }

  private schedOp(cmd: number, code: number): Done {
    const op = SCHED_NAMES[cmd];
    switch (cmd) {
      case SCHED.yield: return { error: 0, op, action: "the only vCPU goes on" };
      case SCHED.block:
        this.p.block();
        return { error: 0, op, action: "event delivery on (SIE ← 1); the vCPU waits for an event" };
      case SCHED.shutdown:
        this.p.shutdown(code);
        return { error: 0, op, halted: true, action: `the guest shut down with code ${code}` };
    }
    return invalid(`no sched_op command ${cmd}`);
  }

  private eventChannelOp(cmd: number, virq: number): Done {
    if (cmd !== EVTCHN_BIND_VIRQ) return invalid(`no event_channel_op command ${cmd} in ABI v1 (only bind_virq, 0)`);
    const name = VIRQ_NAMES[virq];
    if (name === undefined) return invalid(`no virtual IRQ ${virq} in ABI v1 (the timer, 0; the console, 2)`);
    const bound = this.virqPorts.get(virq);
    if (bound !== undefined) return { error: PV_ERR.EBUSY, action: `the ${name} is already bound to port ${bound}` };
    if (this.ports >= 64) return { error: PV_ERR.EBUSY, action: "all 64 ports are bound" };
    const port = this.ports++;
    this.virqPorts.set(virq, port);
    return { error: 0, value: BigInt(port), op: "bind_virq", action: `the ${name}'s events arrive on port ${port}` };
  }
}

function invalid(why: string): Done {
  return { error: PV_ERR.EINVAL, action: why };
}

/** The arguments a hypercall takes, as hex, for its name in the exit log. */
function argsOf(fid: number, a: readonly bigint[]): string {
  const arity: Record<number, number> = {
    [HC.setTrapTable]: 2, [HC.mmuUpdate]: 2, [HC.multicall]: 2, [HC.updateVaMapping]: 3, [HC.setTimerOp]: 1,
    [HC.consoleIo]: 3, [HC.iret]: 0, [HC.mmuextOp]: 2, [HC.schedOp]: 2, [HC.eventChannelOp]: 2,
  };
  return a.slice(0, arity[fid] ?? 6).map(hex).join(", ");
}
