import { Bus } from "../machine/bus";
import { Hart, type HartOptions } from "../machine/hart/hart";
import { Ram } from "../machine/memory";

/**
 * A virtual CPU: the guest's privilege mode and its whole M/S CSR file, kept by the VMM.
 *
 * The state lives in a `Hart` object that never executes an instruction: the VMM applies the
 * machine's own CSR, trap-entry, xRET and interrupt-selection rules to it (csr.ts, trap.ts), so the
 * virtual CPU has exactly the WARL behaviour of the real hart and the guest cannot tell them apart.
 * The guest's GPRs and f registers (and fcsr) are not here: while the VM exists they live in the host
 * hart, which runs the guest deprivileged. mstatus.FS is the vCPU's; each technique carries it to the
 * hart on entry and back on exit, so that the hardware's FS checks and Dirty tracking act for the guest.
 */
export class Vcpu {
  /** The virtual hart's architectural state (pc, prv, CSRs, virtual mip, waiting in WFI). */
  readonly state: Hart;

  /** `fpu`: the F and D extensions the guest sees, those of the host hart. */
  constructor(readonly id: number, fpu: Pick<HartOptions, "f" | "d"> = {}) {
    // The state hart needs a bus only for its (unused) decoded-code cache: one page of nothing.
    this.state = new Hart(new Bus(new Ram(0, 4096)), fpu);
  }

  get priv(): number {
    return this.state.prv;
  }
}
