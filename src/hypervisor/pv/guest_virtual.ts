import { Acc, walkGuest, type GuestMemory } from "../mm/guest_walk";
import type { Hart } from "../../machine/hart/hart";

/**
 * The paravirtual guest's virtual memory as the VMM reads it (Xen's copy_from_guest): through the
 * guest's own table, which holds machine addresses (direct paging), with the guest kernel's rights.
 * A hypercall's buffer that the kernel could not read (or write) itself is EFAULT, never a way
 * around its page tables.
 */
export class GuestVirtual {
  constructor(
    /** The vCPU (its satp is the machine root the hart runs on; its mstatus SUM and MXR). */
    private readonly v: Hart,
    /** Host RAM as page-table memory: addresses are machine addresses. */
    readonly machine: GuestMemory,
    /** The guest's machine frames. */
    private readonly owns: (hpa: number, len: number) => boolean,
    /** Tells the machine that the VMM wrote guest RAM for the kernel: decoded code there goes, and data breakpoints and `lastwrite` see the kernel's store (Vm.storedForGuest). */
    private readonly written: (hpa: number, len: number) => void,
  ) {}

  /** The machine address of `va` for the kernel's access `acc`, or undefined. */
  translate(va: number, acc: Acc, priv = 1): number | undefined {
    const t = walkGuest(this.v, this.machine, va, acc, priv, true);
    return t.ok && this.owns(t.gpa, 1) ? t.gpa : undefined;
  }

  readU64(va: number): bigint | undefined {
    const hpa = va % 8 === 0 ? this.translate(va, Acc.R) : undefined;
    return hpa === undefined ? undefined : this.machine.ramView.getBigUint64(this.machine.pteOffset(hpa), true);
  }

  writeU64(va: number, value: bigint): boolean {
    const hpa = va % 8 === 0 ? this.translate(va, Acc.W) : undefined;
    if (hpa === undefined) return false;
    this.machine.ramView.setBigUint64(this.machine.pteOffset(hpa), value, true);
    this.written(hpa, 8);
    return true;
  }

  /** Whether the kernel could write all of [va, va + n) itself. */
  writable(va: number, n: number): boolean {
    for (let i = 0; i < n; i += 4096 - ((va + i) & 4095)) if (this.translate(va + i, Acc.W) === undefined) return false;
    return true;
  }

  /** Writes `bytes` at `va`, which must be writable(va, bytes.length). */
  writeBytes(va: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length;) {
      const hpa = this.translate(va + i, Acc.W)!;
      const chunk = Math.min(bytes.length - i, 4096 - ((va + i) & 4095));
      new Uint8Array(this.machine.ramView.buffer, this.machine.ramView.byteOffset + this.machine.pteOffset(hpa), chunk).set(bytes.subarray(i, i + chunk));
      this.written(hpa, chunk);
      i += chunk;
    }
  }

  readBytes(va: number, n: number): Uint8Array | undefined {
    const out = new Uint8Array(n);
    for (let i = 0; i < n;) {
      const hpa = this.translate(va + i, Acc.R);
      if (hpa === undefined) return undefined;
      const chunk = Math.min(n - i, 4096 - ((va + i) & 4095));
      const at = this.machine.pteOffset(hpa);
      out.set(new Uint8Array(this.machine.ramView.buffer, this.machine.ramView.byteOffset + at, chunk), i);
      i += chunk;
    }
    return out;
  }
}
