import { Exc, INTERRUPT_BIT } from "../../isa/causes";
import { HSTATUS_VTW, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, MSTATUS_FS, S_INTERRUPTS, SSTATUS_WRITABLE, VS_INTERRUPTS } from "../../isa/csr_bits";
import { CSR } from "../../isa/csrs";
import { csrWrite } from "../../machine/hart/csr";
import { flushFast } from "../../machine/hart/mem";
import { PSEUDO_READ, PSEUDO_WRITE, walkGuestAccess, type MmuAccess } from "../../machine/hart/mmu";
import { PmpAccess, type Pmp } from "../../machine/hart/pmp";
import { low32 } from "../../isa/u64";
import { emulateAccess } from "../emulate/access";
import { cowBreak } from "../mm/shadow_faults";
import { swapInFault } from "../mm/swap_faults";
import type { ExitDetails } from "../exits";
import type { RegisterImage } from "../io/register_image";
import { splitStore } from "../io/split_access";
import { emulateEcall, emulateInstruction } from "../emulate/insn";
import { reflect } from "../emulate/inject";
import { GStageTable, type GStageRange, type GStageRights } from "../mm/g_stage";
import type { Vm } from "../vm";
import type { Technique, TechniqueSpec, TwoStageWalk, VmmTable } from "./technique";
import { TrapAndEmulate } from "./trap_and_emulate";

/**
 * Hardware assistance: the H extension (privileged spec 1.12, chapter 8) runs the guest's S- and
 * U-mode on the hart itself, in VS- and VU-mode, translated in two stages: the guest's own table
 * (vsatp) and the VMM's G-stage table (hgatp, GPA → HPA, g_stage.ts).
 *
 * At VM entry the vCPU's supervisor state becomes the hart's VS CSRs, and the guest's own trap
 * delegation (its medeleg/mideleg) becomes hedeleg/hideleg: so its satp writes, sfence.vma, sret,
 * page-table stores, delegated exceptions and delegated interrupts all happen in hardware, with no
 * exit. What still reaches the VMM, through a trap into (host) M-mode that ends `board.run`:
 *  - guest-page faults: guest-physical addresses the G stage leaves unmapped, i.e. device MMIO and
 *    guest RAM pages its PMP covers in part or denies (followGuestPmp);
 *  - virtual-instruction exceptions: the counters (hcounteren = 0: time, cycle and instret are the
 *    guest's, not the host's) and wfi (hstatus.VTW = 1: the VMM advances virtual time);
 *  - whatever the guest sends to its own M-mode: ecall from S (an SBI call when it booted in S-mode,
 *    emulate/insn.ts), M-mode CSRs, and exceptions and interrupts it did not delegate.
 * Guest M-mode code cannot run in VS-mode; it runs deprivileged by trap-and-emulate, on the shadow
 * root of the bare M context (a GPA → HPA map), as under that technique.
 */

/**
 * The sstatus bits of the guest's mstatus that vsstatus holds while the guest runs in VS-mode, FS
 * among them: the hart checks and dirties vsstatus.FS for the guest, while the host's own mstatus.FS
 * is Dirty while the guest's FP state is loaded and Off while it is not (lazy switching, fpu_switch.ts).
 */
const S_STATUS = SSTATUS_WRITABLE | MSTATUS_FS;
const HEDELEG_WRITABLE = 0xb1ff;
/** mstatus.TVM TW TSR and hstatus.VTVM VTW VTSR sit at the same bit positions. */
const TRAP_CONTROLS = MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;

type GuestPageFault = typeof Exc.fetchGuestPageFault | typeof Exc.loadGuestPageFault | typeof Exc.storeGuestPageFault;
const ACCESS = { [Exc.fetchGuestPageFault]: 2, [Exc.loadGuestPageFault]: 0, [Exc.storeGuestPageFault]: 1 } as const;
const ACCESS_NAMES = ["read", "write", "execute"] as const;
const ACCESS_FAULT = [BigInt(Exc.loadAccess), BigInt(Exc.storeAccess), BigInt(Exc.fetchAccess)];

export class HardwareAssisted implements Technique {
  /** The VMM's G-stage table (GPA → HPA). */
  readonly gStage: GStageTable;
  /** Guest M-mode code, and single instructions the G stage cannot decide, run by trap-and-emulate. */
  private readonly deprivileged: TrapAndEmulate;
  /** The current (or last) entry ran the guest in VS/VU-mode, not deprivileged. */
  private virtualized = false;
  /** The G stage grants what the guest's PMP grants S/U-mode (followGuestPmp). */
  private followsPmp = false;
  /** The PMP (pmpcfg bytes and pmpaddr values) the G stage follows: the vCPU's that was loaded when it was built. */
  private followed = "";
  /** The next entry runs one instruction by trap-and-emulate (guestPageFault). */
  private emulateNext = false;
  /** The G stage's hgatp (its VMID and root never change): the table's getter makes a new bigint per read. */
  private readonly hgatp: bigint;

  constructor(private readonly vm: Vm, poolBase: number, poolBytes: number) {
    this.gStage = new GStageTable(vm.board.ram, poolBase, poolBytes / 4096);
    this.hgatp = this.gStage.hgatp;
    this.gStage.build(vm.p2m.regions());
    this.deprivileged = new TrapAndEmulate(vm);
  }

  reset(): void {
    // The counters are the guest's (its retired instructions and virtual time), never the host's:
    // mcounteren lets VS/VU-mode reach hcounteren, which is 0, so its counter reads are virtual-
    // instruction exits; in host U-mode scounteren = 0 still traps them as illegal instructions.
    this.vm.board.hart.writeCsr(CSR.mcounteren, 7n);
    this.deprivileged.reset();
    this.virtualized = false;
    this.followsPmp = false;
    this.followed = "";
    this.emulateNext = false;
  }

  enter(): number {
    const wasVirtualized = this.virtualized;
    this.virtualized = this.vm.vcpu.state.prv !== 3 && !this.emulateNext;
    if (!this.virtualized) {
      const steps = this.deprivileged.enterFrom(wasVirtualized);
      return this.emulateNext ? 1 : steps;
    }
    this.enterVirtualized();
    return Infinity;
  }

  leave(): void {
    if (this.virtualized) this.leaveVirtualized();
    else this.deprivileged.leave();
  }

  handleExit(cause: bigint, tval: bigint): number {
    return this.virtualized ? this.virtualizedExit(cause, tval) : this.deprivileged.handleExit(cause, tval);
  }

  /**
   * A trap-and-emulated instruction (guestPageFault) lasts through its hidden faults, until it
   * retires or traps, or an interrupt comes first. Its shadow entries go with it, because the
   * guest's S/U code changes its page tables in VS/VU-mode, unseen.
   */
  stepped(byInterrupt: boolean): void {
    if (!this.emulateNext || (this.virtualized && !byInterrupt)) return;
    this.emulateNext = false;
    this.vm.shadow.reset();
  }

  /** The instruction the preempted vCPU was to run by trap-and-emulate waits for its next turn, when it faults again. */
  preempted(): void {
    this.deprivileged.preempted();
    if (!this.emulateNext) return;
    this.emulateNext = false;
    this.vm.shadow.reset();
  }

  /**
   * Another vCPU of the VM is on the hart: the VS-stage translations the hart cached for the last
   * one go (they share a VMID, and the hart's TLB is not per vCPU), and the G stage follows the new
   * one's PMP when it differs from the one it follows.
   */
  vcpuLoaded(): void {
    const hart = this.vm.board.hart;
    hart.tlb.flush(-1, -1, this.gStage.vmid);
    flushFast(hart);
    if (pmpKey(this.vm.vcpu.state.pmp) !== this.followed) this.followsPmp = false;
  }

  /** A supervisor interrupt the guest delegated, while it runs in VS/VU-mode: the hart delivers it. */
  deliversInterrupt(irq: number): boolean {
    const v = this.vm.vcpu.state;
    return v.prv <= 1 && !this.emulateNext && ((S_INTERRUPTS & v.mideleg) >> irq & 1) !== 0;
  }

  get trappedHow(): string {
    if (!this.virtualized) return this.deprivileged.trappedHow;
    return this.vm.vcpu.state.prv === 1 ? "trapped out of VS-mode" : "trapped out of VU-mode";
  }

  trappedInstruction(): number | undefined {
    return this.virtualized ? this.vm.fetchGuestInstruction(this.vm.vcpu.state.pc) : this.deprivileged.trappedInstruction();
  }

  /**
   * An emulated sfence.vma (from guest M-mode, or VS-mode with TVM): the hart caches the guest's
   * VS-stage translations under this VM's VMID, and they must go as the guest's own TLB entries would.
   */
  fenced(vpn: number, asid: number): string {
    const hart = this.vm.board.hart;
    hart.tlb.flush(vpn, asid, this.gStage.vmid);
    flushFast(hart);
    return `dropped the hart's cached VS-stage translations of VMID ${this.gStage.vmid}, as selected (hfence.vvma)`;
  }

  pmpChanged(): string {
    this.followsPmp = false;
    return "the G stage follows the new PMP at the next entry into VS/VU-mode";
  }

  tables(): VmmTable[] {
    const g = this.gStage;
    return [{ id: "gstage", kind: "gstage", label: `G-stage (hgatp, VMID ${g.vmid})`, mode: "sv39x4", rootHpa: g.rootHpa }];
  }

  /**
   * The two-stage walk of `gva` the hart would do now: its own walker (mmu.ts), with what the next
   * entry into VS/VU-mode loads (enterVirtualized): the vCPU's satp as vsatp, its SUM and MXR as
   * vsstatus', the G-stage table as hgatp, at the vCPU's privilege; `vsatp` in place of the satp.
   */
  twoStageWalk(gva: bigint, access: MmuAccess, vsatp = this.vm.vcpu.state.satp): TwoStageWalk {
    const v = this.vm.vcpu.state;
    const walk = walkGuestAccess(this.vm.board.hart, gva, access, v.prv === 0 ? 0 : 1, {
      vsatp, hgatp: this.gStage.hgatp, vsstatus: v.mstatus & S_STATUS,
    });
    if (v.prv !== 3) return walk;
    return { ...walk, note: "the vCPU is in virtual M-mode, which runs trap-and-emulated (on a shadow of its physical view), not in VS-mode: walking as its S-mode would, with the same vsatp" };
  }

  /** VM entry into VS/VU-mode: load the vCPU's supervisor state into the hart's VS CSRs. */
  private enterVirtualized(): void {
    const vm = this.vm;
    const hart = vm.board.hart;
    const v = vm.vcpu.state;
    if (!this.followsPmp) this.followGuestPmp();
    hart.vsstatus = v.mstatus & S_STATUS;
    if (hart.hasF) hart.mstatus = vm.fpu.isLoaded ? hart.mstatus | MSTATUS_FS : hart.mstatus & ~MSTATUS_FS;
    hart.vstvec = v.stvec;
    hart.vsepc = v.sepc;
    hart.vscause = v.scause;
    hart.vstval = v.stval;
    hart.vsscratch = v.sscratch;
    // vsatp and hgatp are written only when they change: their setters decode the value and flush the
    // hart's fast paths, which setMode below does anyway, and most exits leave both as they were.
    if (hart.vsatp !== v.satp) hart.vsatp = v.satp;
    // scounteren and senvcfg have no VS copies: VS-mode reaches the real ones, so they are the guest's
    // while it runs (as KVM swaps them), and never while the host runs guest M-mode code in U-mode.
    hart.scounteren = v.scounteren;
    hart.senvcfg = v.senvcfg;
    // The hart consults hedeleg only for the exceptions medeleg has sent to HS-mode (H chapter,
    // "Trap Delegation"): with the host's medeleg at 0 every guest exception would trap into the VMM.
    // The VMM has no HS-mode code, so it delegates to HS exactly what hedeleg sends on to VS.
    // While the guest's FP state is not loaded, its illegal instructions come to the VMM, which tells
    // an fpu-trap from the guest's own (and reflects that one to the guest's handler).
    hart.hedeleg = v.medeleg & HEDELEG_WRITABLE & ~vm.fpu.withheld;
    hart.medeleg = hart.hedeleg;
    hart.hideleg = (v.mideleg & S_INTERRUPTS) << 1;
    hart.mie = (hart.mie & ~VS_INTERRUPTS) | ((v.mie & S_INTERRUPTS) << 1);
    // Pending supervisor interrupts (the guest's own SSIP, the devices' SEIP, STIP its M-mode set) are
    // injected through hvip; the hart delivers the delegated ones when the guest enables them.
    hart.hvip = ((v.mipSw | v.mipHw) & S_INTERRUPTS) << 1;
    hart.hstatus = (hart.hstatus & ~TRAP_CONTROLS) | (v.mstatus & TRAP_CONTROLS & ~HSTATUS_VTW) | HSTATUS_VTW;
    hart.hcounteren = 0n;
    if (hart.hgatp !== this.hgatp) hart.hgatp = this.hgatp;
    // The pc setter's work without its bigint round trip, as trap-and-emulate's entry (its midBlock
    // is Vm.run's to set after the entry).
    hart.pcNum = v.pcNum;
    hart.wildPc = v.wildPc;
    hart.setMode(v.prv, true);
  }

  /**
   * After the hart stops, for whatever reason: copy the VS CSRs back into the vCPU, which is what the
   * debugger, the emulation and the next entry read. A trap into the VMM left the guest's mode in
   * mstatus.MPP (with MPV); otherwise the guest is still in VS/VU, perhaps after a delegated trap.
   */
  private leaveVirtualized(): void {
    const hart = this.vm.board.hart;
    const v = this.vm.vcpu.state;
    v.prv = hart.virt ? hart.prv : (hart.mstatus >> 11) & 3;
    v.mstatus = (v.mstatus & ~S_STATUS) | (hart.vsstatus & S_STATUS);
    v.stvec = hart.vstvec;
    v.sepc = hart.vsepc;
    v.scause = hart.vscause;
    v.stval = hart.vstval;
    v.sscratch = hart.vsscratch;
    if (hart.vsatp !== v.satp) csrWrite(v, CSR.satp, hart.vsatp);
    v.scounteren = hart.scounteren;
    v.senvcfg = hart.senvcfg;
    hart.scounteren = 0n;
    hart.senvcfg = 0n;
    // Guest M-mode code runs in host U-mode (deprivileged), whose every trap must reach the VMM.
    hart.medeleg = 0;
    const delegated = hart.hideleg >> 1;
    v.mie = (v.mie & ~delegated) | ((hart.mie & hart.hideleg) >> 1);
    // Only SSIP is the guest's to write (through sip); STIP and SEIP are driven from outside.
    v.mipSw = (v.mipSw & ~2) | ((hart.hvip >> 1) & 2);
  }

  /** An exit from VS/VU-mode (a trap into host M-mode), after leaveVirtualized. */
  private virtualizedExit(cause: bigint, tval: bigint): number {
    const vm = this.vm;
    if (cause >= INTERRUPT_BIT) return 0; // an interrupt the guest did not delegate: Vm.run injects it
    const code = Number(cause);
    switch (code) {
      case Exc.ecallU: case Exc.ecallVS:
        return emulateEcall(vm);
      case Exc.fetchGuestPageFault: case Exc.loadGuestPageFault: case Exc.storeGuestPageFault:
        return this.guestPageFault(code, tval, Number((vm.board.hart.mtval2 << 2n) | (tval & 3n)));
      case Exc.virtualInstruction:
        return emulateInstruction(vm, low32(tval), "virtual-instruction");
      case Exc.illegalInstruction:
        return vm.fpu.trap(low32(tval)) ? 0 : emulateInstruction(vm, low32(tval));
    }
    // The hart's VS-stage walk, its alignment and breakpoint checks already decided: the guest's own.
    return reflect(vm, "guest-exception", cause, tval, undefined, {}, () => "an exception the guest did not delegate to its S-mode");
  }

  /**
   * The guest's PMP, in the G stage: the hart checks PMP against the host's entries only, so the VMM
   * grants each guest RAM page, in the G stage, what the guest's PMP grants S/U-mode on all of it.
   * Rebuilt whenever the guest changes its PMP (at the next entry into VS/VU-mode), then fenced
   * (hfence.gvma). A page the guest's PMP covers in part, or denies, is left out, or left without
   * what it denies: an access there is a guest-page fault, and the VMM decides it (guestPageFault).
   */
  private followGuestPmp(): void {
    const vm = this.vm;
    const g = this.gStage;
    const ranges: GStageRange[] = [];
    const limited: { gpa: number; rights: GStageRights }[] = [];
    for (const region of vm.p2m.regions()) {
      for (let off = 0; off < region.size; off += 4096) {
        const gpa = region.gpa + off;
        const rights = this.pageRights(gpa, true);
        if (!rights.r && !rights.x) continue;
        const last = ranges[ranges.length - 1];
        if (last && last.gpa + last.size === gpa && last.hpa + last.size === region.hpa + off) last.size += 4096;
        else ranges.push({ gpa, hpa: region.hpa + off, size: 4096 });
        if (!(rights.r && rights.w && rights.x)) limited.push({ gpa, rights });
      }
    }
    // A device passed through to the guest: its registers' page, read/write, never executable.
    const device = vm.passthrough?.mmio;
    if (device) {
      ranges.push(device);
      limited.push({ gpa: device.gpa, rights: { r: true, w: true, x: false } });
    }
    g.build(ranges);
    for (const { gpa, rights } of limited) g.protect(gpa, rights);
    vm.board.hart.tlb.flush(-1, -1, g.vmid);
    this.followsPmp = true;
    this.followed = pmpKey(vm.vcpu.state.pmp);
  }

  /**
   * The p2m moved the page at `gpa` (page sharing) or took its frame (ballooning, swapping): its
   * G-stage leaf follows, or goes, so that the next touch comes to the VMM; and the hart forgets the
   * old one.
   */
  remapped(gpa: number): void {
    const page = gpa - (gpa % 4096);
    const rights = this.pageRights(page);
    const hpa = this.vm.p2m.peekHpa(page);
    if (hpa >= 0 && (rights.r || rights.x)) this.gStage.map(page, hpa, rights);
    else this.gStage.protect(page, hpa >= 0 ? rights : { r: false, w: false, x: false });
    const hart = this.vm.board.hart;
    hart.tlb.flush(-1, -1, this.gStage.vmid);
    flushFast(hart);
  }

  /** What the G stage grants the guest page at `gpa`: its PMP's rights once the G stage follows it, and never W on a shared page. */
  private pageRights(gpa: number, followPmp = this.followsPmp): GStageRights {
    const rights = followPmp ? pmpRights(this.vm.vcpu.state.pmp, gpa) : { r: true, w: true, x: true };
    return this.vm.p2m.isShared(gpa) ? { ...rights, w: false } : rights;
  }

  /**
   * A guest-page fault on a guest RAM page with no host frame yet (host memory overcommits guest RAM,
   * p2m.ts): the VMM backs it and maps it in the G stage, with what the guest's PMP grants once the G
   * stage follows it; the guest retries. The hart's TLB caches only translations that succeeded, so
   * no fence is needed.
   */
  private firstTouch(gpa: number, details: ExitDetails): number {
    const vm = this.vm;
    const page = gpa - (gpa % 4096);
    const hpa = vm.p2m.toHpa(page);
    this.mapBacked(page, hpa);
    details.hpa = BigInt(hpa + (gpa - page));
    vm.record("guest-page-fault", undefined, details, () => ({
      action: `backed guest page GPA 0x${page.toString(16)} with host frame HPA 0x${hpa.toString(16)} on its first touch, and mapped it in the G stage; the guest retries`,
      steps: [
        { phase: "decode", text: `guest-page fault at GPA 0x${gpa.toString(16)}: guest RAM the p2m does not back yet` },
        { phase: "check", text: `host memory overcommits guest RAM: the VMM takes the lowest free host frame (${vm.hostFrames.freeFrames} left)` },
        { phase: "resume", text: "retry the instruction (not retired, invisible to the guest)" },
      ],
    }));
    return 0;
  }

  /** A guest-page fault on a page the VMM swapped out (hypervisor swapping): it comes back (a host-swap-in exit) and is mapped in the G stage again. */
  private swapIn(gpa: number, details: ExitDetails): number {
    swapInFault(this.vm, gpa, details, "mapped it in the G stage again");
    const page = gpa - (gpa % 4096);
    this.mapBacked(page, this.vm.p2m.peekHpa(page));
    return 0;
  }

  /** Maps a guest page just given host frame `hpa` in the G stage, with what the guest's PMP grants once the G stage follows it. */
  private mapBacked(page: number, hpa: number): void {
    const rights = this.pageRights(page);
    if (rights.r || rights.x) this.gStage.map(page, hpa, rights);
  }

  /**
   * A guest-page fault: the G stage maps guest RAM, as far as the guest's PMP allows S/U-mode all of
   * a page. So it is a device access (emulated); an access to a RAM page the guest's PMP covers in part
   * or denies, or a VS-stage page-table access there (htinst holds a pseudoinstruction): the VMM runs
   * that one instruction by trap-and-emulate, whose shadow paging checks the guest's PMP per access,
   * as the guest's hardware would; or an access to nothing (an access fault).
   */
  private guestPageFault(code: GuestPageFault, tval: bigint, gpa: number): number {
    const vm = this.vm;
    const acc = ACCESS[code];
    const details = { gva: tval, gpa: BigInt(gpa), access: ACCESS_NAMES[acc] };
    const tinst = Number(vm.board.hart.mtinst);
    const implicit = tinst === PSEUDO_READ || tinst === PSEUDO_WRITE;
    if (vm.swap?.holds(gpa)) return this.swapIn(gpa, details);
    if (vm.p2m.isRam(gpa) && vm.p2m.peekHpa(gpa) < 0) return this.firstTouch(gpa, details);
    // A store to a page shared copy-on-write, the guest's or its hardware walker's (A/D bits).
    if ((acc === 1 || tinst === PSEUDO_WRITE) && vm.p2m.isShared(gpa)) return cowBreak(vm, gpa, details);
    if (implicit || vm.p2m.toHpa(gpa) >= 0) {
      this.emulateNext = true;
      vm.record("guest-page-fault", undefined, details, () => ({
        action: `the G stage leaves out GPA 0x${gpa.toString(16)}: the guest's PMP does not grant S/U-mode all of its page; the VMM runs this instruction by trap-and-emulate, which checks the guest's PMP per access`,
        steps: [
          { phase: "decode", text: `guest-page fault (${ACCESS_NAMES[acc]}) at GVA 0x${tval.toString(16)}, GPA 0x${gpa.toString(16)}${implicit ? ": a VS-stage page-table access" : ""}` },
          { phase: "check", text: "guest RAM: the guest's PMP covers this page in part, or denies S/U-mode access to it" },
          { phase: "resume", text: "retry the instruction once in host U-mode on a shadow table (not retired, invisible to the guest)" },
        ],
      }));
      return 0;
    }
    const image = acc !== 2 ? vm.split.imageAt(gpa) : undefined;
    if (image && acc === 1) return splitStore(vm, image, "guest-page-fault", tval, gpa, details);
    // As for RAM, the G stage grants a page only what the guest's PMP grants S/U-mode on all of it.
    if (image && vm.vcpu.state.pmp.check(image.transport.base, 4096, PmpAccess.R, 1)) return mapImageInGStage(vm, this.gStage, image, gpa, details);
    if (acc !== 2 && vm.devices.deviceAt(gpa, 1)) return emulateAccess(vm, "guest-page-fault", tval, gpa, details);
    return reflect(vm, "guest-exception", ACCESS_FAULT[acc], tval, undefined, details,
      () => `guest-page fault at GPA 0x${gpa.toString(16)}: ${acc === 2 ? "a fetch from a device" : "nothing is at that guest-physical address"}`);
  }
}

/** A PMP's configuration, to tell whether two vCPUs' PMPs differ. */
function pmpKey(pmp: Pmp): string {
  return `${pmp.cfg.join(",")}/${pmp.addr.join(",")}`;
}

/** The split model's register image, mapped read-only in the G stage where the device's registers are: later reads do not exit. */
function mapImageInGStage(vm: Vm, g: GStageTable, image: RegisterImage, gpa: number, details: ExitDetails): number {
  g.mapReadOnly(image.transport.base, image.base);
  details.hpa = BigInt(image.base + (gpa - image.transport.base));
  details.device = image.transport.name;
  vm.record("guest-page-fault", undefined, details, () => ({
    action: `mapped ${image.transport.name}'s register image (split model) in the G stage: GPA 0x${image.transport.base.toString(16)} → HPA 0x${image.base.toString(16)}, read-only; its register reads no longer exit, its stores still do`,
    steps: [
      { phase: "decode", text: `guest-page fault (read) at GPA 0x${gpa.toString(16)}: ${image.transport.name}'s registers, a device under the split model` },
      { phase: "shadow", text: `G-stage leaf for GPA 0x${image.transport.base.toString(16)}: read-only onto the VMM's register image at HPA 0x${image.base.toString(16)}` },
      { phase: "resume", text: "retry the same instruction (not retired, invisible to the guest)" },
    ],
  }));
  return 0;
}

export const HARDWARE_ASSISTED: TechniqueSpec = {
  description: "The H extension: the guest's S- and U-mode run in VS/VU mode with two-stage (nested) translation through the VMM's G-stage table; its M-mode code is trap-and-emulated.",
  nonTrappingSensitive: false,
  hypervisorExtension: true,
  pageSharing: true,
  swapping: true,
  // 4 KiB G-stage leaves: one table page per 2 MiB of guest RAM, plus the 16 KiB root (and its
  // alignment) and the middle level.
  poolBytes: (guestRam) => (Math.ceil(guestRam / (2 << 20)) + 16) * 4096,
  create: (vm, poolBase, poolBytes) => new HardwareAssisted(vm, poolBase, poolBytes),
};

/** What the guest's PMP grants S/U-mode on all of the page at `gpa`; W without R cannot be a PTE's, so such stores are the VMM's to decide. */
function pmpRights(pmp: Pmp, gpa: number): GStageRights {
  const r = pmp.check(gpa, 4096, PmpAccess.R, 1);
  return { r, w: r && pmp.check(gpa, 4096, PmpAccess.W, 1), x: pmp.check(gpa, 4096, PmpAccess.X, 1) };
}
