import { Exc } from "../../isa/causes";
import { CSR, csrByNumber } from "../../isa/csrs";
import { csrAccessible, csrRead, csrWrite } from "../../machine/hart/csr";
import { markFpDirty } from "../../machine/hart/fpu/status";
import { pendingInterrupt } from "../../machine/hart/trap";
import { insn, type DecodedInstruction } from "../decode";
import { pcAt, pcValue, type ExitDetails, type ExitReason, type NarrativeStep } from "../exits";
import { contextKey, sameContext } from "../mm/shadow_paging";
import { PRIV_NAMES } from "../../isa/privilege";
import type { Vm } from "../vm";
import { reflect } from "./inject";

/**
 * CSR instructions, emulated on the virtual CPU with the machine's own CSR rules (existence,
 * privilege in the number, read-only numbers, counter enables, TVM, WARL masks), so that the guest
 * reads back exactly what the real hart would give it.
 */

export function emulateCsr(vm: Vm, d: DecodedInstruction, via?: ExitReason): number {
  const v = vm.vcpu.state;
  const hart = vm.board.hart;
  const num = d.expanded >>> 20;
  const name = d.mnemonic;
  const imm = name.endsWith("i");
  const src = imm ? BigInt(d.rs1) : hart.getReg(d.rs1);
  const kind = name[4];
  const writes = kind === "w" || d.rs1 !== 0;
  const csrName = csrByNumber(num)?.name ?? `0x${num.toString(16)}`;
  vm.syncTime();
  const how = vm.trappedHow;
  if (!csrAccessible(v, num, writes)) {
    const priv = v.prv;
    return reflect(vm, "guest-exception", BigInt(Exc.illegalInstruction), BigInt(d.bits), d, { csr: csrName, csrNumber: num },
      () => `${name} ${csrName} is illegal in virtual ${PRIV_NAMES[priv]}-mode`);
  }
  const pc = pcAt(v), priv = v.prv;
  // The guest's fcsr lives on the host hart with its f registers (vcpu.ts); a write dirties its FS.
  const fp = num >= CSR.fflags && num <= CSR.fcsr;
  const holder = fp ? hart : v;
  const old = csrRead(holder, num) as bigint;
  let after = old;
  /** What the VMM did about a change of the guest's PMP. */
  let pmpChanged: string | undefined;
  /** When the write changed the guest's translation context: its key, and whether its shadow root was cached. */
  let switched: { key: string; cached: boolean } | undefined;
  if (writes) {
    const contextBefore = vm.context();
    const value = kind === "w" ? src : kind === "s" ? old | src : old & ~src;
    csrWrite(holder, num, BigInt.asUintN(64, value));
    if (fp) markFpDirty(v);
    after = csrRead(holder, num) as bigint;
    if (num >= 0x3a0 && num < 0x3c0) {
      // What the guest may reach changed: every shadow entry was derived under the old PMP.
      pmpChanged = vm.guestPmpChanged();
    }
    const contextAfter = vm.context();
    if (!sameContext(contextAfter, contextBefore)) {
      const key = contextKey(contextAfter);
      switched = { key, cached: vm.shadow.rootByKey(key) !== undefined };
    }
  }
  hart.setReg(d.rd, old);
  vm.retire(4);
  const deliverable = writes && pendingInterrupt(v) >= 0;
  const toPc = pcAt(v);
  // A new guest address space (root, ASID or mode): the VMM switches worlds (cost_model.ts).
  const worldSwitch = num === CSR.satp && after !== old;
  const details: ExitDetails = { csr: csrName, csrNumber: num, oldValue: old, newValue: after };
  if (worldSwitch) details.worldSwitch = true;
  vm.record(via ?? (writes ? "csr-write" : "csr-read"), insn(d), details, () => {
    const steps: NarrativeStep[] = [
      { phase: "decode", text: `${name} x${d.rd}, ${csrName}, ${imm ? d.rs1 : `x${d.rs1}`} ${how}` },
      { phase: "check", text: `${csrName} exists and virtual ${PRIV_NAMES[priv]}-mode may ${writes ? "write" : "read"} it` },
    ];
    if (writes) {
      steps.push({ phase: "vcpu", text: `virtual ${csrName} ← ${kind === "w" ? "" : kind === "s" ? "old | " : "old & ~"}0x${src.toString(16)} (WARL)`, before: old, after });
      if (pmpChanged) steps.push({ phase: "shadow", text: `guest PMP changed: ${pmpChanged}` });
      if (switched) {
        steps.push({ phase: "shadow", text: `guest translation context → ${switched.key}: ${switched.cached ? "its cached shadow root is reused" : "a new shadow root is built lazily"}` });
      }
      if (worldSwitch) steps.push({ phase: "shadow", text: "world switch: the VMM moves the hardware to the new address space's shadow world (root table, host ASID)" });
      if (details.fpu) steps.push({ phase: "vcpu", text: `floating-point state, ${details.fpu}` });
    } else {
      steps.push({ phase: "vcpu", text: `read virtual ${csrName}`, after: old });
    }
    if (d.rd !== 0) steps.push({ phase: "vcpu", text: `x${d.rd} ← old ${csrName}`, after: old });
    if (deliverable) steps.push({ phase: "inject", text: "a pending virtual interrupt is now enabled: it is injected before the next guest instruction" });
    steps.push({ phase: "resume", text: "pc ← pc + 4", before: pcValue(pc), after: pcValue(toPc) });
    return {
      action: writes
        ? `emulated ${name}: virtual ${csrName} 0x${old.toString(16)} → 0x${after.toString(16)}${num === CSR.satp ? " (guest address-space switch)" : ""}${deliverable ? "; a pending interrupt became deliverable" : ""}`
        : `emulated ${name}: x${d.rd} ← virtual ${csrName} = 0x${old.toString(16)}`,
      steps,
    };
  }, pc, priv, worldSwitch);
  return 1;
}

/**
 * The Popek–Goldberg teaching option: sstatus accesses that the "hardware" lets U-mode execute
 * without trapping. They act on the host hart's real sstatus, record no exit and cost nothing:
 * exactly what x86's pushf/popf did, and why the VMM never learns about them.
 */
export function emulateNonTrapping(vm: Vm, d: DecodedInstruction): boolean {
  if (vm.nonTrapping.size === 0 || !d.mnemonic.startsWith("csrr") || d.expanded >>> 20 !== CSR.sstatus) return false;
  const writes = d.mnemonic[4] === "w" || d.rs1 !== 0;
  if (!vm.nonTrapping.has(writes ? "sstatus-write" : "sstatus-read")) return false;
  const hart = vm.board.hart;
  // Writes are silently dropped, as popf drops IF in ring 3; reads see the host's real register.
  hart.setReg(d.rd, hart.readCsr(CSR.sstatus) ?? 0n);
  vm.retire(4);
  return true;
}

