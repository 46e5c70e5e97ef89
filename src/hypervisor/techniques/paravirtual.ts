import { Exc, INTERRUPT_BIT, Irq } from "../../isa/causes";
import { MIP_SEIP, MIP_STIP, MSTATUS_SIE, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, SSTATUS_WRITABLE, MSTATUS_FS } from "../../isa/csr_bits";
import { CSR } from "../../isa/csrs";
import { low32 } from "../../isa/u64";
import { csrWrite } from "../../machine/hart/csr";
import { flushFast } from "../../machine/hart/mem";
import { enterTrap, sret } from "../../machine/hart/trap";
import { LoadError } from "../../machine/board";
import { decodeBits, insn } from "../decode";
import { emulateEcall, emulateInstruction } from "../emulate/insn";
import { reflect } from "../emulate/inject";
import { DirectPaging } from "../mm/direct_paging";
import { Acc, walkGuest, type GuestMemory, type GuestTranslation } from "../mm/guest_walk";
import { PT_POOL_FRAMES, PV_EID, PV_GUEST_SYMBOL, SHARED_INFO, START_INFO, START_INFO_MAGIC } from "../pv/abi";
import { GuestVirtual } from "../pv/guest_virtual";
import { Hypercalls, type PvPlatform } from "../pv/hypercalls";
import type { Vm } from "../vm";
import type { PvState, Technique, TechniqueSpec } from "./technique";

/**
 * Paravirtualization (Xen, SOSP 2003): the guest kernel is written for the VMM and asks it, by
 * hypercall, for what it may not do itself. Hyperstep PV ABI v1 (../pv/abi.ts).
 *
 * Where the guest kernel runs: host S-mode, as x86-32 Xen ran kernels in ring 1, with the traps
 * that keep it from owning the machine turned on: mstatus.TVM (satp and sfence.vma trap: the
 * address space changes only through mmuext_op), TSR (sret traps: the kernel returns with the iret
 * hypercall) and TW (wfi traps: it blocks with sched_op). So the kernel takes its own processes'
 * system calls and page faults directly through stvec, as Xen's fast system-call gate, and the
 * hart's U bit keeps its processes out of its memory, with one page table per address space.
 *
 * Direct paging (../mm/direct_paging.ts): the hart walks the guest's own tables, which hold machine
 * frames; the VMM validates every entry before it is written, and page-table pages are never
 * mapped writable. The guest starts paged, on boot tables the VMM built, with the start-info page's
 * address in a0, and learns its frames from it.
 *
 * What reaches the VMM (a trap into host M-mode ends `board.run`): an ecall from S-mode (a
 * hypercall when a7 is the PV extension, else a standard SBI call), and an illegal instruction —
 * a counter read (emulated on virtual time), an instruction the PV kernel must not execute (a
 * `pv-violation`: it gets an illegal-instruction trap), or its processes' own (reflected to it).
 * Events (the timer, console input) are not interrupts: the VMM sets a pending bit in the
 * shared-info page and, when the port is unmasked and sstatus.SIE allows, enters the kernel's event
 * callback (an upcall).
 */

/** Exceptions the hart gives the guest kernel directly: everything but its own ecalls (hypercalls) and illegal instructions (which the VMM must tell apart). */
const HOST_MEDELEG = 0xb1ff & ~(1 << Exc.illegalInstruction);
/** What the guest sees delegated, so that the VMM's reflections reach its stvec. */
const GUEST_MEDELEG = 0xb1ff;
const TRAP_CONTROLS = MSTATUS_TVM | MSTATUS_TSR | MSTATUS_TW;
/** The kernel's status bits that live on the hart while it runs (it runs in host S-mode): sstatus's, and FS. */
const KERNEL_STATUS = SSTATUS_WRITABLE | MSTATUS_FS;
const COUNTERS = { first: 0xc00, last: 0xc1f };
const VIRT_BASE = 0x8000_0000;
const ECALL = insn(decodeBits(0x73));
/** mtimecmp that never fires: the one-shot timer disarmed. */
const NEVER = (1n << 64n) - 1n;

export class Paravirtual implements Technique {
  readonly paging: DirectPaging;
  readonly hypercalls: Hypercalls;
  readonly memory: GuestVirtual;
  readonly trappedHow = "trapped out of host S-mode";
  /** The satp last written to the hart. */
  private hostSatp = -1n;
  private readonly platform: PvPlatform;
  private sharedInfoHpa = 0;
  /** The VMM wrote `len` bytes of the guest's frames at `hpa`. */
  private readonly written: (hpa: number, len: number) => void;
  /** The kernel blocked (sched_op) and has not run since: only a deliverable event wakes it. */
  private blocked = false;
  startInfoVa = 0;
  sharedInfoVa = 0;

  /** Where guest RAM starts in the host: direct paging hands the guest its machine frames, all in one run. */
  private readonly ramHpa: number;

  constructor(private readonly vm: Vm) {
    const pages = vm.guestRamSize / 4096;
    const ramHpa = vm.p2m.wholeRun();
    if (ramHpa < 0) throw new LoadError("paravirtual: direct paging gives the guest its machine frames as one run, so host memory must hold all of guest RAM (hostMemory cannot overcommit it)");
    if (pages % 512 !== 0 || pages < 1024) throw new LoadError("paravirtual: guest RAM must be at least 4 MiB, in whole 2 MiB");
    if (ramHpa % (2 << 20) !== 0) {
      throw new LoadError("paravirtual: direct paging maps guest RAM in 2 MiB pages, so its host frames must start on a 2 MiB boundary, which they do only in the first VM of a host: make the paravirtual VM the first of \"vms\"");
    }
    this.ramHpa = ramHpa;
    const ram = vm.board.ram;
    // What the VMM writes into the guest's frames (validated PTEs, shared info; hypercall results go through this.memory):
    // decoded code there goes, and data breakpoints and `lastwrite` see a store of the guest's.
    const written = (hpa: number, len: number) => {
      vm.board.bus.noteRamWrite(hpa, len);
      if (len <= 8) vm.storedForGuest(hpa, len);
    };
    this.written = written;
    this.paging = new DirectPaging(ram.view, ram.base, ramHpa / 4096, pages, written);
    const owns = (hpa: number, len: number) => hpa >= ramHpa && hpa + len <= ramHpa + vm.guestRamSize;
    // The walker's writes (A/D bits) are not stores of the guest's, as a hardware walker's are not.
    const machine: GuestMemory = {
      ramView: ram.view,
      pteOffset: (hpa) => (owns(hpa, 8) ? hpa - ram.base : -1),
      writePte: (hpa, pte) => {
        ram.view.setBigUint64(hpa - ram.base, pte, true);
        vm.board.bus.noteRamWrite(hpa, 8);
      },
    };
    const v = vm.vcpu.state;
    this.memory = new GuestVirtual(v, machine, owns, written);
    const hart = vm.board.hart;
    this.platform = {
      putchar: (b) => vm.sbiPlatform.putchar(b),
      // The UART is the VMM's console backend here: the kernel cannot map its registers.
      readConsole: (max) => vm.devices.uart.take(max),
      setTimer: (t) => {
        vm.sbiPlatform.setTimer(t ?? NEVER);
        this.writeTime();
      },
      shutdown: (code) => vm.sbiPlatform.shutdown(code),
      get satp() {
        return v.satp;
      },
      set satp(value: bigint) {
        csrWrite(v, CSR.satp, value);
      },
      flushTlb: (vpn, asid) => {
        hart.tlb.flush(vpn, asid);
        flushFast(hart);
      },
      get trapVector() {
        return v.stvec;
      },
      set trapVector(value: bigint) {
        v.stvec = value;
      },
      block: () => {
        v.mstatus |= MSTATUS_SIE;
        v.waiting = true;
        this.blocked = true;
      },
      iret: () => {
        sret(v);
        return { toPc: v.pc, toPriv: v.prv };
      },
    };
    this.hypercalls = new Hypercalls(this.paging, this.memory, this.platform);
  }

  /** A new guest: the boot tables, start info and shared info (Xen's domain builder), and its vCPU. */
  reset(): void {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const layout = this.paging.boot(VIRT_BASE);
    const mfn0 = this.paging.firstMfn;
    this.startInfoVa = VIRT_BASE + layout.startInfoPfn * 4096;
    this.sharedInfoVa = VIRT_BASE + layout.sharedInfoPfn * 4096;
    this.sharedInfoHpa = (mfn0 + layout.sharedInfoPfn) * 4096;
    const si = (mfn0 + layout.startInfoPfn) * 4096;
    const put = (hpa: number, value: bigint) => {
      vm.board.ram.noteWritten(hpa - vm.board.ram.base, 8);
      vm.board.ram.view.setBigUint64(hpa - vm.board.ram.base, value, true);
    };
    new Uint8Array(vm.board.ram.view.buffer, vm.board.ram.view.byteOffset + si - vm.board.ram.base, 8192).fill(0);
    put(si + START_INFO.magic, START_INFO_MAGIC);
    put(si + START_INFO.nrPages, BigInt(this.paging.nrPages));
    put(si + START_INFO.firstMfn, BigInt(mfn0));
    put(si + START_INFO.sharedInfo, BigInt(this.sharedInfoVa));
    put(si + START_INFO.ptBase, BigInt((mfn0 + layout.rootPfn) * 4096));
    put(si + START_INFO.ptPoolMfn, BigInt(mfn0 + layout.poolPfn));
    put(si + START_INFO.ptPoolCount, BigInt(PT_POOL_FRAMES));
    put(si + START_INFO.virtBase, BigInt(VIRT_BASE));
    vm.board.bus.noteRamWrite(si, 8192);
    csrWrite(v, CSR.satp, (8n << 60n) | BigInt(mfn0 + layout.rootPfn));
    v.medeleg = GUEST_MEDELEG;
    // Events arrive as the supervisor external interrupt (SEIP: an unmasked port is pending) and the
    // timer's line (STIP), both the VMM's to deliver as upcalls, never the hart's.
    v.mie = MIP_SEIP | MIP_STIP;
    vm.board.hart.setReg(10, BigInt(this.startInfoVa));
    this.hypercalls.reset();
    this.hostSatp = -1n;
    this.blocked = false;
    const hart = vm.board.hart;
    hart.medeleg = HOST_MEDELEG;
    hart.mideleg = 0;
    hart.mie = 0;
    hart.mcounteren = 0n;
  }

  enter(): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const hart = vm.board.hart;
    if (v.satp !== this.hostSatp) {
      hart.writeCsr(CSR.satp, v.satp);
      this.hostSatp = v.satp;
    }
    hart.mstatus = (hart.mstatus & ~(KERNEL_STATUS | TRAP_CONTROLS)) | (v.mstatus & KERNEL_STATUS) | TRAP_CONTROLS;
    hart.stvec = v.stvec;
    hart.sepc = v.sepc;
    hart.scause = v.scause;
    hart.stval = v.stval;
    hart.sscratch = v.sscratch;
    hart.scounteren = v.scounteren;
    hart.setMode(v.prv, false);
    this.blocked = false;
    hart.pcNum = v.pcNum;
    hart.wildPc = v.wildPc;
    return Infinity;
  }

  /** The kernel's own trap state is the hart's while it runs; the vCPU gets it back, and the event line. */
  leave(): void {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const hart = vm.board.hart;
    v.prv = hart.prv === 3 ? (hart.mstatus >> 11) & 3 : hart.prv;
    v.mstatus = (v.mstatus & ~KERNEL_STATUS) | (hart.mstatus & KERNEL_STATUS);
    v.stvec = hart.stvec;
    v.sepc = hart.sepc;
    v.scause = hart.scause;
    v.stval = hart.stval;
    v.sscratch = hart.sscratch;
    v.scounteren = hart.scounteren;
    this.eventLine();
  }

  handleExit(cause: bigint, tval: bigint): number {
    const vm = this.vm;
    const v = vm.vcpu.state;
    switch (Number(cause)) {
      case Exc.ecallS:
        return this.ecall();
      case Exc.illegalInstruction: {
        const raw = low32(tval);
        const d = decodeBits(raw);
        const csr = d.mnemonic.startsWith("csr") ? d.expanded >>> 20 : -1;
        if (csr >= COUNTERS.first && csr <= COUNTERS.last) return emulateInstruction(vm, raw);
        if (v.prv === 0) return reflect(vm, "guest-exception", cause, tval, d, {}, () => "an illegal instruction in the guest's process");
        return reflect(vm, "pv-violation", cause, tval, d, {}, () => `${d.mnemonic} is privileged for a paravirtual kernel (${describe(d.mnemonic)})`);
      }
    }
    return reflect(vm, "guest-exception", cause, tval, undefined, {}, () => "the guest's own exception");
  }

  /** A hypercall (a7 = PV_EID) or a standard SBI call. */
  private ecall(): number {
    const vm = this.vm;
    const hart = vm.board.hart;
    const eid = hart.getReg(17), fid = hart.getReg(16);
    // The VMM is also the kernel's SBI firmware (it boots in S-mode).
    if (eid !== PV_EID) return emulateEcall(vm);
    const pc = vm.vcpu.state.pc;
    const out = this.hypercalls.call(Number(fid), [10, 11, 12, 13, 14, 15].map((r) => hart.getReg(r)));
    if (!out.jumped) {
      hart.setReg(10, BigInt.asUintN(64, BigInt(out.error)));
      hart.setReg(11, out.value);
      vm.retire(4);
    } else {
      vm.retire(0);
    }
    vm.record(out.reason, ECALL, out.details, () => ({ action: out.action, steps: out.steps }), pc, 1);
    this.eventLine();
    return 1;
  }

  stepped(): void {}

  deliversInterrupt(): boolean {
    return false;
  }

  /**
   * The run loop found the timer's line (STIP) or the event line (SEIP) pending and deliverable:
   * the timer becomes an event on its port (one-shot: the VMM disarms it), and a pending, unmasked
   * event becomes an upcall into the kernel's callback.
   */
  injectInterrupt(irq: number): void {
    if (irq === Irq.sti) {
      this.vm.sbiPlatform.setTimer(NEVER);
      this.vm.timer.sync();
      if (this.hypercalls.timerPort !== undefined) this.setShared(SHARED_INFO.pending, this.shared(SHARED_INFO.pending) | (1n << BigInt(this.hypercalls.timerPort)));
      this.eventLine();
      const v = this.vm.vcpu.state;
      if ((v.mipHw & MIP_SEIP) === 0) {
        // A masked event does not end sched_op(block), as in Xen.
        if (this.blocked) v.waiting = true;
        return;
      }
    }
    this.upcall();
  }

  /**
   * Console input is an event (Xen's VIRQ_CONSOLE): once the kernel has bound the console, input
   * that waits makes its port pending; the kernel reads it with console_io(read). Before that, input
   * stays with the UART, unread.
   */
  pollInput(): void {
    const port = this.hypercalls.consolePort;
    if (port === undefined || this.vm.devices.uart.pull() === 0) return;
    this.setShared(SHARED_INFO.pending, this.shared(SHARED_INFO.pending) | (1n << BigInt(port)));
    this.eventLine();
  }

  private upcall(): void {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const pc = v.pc, priv = v.prv;
    const pending = this.shared(SHARED_INFO.pending), mask = this.shared(SHARED_INFO.mask);
    this.writeTime();
    enterTrap(v, INTERRUPT_BIT | BigInt(Irq.sei), 0n);
    v.sliceTraps = 0;
    const callback = this.hypercalls.callback;
    if (callback !== 0n) v.pc = callback;
    const toPc = v.pc;
    vm.record("event-upcall", undefined, { value: pending, toPriv: 1, toPc }, () => ({
      action: `events pending on ports 0b${(pending & ~mask).toString(2)}: entered the kernel's ${callback !== 0n ? "event callback" : "trap vector (no callback set)"} at 0x${toPc.toString(16)}`,
      steps: [
        { phase: "check", text: `shared info: pending 0b${pending.toString(2)}, mask 0b${mask.toString(2)}; ${priv === 0 ? "in U-mode" : "sstatus.SIE = 1"}` },
        { phase: "inject", text: "sepc ← pc, scause ← supervisor external interrupt, SPIE ← SIE, SIE ← 0 (further upcalls wait for iret)", after: pc },
        { phase: "resume", text: "pc ← the event callback, in S-mode", after: toPc },
      ],
    }), pc, priv);
  }

  /** SEIP follows the shared-info page: up while an unmasked port is pending. */
  private eventLine(): void {
    const v = this.vm.vcpu.state;
    const up = (this.shared(SHARED_INFO.pending) & ~this.shared(SHARED_INFO.mask)) !== 0n;
    v.mipHw = up ? v.mipHw | MIP_SEIP : v.mipHw & ~MIP_SEIP;
  }

  private shared(offset: number): bigint {
    const ram = this.vm.board.ram;
    return ram.view.getBigUint64(this.sharedInfoHpa + offset - ram.base, true);
  }

  private setShared(offset: number, value: bigint): void {
    const ram = this.vm.board.ram;
    ram.view.setBigUint64(this.sharedInfoHpa + offset - ram.base, value, true);
    this.written(this.sharedInfoHpa + offset, 8);
  }

  private writeTime(): void {
    this.setShared(SHARED_INFO.time, this.vm.devices.clint.mtime());
  }

  /** The debugger's view of guest memory: the guest's own table, machine addresses back to pseudo-physical. */
  translateGuest(va: number, acc: Acc, setAccessed: boolean): GuestTranslation {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const t = walkGuest(v, this.memory.machine, va, acc, v.prv, setAccessed);
    if (!t.ok) return t;
    return { ...t, gpa: t.gpa - this.ramHpa + vm.guestRamBase };
  }

  paravirtualState(): PvState {
    const v = this.vm.vcpu.state;
    return {
      startInfoVa: this.startInfoVa, sharedInfoVa: this.sharedInfoVa, firstMfn: this.paging.firstMfn, nrPages: this.paging.nrPages,
      rootMfn: v.satpRoot / 4096, asid: v.satpAsid,
      tables: [...this.paging.tables].map(([mfn, level]) => ({ mfn, level })).sort((a, b) => a.mfn - b.mfn),
      trapVector: v.stvec, callback: this.hypercalls.callback, timerPort: this.hypercalls.timerPort, consolePort: this.hypercalls.consolePort,
      pending: this.shared(SHARED_INFO.pending), mask: this.shared(SHARED_INFO.mask), time: this.shared(SHARED_INFO.time),
    };
  }

  trappedInstruction(): number | undefined {
    return this.vm.fetchGuestInstruction(this.vm.vcpu.state.pc);
  }
}

function describe(mnemonic: string): string {
  switch (mnemonic) {
    case "sret": return "mstatus.TSR: return with the iret hypercall";
    case "wfi": return "mstatus.TW: block with sched_op";
    case "sfence.vma": return "mstatus.TVM: flush with mmuext_op";
  }
  return mnemonic.startsWith("csr") ? "satp and the M-mode CSRs are the VMM's: use mmuext_op" : "only the VMM may";
}

export const PARAVIRTUAL: TechniqueSpec = {
  description: "Paravirtualization (Xen): a guest kernel written for the VMM runs in S-mode and makes hypercalls; validated, batched page-table updates on direct paging; events instead of interrupts.",
  nonTrappingSensitive: false,
  hypervisorExtension: false,
  boot: "supervisor",
  guestSymbol: PV_GUEST_SYMBOL,
  oneVcpu: "the paravirtual interface is for one vCPU: one start-info page, one shared-info page with one event mask and pending set, and no hypercall to bring up a second vCPU (Xen's VCPUOP_initialise, not built yet)",
  // The boot address space maps guest RAM through one root entry: 1 GiB.
  maxGuestRam: 1 << 30,
  noBalloon: "direct paging hands the guest kernel its machine frames as one run that its page tables name, so a page cannot leave it; and the paravirtual kernel reaches devices through hypercalls, not virtio",
  poolBytes: () => 0,
  create: (vm) => new Paravirtual(vm),
};
