import type { ExitNarrative, ExitReason } from "./exits";

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
 *
 * Hosting. The costs above are a native (type 1) VMM's, which owns the hardware and its device
 * models. A hosted (type 2) VMM runs beside a host OS that owns the devices, as VMware Workstation
 * does (Sugerman, Venkitachalam and Lim, "Virtualizing I/O Devices on VMware Workstation's Hosted
 * Virtual Machine Monitor", USENIX ATC 2001): an exit that needs the host OS makes the VMM switch
 * from its own world to the host's and back (the "VMX world switch"), which the lecture names the
 * hosted VMM's price, "double mode switches" (shared/seeds/003_…, "Native vs. Hosted VMM"). Under
 * `hosting: "hosted"` those exits cost two world switches more. The exits that need the host are
 * device I/O, which the host OS performs: those the table charges as device emulation, and a
 * paravirtual kernel's console hypercall.
 * Floating-point state (fpu_switch.ts): saving it is 32 `fsd` and one `frcsr`, restoring it 32
 * `fld` and one `fscsr`, so `fpSave` and `fpRestore` are 33 cycles each at the model's one cycle per
 * instruction (the sequence Linux's `__fstate_save`/`__fstate_restore` run on RISC-V). The eager
 * policy pays both at every world switch; the lazy one pays an `fpu-trap` (a hypervisor entry +
 * exit, 650) plus the restore, and only when the guest touches the FPU after a world switch. That
 * is the trade Linux and KVM weighed on x86: lazy switching until a save became cheap beside the
 * trap that lazy switching takes (and until LazyFP, CVE-2018-3665, showed the state it leaves behind
 * can leak), when both went eager.
 * Device models (hypervisor/io/): under "emulated" every virtio-mmio register access is an MMIO exit
 * into a device model, device emulation (1,040), as the UART's are. Under "split" the driver's reads
 * hit a read-only register image (no exit) and the one exit per batch is the notification, a
 * `virtio-notify`: the VMM decodes no register for a device model, it only kicks the backend, which
 * then walks the shared ring. That is a hypervisor entry + exit (650): the cost of Xen's
 * EVTCHNOP_send from a frontend (a hypercall that sets a pending bit, Chisnall, "The Definitive
 * Guide to the Xen Hypervisor", ch. 7), and of a KVM ioeventfd exit, which the kernel answers by
 * signalling an eventfd without going out to the device model in user space. The other writes
 * (initialization, InterruptACK) still exit as MMIO writes (1,040). The backend's copying of the
 * data is charged to neither model (it is the same work in both, and natively the device's).
 * Hypervisor swapping (mm/host_swap.ts) reads and writes 4 KiB pages on the host's disk. The lecture
 * has no disk figure, so `diskPage` is a 4 KiB random read from an SSD, 150 µs ("Read 4K randomly
 * from SSD", in "Latency Numbers Every Programmer Should Know", Jeff Dean's and Peter Norvig's
 * figures as collected in Jonas Bonér's gist), at the clock the lecture's own figures imply: "Invoking hypervisor 500–1200 cycles (0.6–1.5 µs)"
 * is 0.8 cycles per ns, so 150 µs is 120,000 cycles. A `host-swap-out` is one page written (charged
 * as the read: an SSD writes a page in the same order of time), a `host-swap-in` one page read, plus
 * the page fault (1,500) when the guest's own access faulted. Either dwarfs every other exit: that
 * is why ESX swaps only as the last resort, after ballooning and page sharing.
 */
export interface CostModel {
  hypervisorEntryExit: number;
  irq: number;
  pageFault: number;
  deviceEmulation: number;
  worldSwitch: number;
  callout: number;
  translation: number;
  fpSave: number;
  fpRestore: number;
  diskPage: number;
}

export const SEED_COSTS: Readonly<CostModel> = Object.freeze({
  hypervisorEntryExit: 650,
  irq: 900,
  pageFault: 1500,
  deviceEmulation: 1040,
  worldSwitch: 7555,
  callout: 150,
  translation: 150,
  fpSave: 33,
  fpRestore: 33,
  diskPage: 120_000,
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
  "fpu-trap": "hypervisorEntryExit",
  // A protection fault the VMM resolves with a page of memory: the table's page fault (the 4 KiB copy is not costed apart).
  "cow-break": "pageFault",
  // Hypervisor swapping (mm/host_swap.ts): a page read from, or written to, the host's disk.
  "host-swap-in": "diskPage",
  "host-swap-out": "diskPage",
  // Several VMs (host.ts): the scheduler moves the host hart from one VM's world to the next's.
  "world-switch": "worldSwitch",
  // Split device model (hypervisor/io/split_access.ts): a kick, not a register to emulate.
  "virtio-notify": "hypervisorEntryExit",
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

/** Where the VMM runs: alone on the hardware (type 1), or beside a host OS that owns the devices (type 2). */
export type Hosting = "native" | "hosted";
export const HOSTINGS: readonly Hosting[] = ["native", "hosted"];

/** Whether a hosted VMM leaves its world for the host OS's on this exit: device I/O, which the host OS performs. */
export function needsHost(reason: ExitReason): boolean {
  return REASON_OPERATION[reason] === "deviceEmulation" || reason === "hypercall-console";
}

/** What `trips` exits that need the host OS cost a hosted VMM on top of a native one: a world switch to the host OS and one back, each. */
export function hostTripCycles(model: CostModel, trips: number): number {
  return trips * 2 * model.worldSwitch;
}

/** An exit's cost to a native VMM; a hosted one adds `hostTripCycles` where the exit `needsHost`. */
export function exitCost(model: CostModel, reason: ExitReason): number {
  return model[REASON_OPERATION[reason]];
}

/** An exit's narrative as a hosted VMM tells it: the device work happens in the host OS's world. */
export function hostedNarrative(narrate: () => ExitNarrative, worldSwitch: number): () => ExitNarrative {
  return () => {
    const told = narrate();
    return {
      action: told.action,
      steps: [
        ...told.steps.filter((s) => s.phase !== "resume"),
        { phase: "device", text: `hosted VMM: a world switch to the host OS, which performs the I/O, and one back (2 × ${worldSwitch} cycles)` },
        ...told.steps.filter((s) => s.phase === "resume"),
      ],
    };
  };
}
