import { MIP_MSIP, MIP_STIP } from "../isa/csr_bits";
import type { Clint } from "../machine/devices/clint/model";
import type { Hart } from "../machine/hart/hart";
import { pendingInterrupt } from "../machine/hart/trap";
import type { Vm } from "./vm";

/**
 * The vCPU's timer (KVM's vcpu_timer.c): the guest's virtual CLINT (its msip and mtimecmp of the
 * vCPU's hart id) drives one bit of the vCPU's mip,
 * MTIP, or STIP when the VMM is the guest's SBI firmware (mie's enable bit sits at the same
 * position). Virtual time is the guest's retired-instruction count, so the VMM knows exactly when
 * the deadline falls and ends the VM entry there (`deadline`), as the native board ends a slice.
 *
 * The deadline and the line's level are recomputed only when the CLINT says something changed
 * (`changed`): reading them on every entry would cost a bigint comparison per exit.
 */
export class VcpuTimer {
  private known = false;
  /** The retired count at which MTIP rises, or −1 when it cannot (or has). */
  private at = -1;
  private level = false;

  constructor(
    readonly clint: Clint,
    private readonly vcpu: Hart,
    /** The mip bit the timer drives: MTIP or STIP. */
    readonly bit: number,
    private readonly retired: () => number,
    /** The vCPU's hart id: which of the CLINT's msip and mtimecmp registers are its. */
    readonly hart = 0,
  ) {}

  /** The vCPU's mtimecmp. */
  get mtimecmp(): bigint {
    return this.clint.mtimecmps[this.hart];
  }
  set mtimecmp(t: bigint) {
    this.clint.mtimecmps[this.hart] = t;
    this.known = false;
  }

  /** The CLINT's registers changed (a guest write, an SBI set_timer, a reset). */
  changed(): void {
    this.known = false;
  }

  /** Drives the vCPU's timer and software interrupt lines from the CLINT. */
  sync(): void {
    const v = this.vcpu;
    const c = this.clint;
    if (!this.known) {
      this.at = c.deadline(this.hart);
      this.level = c.mtip(this.hart);
      this.known = true;
    }
    let hw = v.mipHw & ~(this.bit | MIP_MSIP);
    if (this.at >= 0 ? this.retired() >= this.at : this.level) hw |= this.bit;
    if (c.msips[this.hart]) hw |= MIP_MSIP;
    v.mipHw = hw;
  }

  /** The retired count at which the next entry must end for the timer, or −1 when none is due. */
  deadline(): number {
    return this.at >= 0 && this.retired() < this.at ? this.at : -1;
  }

  /** Whether the timer can still wake a vCPU waiting in wfi (it is enabled, and mtimecmp is not never). */
  canWake(): boolean {
    return (this.vcpu.mie & this.bit) !== 0 && this.clint.canFire(this.hart);
  }

  /** The deadline passed during the last entry: raise the line, and record the `timer` exit. */
  expired(vm: Vm): void {
    this.sync();
    const deliverable = pendingInterrupt(this.vcpu) >= 0;
    const mtimecmp = this.mtimecmp;
    const line = this.bit === MIP_STIP ? "STIP" : "MTIP";
    vm.record("timer", undefined, { device: "clint", register: "mtimecmp", value: mtimecmp }, () => ({
      action: `mtime reached mtimecmp (0x${mtimecmp.toString(16)}): raised the guest's ${line}${deliverable ? "" : "; the guest has it masked, so nothing is delivered yet"}`,
      steps: [{ phase: "device", text: `virtual CLINT: mtime ≥ mtimecmp, ${line} rises`, before: 0n, after: 1n }],
    }));
  }
}
