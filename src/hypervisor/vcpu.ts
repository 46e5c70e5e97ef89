import { Bus } from "../machine/bus";
import { Hart, type HartOptions } from "../machine/hart/hart";
import { Ram } from "../machine/memory";
import { VcpuContext } from "./vcpu_context";

/**
 * A virtual CPU: the guest's privilege mode and its whole M/S CSR file, kept by the VMM.
 *
 * The state lives in a `Hart` object that never executes an instruction: the VMM applies the
 * machine's own CSR, trap-entry, xRET and interrupt-selection rules to it (csr.ts, trap.ts), so the
 * virtual CPU has exactly the WARL behaviour of the real hart and the guest cannot tell them apart.
 * Its mhartid is the vCPU's id. The guest's GPRs and f registers (and fcsr) are not in the state:
 * while the vCPU is loaded on the host hart they live there, and while another vCPU of the VM has
 * the hart they wait in `context` (vcpu_context.ts). mstatus.FS is the vCPU's; each technique
 * carries it to the hart on entry and back on exit, so that the hardware's FS checks and Dirty
 * tracking act for the guest.
 */
export class Vcpu {
  /** The virtual hart's architectural state (pc, prv, CSRs, virtual mip, waiting in WFI). */
  readonly state: Hart;
  /** Its registers and LR reservation while it is not loaded on the host hart. */
  readonly context = new VcpuContext();
  /** Guest steps in a row that delivered traps without retiring an instruction (vm.ts TRAP_LOOP_STEPS). */
  trapsInARow = 0;
  /** Guest instructions the VM retired on other vCPUs: this vCPU's minstret leaves them out. */
  othersRetired = 0;
  /** The VM's retired count when this vCPU last left the host hart. */
  leftAt = 0;

  /** `fpu`: the F and D extensions the guest sees, those of the host hart. */
  constructor(readonly id: number, fpu: Pick<HartOptions, "f" | "d"> = {}) {
    // The state hart needs a bus only for its (unused) decoded-code cache: one page of nothing.
    this.state = new Hart(new Bus(new Ram(0, 4096)), { ...fpu, hartId: id });
  }

  get priv(): number {
    return this.state.prv;
  }
}
