import type { Hart } from "../machine/hart/hart";

/**
 * What of a vCPU lives on the host hart while the vCPU runs, saved while another vCPU of the VM
 * has the hart: the GPRs, the f registers and fcsr, and the LR reservation (its address, value and
 * host-physical address). The VMM swaps it at each vCPU switch (Vm's scheduler), as KVM's
 * vcpu_load/vcpu_put swap a vCPU's registers on a physical CPU. Everything else of the vCPU (pc,
 * privilege, CSRs, satp) is in its state hart (vcpu.ts), which each VM entry loads anyway.
 */
export class VcpuContext {
  readonly x = new Int32Array(66);
  readonly f = new BigUint64Array(32);
  fflags = 0;
  frm = 0;
  resAddr = NaN;
  resLo = 0;
  resHi = 0;
  resSize = 0;
  resPa = 0;

  /** The host hart's registers and reservation into this context. */
  save(hart: Hart): void {
    this.x.set(hart.x);
    this.f.set(hart.f);
    this.fflags = hart.fflags;
    this.frm = hart.frm;
    this.resAddr = hart.resAddr;
    this.resLo = hart.resLo;
    this.resHi = hart.resHi;
    this.resSize = hart.resSize;
    this.resPa = hart.resPa;
  }

  /** This context onto the host hart. */
  restore(hart: Hart): void {
    hart.x.set(this.x);
    hart.f.set(this.f);
    hart.fflags = this.fflags;
    hart.frm = this.frm;
    hart.resAddr = this.resAddr;
    hart.resLo = this.resLo;
    hart.resHi = this.resHi;
    hart.resSize = this.resSize;
    hart.resPa = this.resPa;
  }

  /** A reset vCPU's registers: all zero but a0 = its hart id, as every hart starts natively. */
  reset(hartId: number): void {
    this.x.fill(0);
    this.x[20] = hartId;
    this.f.fill(0n);
    this.fflags = 0;
    this.frm = 0;
    this.resAddr = NaN;
  }
}

/**
 * The reservations of the vCPUs that wait while another runs: the running vCPU's stores (its own,
 * and those the VMM emulates for it) to a reserved address break the reservation there, as another
 * hart's store does natively (board.ts). Each is a write watch on the host hart, rebuilt at every
 * vCPU switch; nothing is installed (and no cache flushed) while no waiting vCPU holds one.
 */
export class ReservationWatches {
  private removers: (() => void)[] = [];

  /** The host hart runs a vCPU; `waiting` are the contexts of the others. */
  sync(hart: Hart, waiting: readonly VcpuContext[]): void {
    const holders = waiting.filter((c) => c.resAddr === c.resAddr);
    if (this.removers.length === 0 && holders.length === 0) return;
    this.clear();
    this.removers = holders.map((c) => {
      const pa = c.resPa;
      return hart.addWatch({
        pa, len: c.resSize, read: false, write: true,
        onHit: () => {
          if (c.resPa === pa) c.resAddr = NaN;
          return false;
        },
      });
    });
  }

  /** Removes every watch (time travel puts the contexts back: sync installs what they need). */
  clear(): void {
    for (const remove of this.removers) remove();
    this.removers = [];
  }
}
