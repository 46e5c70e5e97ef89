import type { ExitReason } from "./exits";

/**
 * The modelled cost of exits, in cycles. The defaults are the "pure virtualization" column of the
 * table "Overheads (Estimated)" in Heiser's COMP9242 virtualization lecture (shared/seeds/003_…):
 *
 *   | operation               | cycles |
 *   |-------------------------|--------|
 *   | hypervisor entry + exit | 650    |
 *   | IRQ entry + exit        | 900    |
 *   | page fault              | 1500   |
 *   | device emulation        | 1040   |
 *   | world switch            | 7555   |
 *
 * A guest instruction costs one cycle (the machine's model: mcycle = minstret). Every exit reason
 * maps to one operation of the table.
 *
 * A world switch is charged on top, on the exit where the VMM switches worlds. The lecture's world
 * switch (2,824 instructions, 7,555 cycles) is the hypervisor moving the hardware from one guest
 * context to another: the whole CPU and MMU context saved and reloaded. With one VM, the VMM does
 * that when the guest switches address spaces: a satp write that changes the guest's root, ASID or
 * mode makes the VMM move the hardware onto another shadow world (another shadow root and host
 * ASID, built afresh if it was not cached), which is what a native OS's context switch costs the
 * VMM. These are not world switches: a privilege change within one address space (guest U ↔ S
 * run on paired roots that are switched at VM entry like any other CSR state, and are charged as
 * the trap or xRET they are), SUM/MXR changes, and entering a device model (Hyperstep's device
 * models live in the VMM itself, "hypervisor-direct", so an MMIO exit is device emulation, 1,040).
 * Between several VMs, when they come, each switch is one as well.
 *
 * A binary-translation callout (techniques/binary_translation.ts) is a call from translated guest
 * code into the VMM in the same address space, with no trap and no privilege change: what the
 * lecture's para-virtualization column charges for a hypervisor entry + exit, a hypercall, 150
 * cycles (the same table).
 *
 * Translating guest code into the translation cache costs `translation` cycles per guest instruction
 * translated (a `bt-translate` exit is charged that many times). The lectures say only that the TC
 * exists to amortize translation costs (shared/seeds/002_…: "cache translated blocks to amortize
 * translation costs"), and Adams and Agesen ("A Comparison of Software and Hardware Techniques for
 * x86 Virtualization", ASPLOS 2006) describe the translator (one IR object per guest instruction,
 * most copied as they are) without a per-instruction figure, so the 150 cycles are Hyperstep's
 * estimate: the translator decodes, classifies and emits each instruction, the decode-and-dispatch
 * work of one callout. A write to a page of translated code is a page fault into the VMM, which
 * emulates the store (as for a guest page-table write: 1,500).
 */
export interface CostModel {
  hypervisorEntryExit: number;
  irq: number;
  pageFault: number;
  deviceEmulation: number;
  worldSwitch: number;
  callout: number;
  translation: number;
}

export const SEED_COSTS: Readonly<CostModel> = Object.freeze({
  hypervisorEntryExit: 650,
  irq: 900,
  pageFault: 1500,
  deviceEmulation: 1040,
  worldSwitch: 7555,
  callout: 150,
  translation: 150,
});

/** Which operation of the table each exit reason is. */
export const REASON_OPERATION: Readonly<Record<ExitReason, keyof CostModel>> = Object.freeze({
  "csr-read": "hypervisorEntryExit",
  "csr-write": "hypervisorEntryExit",
  xret: "hypervisorEntryExit",
  wfi: "hypervisorEntryExit",
  sfence: "hypervisorEntryExit",
  ecall: "hypervisorEntryExit",
  "guest-exception": "hypervisorEntryExit",
  "virtual-interrupt": "irq",
  timer: "irq",
  "hidden-page-fault": "pageFault",
  "guest-pt-write": "pageFault",
  "pmp-access": "pageFault",
  "mprv-access": "pageFault",
  "mmio-read": "deviceEmulation",
  "mmio-write": "deviceEmulation",
  "guest-page-fault": "deviceEmulation",
  "virtual-instruction": "hypervisorEntryExit",
  "sbi-call": "hypervisorEntryExit",
  "bt-callout": "callout",
  "bt-lookup-miss": "callout",
  "hypercall-set-trap-table": "hypervisorEntryExit",
  "hypercall-mmu-update": "hypervisorEntryExit",
  "hypercall-update-va-mapping": "hypervisorEntryExit",
  "hypercall-mmuext": "hypervisorEntryExit",
  "hypercall-multicall": "hypervisorEntryExit",
  "hypercall-timer": "hypervisorEntryExit",
  "hypercall-event-channel": "hypervisorEntryExit",
  "hypercall-sched": "hypervisorEntryExit",
  "hypercall-console": "hypervisorEntryExit",
  "hypercall-iret": "hypervisorEntryExit",
  "event-upcall": "irq",
  "pv-violation": "hypervisorEntryExit",
  "bt-translate": "translation",
  "bt-invalidate": "pageFault",
  "iommu-fault": "irq",
  "device-interrupt": "irq",
});

/** A cost model from user settings: unknown keys and non-numbers are errors, missing keys take the seed value. */
export function costModel(overrides: Partial<Record<string, unknown>> = {}): CostModel | { error: string } {
  const out: CostModel = { ...SEED_COSTS };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in SEED_COSTS)) return { error: `unknown cost '${k}'; the costs are ${Object.keys(SEED_COSTS).join(", ")}` };
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return { error: `cost '${k}' must be a number of cycles ≥ 0` };
    out[k as keyof CostModel] = v;
  }
  return out;
}

export function exitCost(model: CostModel, reason: ExitReason): number {
  return model[REASON_OPERATION[reason]];
}
