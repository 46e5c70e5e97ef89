import { Bus } from "../machine/bus";
import { Hart } from "../machine/hart/hart";
import { Ram } from "../machine/memory";

/**
 * A virtual CPU: the guest's privilege mode and its whole M/S CSR file, kept by the VMM.
 *
 * The state lives in a `Hart` object that never executes an instruction: the VMM applies the
 * machine's own CSR, trap-entry, xRET and interrupt-selection rules to it (csr.ts, trap.ts), so the
 * virtual CPU has exactly the WARL behaviour of the real hart and the guest cannot tell them apart.
 * The guest's GPRs are not here: while the VM exists they live in the host hart, which runs the
 * guest deprivileged.
 */
export class Vcpu {
  /** The virtual hart's architectural state (pc, prv, CSRs, virtual mip, waiting in WFI). */
  readonly state: Hart;

  constructor(readonly id: number) {
    // The state hart needs a bus only for its (unused) decoded-code cache: one page of nothing.
    this.state = new Hart(new Bus(new Ram(0, 4096)));
  }

  get priv(): number {
    return this.state.prv;
  }
}
