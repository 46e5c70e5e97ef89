import { CSR } from "../../isa/csrs";
import { csrWrite } from "../../machine/hart/csr";
import type { Hart } from "../../machine/hart/hart";
import { PSEUDO_READ, PSEUDO_WRITE } from "../../machine/hart/mmu";
import { PmpAccess } from "../../machine/hart/pmp";
import type { GStageRange, GStageRights, GStageTable } from "../g_stage";
import { emulateAccess } from "../memory_exits";
import type { Vm } from "../vm";
import { handleExit, reflect } from "./trap_and_emulate";

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
 *    trap_and_emulate.ts), M-mode CSRs, and exceptions and interrupts it did not delegate.
 * Guest M-mode code cannot run in VS-mode; it runs deprivileged by trap-and-emulate, on the shadow
 * root of the bare M context (a GPA → HPA map), as under that technique.
 */

const S_STATUS = 0x000c0122; // SIE SPIE SPP SUM MXR: the sstatus view of mstatus
const S_INTERRUPTS = 0x222; // SSI STI SEI; their VS counterparts are one bit higher
const HEDELEG_WRITABLE = 0xb1ff;
const TRAP_CONTROLS = 0x700000; // mstatus.TVM TW TSR = hstatus.VTVM VTW VTSR (same bit positions)
const HSTATUS_VTW = 1 << 21;
const VS_INTERRUPTS = S_INTERRUPTS << 1;

/** VM entry into VS/VU-mode: load the vCPU's supervisor state into the hart's VS CSRs. */
export function enterVirtualized(vm: Vm): void {
  const hart = vm.board.hart;
  const g = vm.gStage;
  if (!g) throw new Error("a VM built for trap-and-emulate has no G-stage table to enter VS-mode with");
  const v = vm.vcpu.state;
  if (!vm.gStageFollowsPmp) followGuestPmp(vm, g);
  hart.vsstatus = v.mstatus & S_STATUS;
  hart.vstvec = v.stvec;
  hart.vsepc = v.sepc;
  hart.vscause = v.scause;
  hart.vstval = v.stval;
  hart.vsscratch = v.sscratch;
  hart.vsatp = v.satp;
  // scounteren and senvcfg have no VS copies: VS-mode reaches the real ones, so they are the guest's
  // while it runs (as KVM swaps them), and never while the host runs guest M-mode code in U-mode.
  hart.scounteren = v.scounteren;
  hart.senvcfg = v.senvcfg;
  hart.hedeleg = v.medeleg & HEDELEG_WRITABLE;
  hart.hideleg = (v.mideleg & S_INTERRUPTS) << 1;
  hart.mie = (hart.mie & ~VS_INTERRUPTS) | ((v.mie & S_INTERRUPTS) << 1);
  // Pending supervisor interrupts (the guest's own SSIP, the devices' SEIP, STIP its M-mode set) are
  // injected through hvip; the hart delivers the delegated ones when the guest enables them.
  hart.hvip = ((v.mipSw | v.mipHw) & S_INTERRUPTS) << 1;
  hart.hstatus = (hart.hstatus & ~TRAP_CONTROLS) | (v.mstatus & TRAP_CONTROLS & ~HSTATUS_VTW) | HSTATUS_VTW;
  hart.hcounteren = 0n;
  hart.hgatp = g.hgatp;
  hart.pc = v.pc;
  hart.setMode(v.prv, true);
}

/**
 * After the hart stops, for whatever reason: copy the VS CSRs back into the vCPU, which is what the
 * debugger, the emulation and the next entry read. A trap into the VMM left the guest's mode in
 * mstatus.MPP (with MPV); otherwise the guest is still in VS/VU, perhaps after a delegated trap.
 */
export function leaveVirtualized(vm: Vm): void {
  const hart = vm.board.hart;
  const v = vm.vcpu.state;
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
  const delegated = hart.hideleg >> 1;
  v.mie = (v.mie & ~delegated) | ((hart.mie & hart.hideleg) >> 1);
  // Only SSIP is the guest's to write (through sip); STIP and SEIP are driven from outside.
  v.mipSw = (v.mipSw & ~2) | ((hart.hvip >> 1) & 2);
}

/** True when the hart, not the VMM, will deliver interrupt `irq`: a supervisor one the guest delegated. */
export function deliveredByHardware(v: Hart, irq: number): boolean {
  return v.prv <= 1 && ((S_INTERRUPTS & v.mideleg) >> irq & 1) !== 0;
}

/** An exit from VS/VU-mode (a trap into host M-mode), after `leaveVirtualized`. Returns guest steps used. */
export function handleVirtualizedExit(vm: Vm, cause: bigint, tval: bigint): number {
  if (cause >> 63n !== 0n) return 0; // an interrupt the guest did not delegate: Vm.run injects it
  const code = Number(cause);
  switch (code) {
    case 8: case 10:
      return handleExit(vm, 8n, 0n);
    case 20: case 21: case 23:
      return guestPageFault(vm, code, tval, Number((vm.board.hart.mtval2 << 2n) | (tval & 3n)));
    case 22:
      return handleExit(vm, 2n, tval, "virtual-instruction");
    case 2:
      return handleExit(vm, 2n, tval);
  }
  // The hart's VS-stage walk, its alignment and breakpoint checks already decided: the guest's own.
  return reflect(vm, "guest-exception", cause, tval, undefined, {}, () => "an exception the guest did not delegate to its S-mode");
}

const ACCESS = { 20: 2, 21: 0, 23: 1 } as const;
const ACCESS_NAMES = ["read", "write", "execute"] as const;
const ACCESS_FAULT = [5n, 7n, 1n];

/**
 * The guest's PMP, in the G stage: the hart checks PMP against the host's entries only, so the VMM
 * grants each guest RAM page, in the G stage, what the guest's PMP grants S/U-mode on all of it.
 * Rebuilt whenever the guest changes its PMP (at the next entry into VS/VU-mode), then fenced
 * (hfence.gvma). A page the guest's PMP covers in part, or denies, is left out, or left without
 * what it denies: an access there is a guest-page fault, and the VMM decides it (guestPageFault).
 */
function followGuestPmp(vm: Vm, g: GStageTable): void {
  const pmp = vm.vcpu.state.pmp;
  const ranges: GStageRange[] = [];
  const limited: { gpa: number; rights: GStageRights }[] = [];
  for (const region of vm.p2m.regions()) {
    for (let off = 0; off < region.size; off += 4096) {
      const gpa = region.gpa + off;
      const r = pmp.check(gpa, 4096, PmpAccess.R, 1);
      // W without R cannot be expressed in a PTE: such a page's stores are decided by the VMM too.
      const rights = { r, w: r && pmp.check(gpa, 4096, PmpAccess.W, 1), x: pmp.check(gpa, 4096, PmpAccess.X, 1) };
      if (!rights.r && !rights.x) continue;
      const last = ranges[ranges.length - 1];
      if (last && last.gpa + last.size === gpa && last.hpa + last.size === region.hpa + off) last.size += 4096;
      else ranges.push({ gpa, hpa: region.hpa + off, size: 4096 });
      if (!(rights.r && rights.w && rights.x)) limited.push({ gpa, rights });
    }
  }
  g.build(ranges);
  for (const { gpa, rights } of limited) g.protect(gpa, rights);
  vm.board.hart.tlb.flush(-1, -1, g.vmid);
  vm.gStageFollowsPmp = true;
}

/**
 * A guest-page fault: the G stage maps guest RAM, as far as the guest's PMP allows S/U-mode all of
 * a page. So it is a device access (emulated); an access to a RAM page the guest's PMP covers in part
 * or denies, or a VS-stage page-table access there (htinst holds a pseudoinstruction): the VMM runs
 * that one instruction by trap-and-emulate, whose shadow paging checks the guest's PMP per access,
 * as the guest's hardware would; or an access to nothing (an access fault).
 */
function guestPageFault(vm: Vm, code: 20 | 21 | 23, tval: bigint, gpa: number): number {
  const acc = ACCESS[code];
  const details = { gva: tval, gpa: BigInt(gpa), access: ACCESS_NAMES[acc] };
  const tinst = Number(vm.board.hart.mtinst);
  const implicit = tinst === PSEUDO_READ || tinst === PSEUDO_WRITE;
  if (implicit || vm.p2m.toHpa(gpa) >= 0) {
    vm.emulateNext();
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
  if (acc !== 2 && vm.devices.deviceAt(gpa, 1)) return emulateAccess(vm, "guest-page-fault", tval, gpa, details);
  return reflect(vm, "guest-exception", ACCESS_FAULT[acc], tval, undefined, details,
    () => `guest-page fault at GPA 0x${gpa.toString(16)}: ${acc === 2 ? "a fetch from a device" : "nothing is at that guest-physical address"}`);
}
