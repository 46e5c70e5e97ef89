import { Exc } from "../isa/causes";
import { MSTATUS_FS } from "../isa/csr_bits";
import { CSR } from "../isa/csrs";
import { decodeBits, insn, type DecodedInstruction } from "./decode";
import type { ExitDetails } from "./exits";
import type { Vm } from "./vm";

/**
 * How the VMM switches the guest's floating-point state at a world switch (cost_model.ts):
 *  - "eager": it saves the f registers and fcsr of the world it leaves and restores those of the
 *    world it enters, every time, whether anyone uses them or not;
 *  - "lazy": it leaves them where they are and runs the guest with the hart's FS Off, so the
 *    guest's first touch of the FPU afterwards traps into the VMM (an `fpu-trap` exit), which loads
 *    the guest's state then, and only then: Linux's and KVM's lazy FPU switching on x86 (CR0.TS).
 */
export type FpuSwitchPolicy = "lazy" | "eager";
export const FPU_SWITCH_POLICIES: readonly FpuSwitchPolicy[] = ["lazy", "eager"];

/** What FP switching has cost a VM so far, for `stats` and `compare`. */
export interface FpuSwitchStats {
  policy: FpuSwitchPolicy;
  /** World switches, at each of which the policy acted. */
  worldSwitches: number;
  saves: number;
  restores: number;
  /** fpu-trap exits (lazy only). */
  traps: number;
  /** The cycles FP switching added: saves, restores and the fpu-trap exits, whole. */
  cycles: number;
  /**
   * What the eager policy costs over the same run: a save and a restore per world switch. The guest
   * switches worlds the same under either policy, so a lazy run prices both (`compare`).
   */
  eagerCycles: number;
}

/** Bits of sstatus.FS that say Off. */
const FS_OFF = 0;

/**
 * The guest's FS, virtualized. The vCPU's mstatus.FS is always the guest's own: what its CSR reads,
 * SD and its own Off traps follow. The FS the hart really runs the guest with is the VMM's: the
 * guest's while its FP state is loaded, Off while it is not (lazy, after a world switch). A trap the
 * hart takes on an FP instruction is then the VMM's (an fpu-trap) when the guest's own FS is on, and
 * the guest's (reflected to it, as natively) when its own FS is Off.
 *
 * With one VM no other world touches the FPU while the guest's state is not loaded, so the hart's f
 * registers still hold the guest's values when the VMM loads them: the save and the load are
 * modelled (charged), not copied, as the world switch itself is; the debugger's Variables view
 * reads the right values either way.
 *
 * Under hardware assistance the real FS is the HS-level mstatus.FS, beside the guest's vsstatus.FS
 * (both must be on for VS/VU-mode to use the FPU), and the VMM keeps illegal-instruction exceptions
 * from being delegated to the guest (`withheld`) while the real FS is Off, so that it sees the trap.
 * Paravirtualization records no world switches (its address-space switches are hypercalls), so
 * neither policy acts under it: the kernel's sstatus, FS included, is its own on the hart.
 */
export class FpuSwitch {
  /** The guest's FP state is on the hart: the hart runs it with the guest's own FS. */
  private loaded = true;
  private worldSwitches = 0;
  private saves = 0;
  private restores = 0;
  private traps = 0;
  private cycles = 0;

  constructor(private readonly vm: Vm, readonly policy: FpuSwitchPolicy) {}

  /** A new guest: its (reset) FP state is on the hart. */
  reset(): void {
    this.loaded = true;
    this.worldSwitches = this.saves = this.restores = this.traps = this.cycles = 0;
  }

  /** Whether the guest's FP state is on the hart. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The FS field the hart runs the guest with, for the guest's own `guestFs` (both as mstatus bits). */
  realFs(guestFs: number): number {
    return this.loaded ? guestFs : FS_OFF;
  }

  /** Exceptions the VMM must not delegate to the guest now (mask of medeleg/hedeleg bits). */
  get withheld(): number {
    return this.loaded ? 0 : 1 << Exc.illegalInstruction;
  }

  /**
   * The VMM switched worlds (Vm.record): the policy acts on the FP state. Returns the cycles it
   * added, and says what it did in `details.fpu` for the exit's narrative.
   */
  worldSwitch(details: ExitDetails): number {
    if (!this.vm.vcpu.state.hasF) return 0;
    this.worldSwitches++;
    const costs = this.vm.costs;
    if (this.policy === "eager") {
      this.saves++;
      this.restores++;
      const cycles = costs.fpSave + costs.fpRestore;
      this.cycles += cycles;
      details.fpu = `eager: saved f0–f31 and fcsr of the world left and restored those of the world entered (${costs.fpSave} + ${costs.fpRestore} cycles)`;
      return cycles;
    }
    this.loaded = false;
    details.fpu = "lazy: the FP state stays where it is and the hart's FS goes Off; the guest's next F/D instruction or fcsr access is an fpu-trap";
    return 0;
  }

  /**
   * The hart refused instruction `raw` as illegal: when the guest's FP state is not loaded, its own
   * FS is on and the instruction touches the FPU, the trap is the VMM's. It loads the state, turns
   * the real FS on (the next entry carries it) and records an `fpu-trap`; the instruction runs again.
   * Returns false when the trap is not the VMM's, for the caller to handle as before.
   */
  trap(raw: number): boolean {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const guestFs = v.mstatus & MSTATUS_FS;
    if (this.loaded || guestFs === FS_OFF) return false;
    const d = decodeBits(raw);
    if (!touchesFpu(d)) return false;
    this.loaded = true;
    this.traps++;
    this.restores++;
    const how = vm.trappedHow;
    const restore = vm.costs.fpRestore;
    const fs = guestFs >> 13;
    const exit = vm.record("fpu-trap", insn(d), { fpu: `loaded the guest's f0–f31 and fcsr (${restore} cycles); real FS on` }, () => ({
      action: `the guest's FP state was not loaded: the VMM loaded it, turned the hart's FS on and retries ${d.mnemonic}`,
      steps: [
        { phase: "decode", text: `${d.mnemonic} (0x${d.bits.toString(16)}): ${how}, because the hart's FS is Off` },
        { phase: "check", text: `the guest's own FS is ${FS_NAMES[fs]}, not Off: the trap is the VMM's, not the guest's` },
        { phase: "vcpu", text: `restore f0–f31 and fcsr (${restore} cycles); the hart's FS ← the guest's (${FS_NAMES[fs]})` },
        { phase: "resume", text: "retry the instruction (not retired yet, invisible to the guest)" },
      ],
    }), undefined, undefined, false, 1, restore);
    this.cycles += exit.cycles;
    return true;
  }

  stats(): FpuSwitchStats {
    const { fpSave, fpRestore } = this.vm.costs;
    return {
      policy: this.policy, worldSwitches: this.worldSwitches, saves: this.saves, restores: this.restores, traps: this.traps, cycles: this.cycles,
      eagerCycles: this.worldSwitches * (fpSave + fpRestore),
    };
  }
}

const FS_NAMES = ["Off", "Initial", "Clean", "Dirty"];

/** An F/D instruction (compressed ones expanded), or a CSR instruction on fflags, frm or fcsr. */
function touchesFpu(d: DecodedInstruction): boolean {
  const ext = d.spec?.ext;
  if (ext === "F" || ext === "D") return true;
  if (!d.mnemonic.startsWith("csrr")) return false;
  const csr = d.expanded >>> 20;
  return csr >= CSR.fflags && csr <= CSR.fcsr;
}
