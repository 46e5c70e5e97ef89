import type { Host, HostStop } from "../hypervisor/host";
import type { ExitPage, ExitQuery, VmExit } from "../hypervisor/exits";
import type { PvState } from "../hypervisor/techniques/technique";
import type { TcBlockView } from "../hypervisor/techniques/tc_view";
import type { StopReason } from "../machine/board";
import type { MmuAccess } from "../machine/hart/mmu";
import type { BalloonControl } from "./balloon";
import { hostMap, type HostRun } from "./host_map";
import { History } from "./history/history";
import { machinePolicy } from "./history/machine_policy";
import type { Recording } from "./history/recorded_console";
import type { DeviceState, ExitLogSnapshot, PageTableSet, PageTableTree } from "./inspect";
import type { AddressSpace, AddressWalk, Target, TargetLine, TargetSymbol, TargetTlbEntry, TargetTranslation, TwoStageWalk, WalkSpace, WatchAccess } from "./target";
import type { TechniqueComparison } from "./technique_comparison";
import type { Technique } from "./techniques";
import type { VmTarget } from "./vm_target";
import type { HostMemoryView, ShadowMark, ShadowWalkView, VmStats, VmmView } from "./vmm_view";

/**
 * Several VMs on one host (hypervisor/host.ts) as the debugger drives them: one target whose harts
 * are every VM's vCPUs in turn (VM 0's, then VM 1's, …), each a thread named `VM · vCPU n`. The
 * per-hart views (registers, CSRs, memory, translation, the panels, the VMM's views) read the VM of
 * the selected thread, through its own VmTarget; a run runs them all, as the host schedules them,
 * and a stop selects the vCPU it concerns. Breakpoints and exception filters hold in every VM (an
 * exit's condition can name its VM: `vm == "alpha"`). Time travel takes the whole host back: one
 * history of every VM's state and the host's RAM, which the VMs' own targets write through.
 */
export class HostTarget implements Target {
  readonly addressSpaces: readonly AddressSpace[] = ["va", "pa", "gva", "gpa", "hpa"];
  readonly history: History;
  readonly targets: readonly VmTarget[];
  /** The global hart number of each VM's vCPU 0. */
  private readonly firstHart: number[];
  private selected = 0;
  /** The VM of the last stop, whose stoppedExit the session reads. */
  private stoppedVm = 0;
  /** The last run's stop and its VM, as the host reported it (the history runs the host). */
  private lastStop: HostStop = { vm: 0, stop: { kind: "budget" } };
  private trapHook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined;
  readonly vmm: VmmView;

  /**
   * @param recording the console every VM's UART is on, and the history's budget: one history of
   *   the whole host (its RAM is theirs together), which its VMs' own targets share
   * @param targetsOf each VM's own target, on that history
   */
  constructor(readonly host: Host, recording: Recording, targetsOf: (history: History) => VmTarget[]) {
    const states = host.vms.flatMap((vm) => vm.vcpus.map((c) => c.state));
    const harts = host.vms.map((vm) => vm.board.hart);
    this.history = new History({
      root: host,
      policy: machinePolicy([...harts, ...states], [recording.console.source, recording.console.sink, ...(recording.outside ?? [])]),
      ram: host.ram.bytes,
      written: host.ram.written,
      get steps() { return host.steps; },
      get instret() { return host.vms.reduce((s, vm) => s + vm.retired, 0); },
      get exits() { return host.vms.reduce((s, vm) => s + vm.log.lastSeq, 0); },
      run: (budget, yieldNow) => {
        host.vms[0].pollInput();
        this.lastStop = host.run(budget, yieldNow);
        return this.lastStop.stop;
      },
      pollInput: () => host.vms[0].pollInput(),
      // A run resumes the VM the host's scheduler runs now, and in it the vCPU its own scheduler runs.
      breakpointHere: () => {
        const vm = host.vms[host.current];
        const pc = vm.vcpus[vm.scheduled].state.pc;
        return vm.board.hart.breakpoints.has(pc) ? pc : undefined;
      },
      restored: () => {
        for (const h of harts) h.dropCaches();
        for (const s of states) s.dropCaches();
        for (const vm of host.vms) vm.restored();
      },
      withoutHooks: (fn) => {
        const filters = host.vms.map((vm) => vm.exitFilter);
        const hook = this.onTrap;
        this.onTrap = undefined;
        for (const vm of host.vms) vm.exitFilter = undefined;
        try {
          return fn();
        } finally {
          this.onTrap = hook;
          host.vms.forEach((vm, i) => (vm.exitFilter = filters[i]));
        }
      },
    }, recording.console, recording.budgetBytes);
    this.targets = targetsOf(this.history);
    let n = 0;
    this.firstHart = this.targets.map((t) => ((n += t.harts), n - t.harts));
    this.vmm = new HostVmmView(this);
  }

  /** The VM of the selected thread, and its index. */
  get vmIndex(): number {
    for (let i = this.firstHart.length - 1; i >= 0; i--) if (this.selected >= this.firstHart[i]) return i;
    return 0;
  }

  get sel(): VmTarget {
    return this.targets[this.vmIndex];
  }

  /** The stop a host run made, with the vCPU it concerns selected (a budget or idle stop keeps the selection). */
  private stopped(r: HostStop): StopReason {
    if (r.stop.kind !== "budget" && r.stop.kind !== "idle") {
      this.stoppedVm = r.vm;
      this.selected = this.firstHart[r.vm] + this.host.vms[r.vm].stopVcpu;
      this.targets[r.vm].selectedHart = this.host.vms[r.vm].stopVcpu;
    }
    return r.stop;
  }

  /** The VM whose exit stopped the last run. */
  get stoppedTarget(): VmTarget {
    return this.targets[this.stoppedVm];
  }

  /** Each thread's name: its VM's and its vCPU's. */
  threadNames(): string[] {
    return this.targets.flatMap((t, i) => Array.from({ length: t.harts }, (_, n) => `${this.host.names[i]} · vCPU ${n}`));
  }

  get technique(): Technique {
    return this.sel.technique;
  }
  get balloon(): BalloonControl | undefined {
    return this.sel.balloon;
  }
  get vmNames(): readonly string[] {
    return this.host.names;
  }
  balloonOf(vm: string): BalloonControl | undefined {
    return this.targets[this.host.names.indexOf(vm)]?.balloon;
  }
  /** Instructions retired by every VM. */
  get instret(): bigint {
    return this.targets.reduce((s, t) => s + t.instret, 0n);
  }
  get selectedInstret(): bigint {
    return this.sel.instret;
  }
  get harts(): number {
    return this.targets.reduce((s, t) => s + t.harts, 0);
  }
  get selectedHart(): number {
    return this.selected;
  }
  set selectedHart(n: number) {
    if (!Number.isInteger(n) || n < 0 || n >= this.harts) throw new RangeError(`there is no thread ${n + 1}: the VMs have ${this.harts} vCPUs`);
    this.selected = n;
    this.sel.selectedHart = n - this.firstHart[this.vmIndex];
  }
  get pc(): bigint {
    return this.sel.pc;
  }
  set pc(value: bigint) {
    this.sel.pc = value;
  }
  get priv(): number {
    return this.sel.priv;
  }
  getReg(i: number): bigint {
    return this.sel.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.sel.setReg(i, value);
  }
  getFpReg(i: number): bigint | undefined {
    return this.sel.getFpReg(i);
  }
  setFpReg(i: number, value: bigint): boolean {
    return this.sel.setFpReg(i, value);
  }
  readCsr(num: number): bigint | undefined {
    return this.sel.readCsr(num);
  }
  writeCsr(num: number, value: bigint): boolean {
    return this.sel.writeCsr(num, value);
  }

  /** Runs every VM as the host schedules them (round-robin time slices), through the history. */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    const stop = this.history.run(budget, yieldNow);
    return this.stopped({ vm: this.lastStop.vm, stop });
  }
  /**
   * One step of the selected vCPU: its VM's target steps it, through the host's history, with the
   * host's scheduler on its VM. The other VMs stay where they are.
   */
  step(): StopReason {
    const i = this.vmIndex;
    return this.stopped({ vm: i, stop: this.host.step(i, () => this.sel.step()) });
  }
  /** Input goes to the first VM (its UART or virtio-console). */
  pollInput(): boolean {
    return this.targets[0].pollInput();
  }

  readMemory(space: AddressSpace, addr: bigint, length: number): Uint8Array | null {
    return this.sel.readMemory(space, addr, length);
  }
  writeMemory(space: AddressSpace, addr: bigint, data: Uint8Array): boolean {
    return this.sel.writeMemory(space, addr, data);
  }
  translate(va: bigint, access: "r" | "w" | "x", priv?: number): TargetTranslation {
    return this.sel.translate(va, access, priv);
  }
  tlbEntries(): TargetTlbEntry[] {
    return this.sel.tlbEntries();
  }
  walkAddress(addr: bigint, access: MmuAccess, space?: WalkSpace): AddressWalk | string {
    return this.sel.walkAddress(addr, access, space);
  }
  twoStageWalk(gva: bigint, access: MmuAccess): TwoStageWalk | undefined {
    return this.sel.twoStageWalk(gva, access);
  }

  /** The same pcs in every VM (the VMs of a lesson run one program). */
  setBreakpoints(pcs: Iterable<bigint>): void {
    const list = [...pcs];
    for (const t of this.targets) t.setBreakpoints(list);
  }
  /** Guest-physical memory of the selected thread's VM. */
  watchPhysical(pa: bigint, length: number, access: WatchAccess): () => void {
    return this.sel.watchPhysical(pa, length, access);
  }
  get onTrap(): ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined {
    return this.trapHook;
  }
  set onTrap(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined) {
    this.trapHook = hook;
    for (const t of this.targets) t.onTrap = hook;
  }

  get symbols(): readonly TargetSymbol[] {
    return this.sel.symbols;
  }
  get lineTable(): readonly TargetLine[] {
    return this.sel.lineTable;
  }

  pageTableTrees(limit: number): PageTableSet {
    return this.sel.pageTableTrees(limit);
  }
  deviceStates(): DeviceState[] {
    return this.sel.deviceStates();
  }
  exitLog(): ExitLogSnapshot {
    return this.sel.exitLog();
  }
}

/**
 * The VMM as the debugger sees it with several VMs: the selected thread's VM for every view, but
 * the exception filters hold in every VM, and the exit that stopped a run is that VM's.
 */
class HostVmmView implements VmmView {
  constructor(private readonly t: HostTarget) {}

  get technique(): Technique {
    return this.t.sel.technique;
  }
  exits(query?: ExitQuery): ExitPage {
    return this.t.sel.exits(query);
  }
  exit(seq: number): VmExit | undefined {
    return this.t.sel.exit(seq);
  }
  get lastExitSeq(): number {
    return this.t.sel.lastExitSeq;
  }
  setExitFilter(filter: ((exit: VmExit) => boolean) | undefined): void {
    for (const vm of this.t.targets) vm.setExitFilter(filter);
  }
  get stoppedExit(): VmExit | undefined {
    return this.t.stoppedTarget.stoppedExit;
  }
  get powerOffReason(): string | undefined {
    return this.t.sel.powerOffReason;
  }
  guestPhysicalOf(hpa: bigint): bigint | undefined {
    return this.t.sel.guestPhysicalOf(hpa);
  }
  /** The selected thread's VM's statistics, with every VM's totals. */
  stats(): VmStats {
    const vms = this.t.targets.map((t, i) => {
      const s = t.stats();
      return { name: this.t.host.names[i], instructions: s.guestInstructions, exits: s.exits, exitCycles: s.exitCycles, worldSwitches: t.vm.worldSwitchesOut, selected: i === this.t.vmIndex };
    });
    return { ...this.t.sel.stats(), vms };
  }
  compareTechniques(cap?: number): TechniqueComparison | undefined {
    return this.t.sel.compareTechniques(cap);
  }
  shadowWalk(gva: bigint, access?: MmuAccess): ShadowWalkView {
    return this.t.sel.shadowWalk(gva, access);
  }
  shadowMarks(trees: readonly PageTableTree[]): ShadowMark[] {
    return this.t.sel.shadowMarks(trees);
  }
  tcBlock(gva: bigint): TcBlockView | undefined {
    return this.t.sel.tcBlock(gva);
  }
  tcBlocks(): TcBlockView[] {
    return this.t.sel.tcBlocks();
  }
  paravirtualState(): PvState | undefined {
    return this.t.sel.paravirtualState();
  }
  narrate(seq: number): string | undefined {
    return this.t.sel.narrate(seq);
  }
  hostMemory(): HostMemoryView {
    return this.t.sel.hostMemory();
  }
  /** The host's RAM, every VM's frames and pools attributed to it. */
  hostMap(): HostRun[] {
    return hostMap(this.t.host.vms);
  }
}
