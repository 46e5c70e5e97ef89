import { MSTATUS_FS } from "../../isa/csr_bits";
import { CSR } from "../../isa/csrs";
import { low32 } from "../../isa/u64";
import { emulateEcall, emulateInstruction } from "../emulate/insn";
import { reflect } from "../emulate/inject";
import { memoryFault } from "../mm/shadow_faults";
import type { Vm } from "../vm";
import type { ShadowRoot } from "../mm/shadow_paging";
import type { Technique, TechniqueSpec } from "./technique";

/** The mstatus bits a shadow context depends on (Vm.context): MPRV, MPP, SUM, MXR. */
const CONTEXT_MSTATUS = (1 << 17) | (3 << 11) | (1 << 18) | (1 << 19);

/**
 * Trap-and-emulate (Popek and Goldberg): all guest code, its M- and S-mode code included, runs in
 * host U-mode on the VMM's shadow page tables; every sensitive instruction traps into the VMM, which
 * emulates it on the virtual CPU. RISC-V is classically virtualizable: every sensitive instruction
 * traps in U-mode (CSR accesses beyond the user counters, which the host's mcounteren = 0 also
 * traps, mret/sret/wfi/sfence.vma), so nothing escapes the VMM — unless the non-standard
 * `nonTrappingSensitive` option says so (emulate/csr.ts).
 *
 * Hardware assistance runs its guest's M-mode code this way too, through an instance of this class.
 */
export class TrapAndEmulate implements Technique {
  /** The host satp last written: most entries stay on the same shadow root. */
  private hostSatp = -1n;
  /**
   * The shadow root of the last entry, and what the vCPU's shadow context was made of then (Vm.context:
   * its privilege, its satp's mode, root and ASID, and mstatus's MPRV, MPP, SUM and MXR). While they
   * are unchanged and the root is still current, the next entry needs no new context to look it up by.
   */
  private entryRoot: ShadowRoot | undefined;
  private entryPrv = -1;
  private entrySatpMode = -1;
  private entrySatpRoot = -1;
  private entrySatpAsid = -1;
  private entryMstatus = -1;
  private oneShot = false;
  readonly trappedHow = "illegal in host U-mode";

  constructor(private readonly vm: Vm) {}

  reset(): void {
    this.hostSatp = -1n;
    this.oneShot = false;
    this.entryRoot = undefined;
  }

  enter(): number {
    return this.enterFrom(false);
  }

  /**
   * VM entry: host U-mode at the guest's pc, on the shadow root of the guest's current context.
   * `virtualized`: the last entry ran the guest in VS/VU-mode (hardware assistance borrows this class).
   */
  enterFrom(virtualized: boolean): number {
    const vm = this.vm;
    const hart = vm.board.hart;
    const v = vm.vcpu.state;
    const contextBits = v.mstatus & CONTEXT_MSTATUS;
    let root = this.entryRoot;
    if (root !== vm.shadow.current || v.prv !== this.entryPrv || contextBits !== this.entryMstatus ||
      v.satpMode !== this.entrySatpMode || v.satpRoot !== this.entrySatpRoot || v.satpAsid !== this.entrySatpAsid || !root) {
      root = vm.shadow.rootFor(vm.context());
      this.entryRoot = root;
      this.entryPrv = v.prv;
      this.entryMstatus = contextBits;
      this.entrySatpMode = v.satpMode;
      this.entrySatpRoot = v.satpRoot;
      this.entrySatpAsid = v.satpAsid;
    }
    if (root.satp !== this.hostSatp) {
      hart.writeCsr(CSR.satp, root.satp);
      this.hostSatp = root.satp;
    }
    if (virtualized) {
      // Back from VS/VU-mode: the mode change must drop the caches that depended on it.
      hart.setMode(0, false);
    } else {
      // Not `hart.priv = 0`, which flushes the software TLB: the host hart leaves U-mode only by the
      // trap that ended the last run (or a reset), and both flushed it; the VMM does not access memory
      // through the hart, so nothing has filled it since.
      hart.prv = 0;
    }
    // The pc setter's work without its bigint round trip (hart.ts keeps the pc as a number).
    // The guest's FS on the hart, or Off while its FP state is not loaded (fpu_switch.ts): FS = Off
    // traps its FP instructions (illegal: the guest's own or an fpu-trap), and the hart marks Dirty
    // for it (leave() brings FS back).
    hart.mstatus = (hart.mstatus & ~MSTATUS_FS) | vm.fpu.realFs(v.mstatus & MSTATUS_FS);
    hart.pcNum = v.pcNum;
    hart.wildPc = v.wildPc;
    this.oneShot = vm.shadow.oneShot !== undefined;
    return this.oneShot ? 1 : Infinity;
  }

  leave(): void {
    const v = this.vm.vcpu.state;
    if (this.vm.fpu.isLoaded) v.mstatus = (v.mstatus & ~MSTATUS_FS) | (this.vm.board.hart.mstatus & MSTATUS_FS);
    if (this.oneShot) this.vm.shadow.endOneShot();
    this.oneShot = false;
  }

  /** A trap the deprivileged guest took into host M-mode. */
  handleExit(cause: bigint, tval: bigint): number {
    const vm = this.vm;
    switch (Number(cause)) {
      case 2:
        return vm.fpu.trap(low32(tval)) ? 0 : emulateInstruction(vm, low32(tval));
      case 8:
        return emulateEcall(vm);
      case 12: case 13: case 15:
        return memoryFault(vm, Number(cause), tval);
      default:
        // ebreak, access faults, misaligned atomics: the guest's own doing.
        return reflect(vm, "guest-exception", cause, tval, undefined, {}, () => "the guest's own exception");
    }
  }

  stepped(): void {}

  /** The shadow entry mapped for one retry of the preempted vCPU's instruction goes: that vCPU faults again when it runs next. */
  preempted(): void {
    this.vm.shadow.endOneShot();
  }

  deliversInterrupt(): boolean {
    return false;
  }

  /**
   * The hart's TLB still holds the shadow translation the trapping instruction was fetched through,
   * so this is one probe, not a guest walk, on every exit.
   */
  trappedInstruction(): number | undefined {
    const vm = this.vm;
    const pc = vm.vcpu.state.pcNum;
    const off = pc & 4095;
    const root = vm.shadow.current;
    if (root && !Number.isNaN(pc) && off <= 4092) {
      const tlb = vm.board.hart.tlb;
      const slot = tlb.lookup(Math.floor(pc / 4096) & 0x7ffffff, root.hostAsid);
      const at = slot < 0 ? -1 : tlb.ppn[slot] * 4096 + off;
      const ram = vm.board.ram;
      if (at >= 0 && ram.contains(at, 4)) {
        const low = ram.view.getUint16(at - ram.base, true);
        return (low & 3) !== 3 ? low : ram.view.getUint32(at - ram.base, true);
      }
    }
    return vm.fetchGuestInstruction(vm.vcpu.state.pc);
  }
}

export const TRAP_AND_EMULATE: TechniqueSpec = {
  description: "Deprivileged guest; sensitive instructions trap to the VMM, which emulates them; shadow page tables.",
  nonTrappingSensitive: true,
  hypervisorExtension: false,
  pageSharing: true,
  swapping: true,
  poolBytes: () => 0,
  create: (vm) => new TrapAndEmulate(vm),
};
