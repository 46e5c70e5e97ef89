import type { StopReason } from "../machine/board";
import { withDeviceModels } from "../hypervisor/io/model_view";
import { csrByName } from "../isa/csrs";
import { PRIV_NAMES } from "../isa/privilege";
import { EXIT_REASONS, exitName, type ExitPage, type ExitQuery, type VmExit } from "../hypervisor/exits";
import { Acc } from "../hypervisor/mm/guest_walk";
import type { ShadowRoot } from "../hypervisor/mm/shadow_paging";
import type { PvState } from "../hypervisor/techniques/technique";
import type { Vm } from "../hypervisor/vm";
import type { TcBlockView } from "../hypervisor/techniques/tc_view";
import type { MmuAccess } from "../machine/hart/mmu";
import { History } from "./history/history";
import { machinePolicy } from "./history/machine_policy";
import { RecordedConsole, type Recording } from "./history/recorded_console";
import { readPageTable, type DeviceState, type ExitLogSnapshot, type PageTableSet, type PageTableTree } from "./inspect";
import { shadowMarks } from "./shadow_marks";
import { shadowAddressWalk, shadowWalk } from "./shadow_walk";
import type { AddressSpace, AddressWalk, Target, TargetLine, TargetSymbol, TargetTlbEntry, TargetTranslation, TwoStageWalk, WalkSpace, WatchAccess } from "./target";
import { COMPARISON_CAP, compareTechniques, type FreshGuest, type TechniqueComparison } from "./technique_comparison";
import { AVAILABLE_TECHNIQUES, type Technique } from "./techniques";
import type { HostMemoryView, ShadowMark, ShadowWalkView, VcpuStats, VmStats, VmmView } from "./vmm_view";
import { causeText, twoStageAddressWalk } from "./walk_view";
import { hostMap, type HostRun } from "./host_map";
import { balloonControl, balloonIn, type BalloonControl } from "./balloon";
import { directPagingView, directPagingWalk } from "./direct_paging_view";

const PAGE = 4096n;
const ACC = { r: Acc.R, w: Acc.W, x: Acc.X } as const;

/**
 * A VM under a VMM technique (trap-and-emulate or hardware-assisted), as the debugger drives it.
 * Registers, CSRs and privilege are the guest's (virtual) ones.
 */
export class VmTarget implements Target, VmmView {
  /** va = gva (the guest's current view) and pa = gpa; hpa is host-physical memory (read-only outside guest RAM). */
  readonly addressSpaces: readonly AddressSpace[] = ["va", "pa", "gva", "gpa", "hpa"];
  /** The last comparison, and the instruction count, exit count and cap it was made at. */
  private comparison: { key: string; result: TechniqueComparison } | undefined;

  readonly history: History;
  readonly balloon: BalloonControl | undefined;

  /**
   * @param fresh the loaded guest afresh under another technique, for `stats`' comparison (none: no comparison)
   * @param recording the console the VM's UART was built with, and the history budget (0: none)
   * @param shared the history of the host this VM shares with others (host_target.ts), which its
   *   runs, steps and writes go through; `recording` is then unused
   */
  constructor(
    readonly vm: Vm,
    readonly technique: Technique,
    readonly symbols: readonly TargetSymbol[],
    readonly lineTable: readonly TargetLine[] = [],
    private readonly fresh?: FreshGuest,
    recording: Recording = { console: new RecordedConsole(undefined, undefined) },
    shared?: History,
  ) {
    const states = vm.vcpus.map((c) => c.state);
    this.history = shared ?? new History({
      root: vm,
      policy: machinePolicy([vm.board.hart, ...states], [recording.console.source, recording.console.sink, ...(recording.outside ?? [])]),
      ram: vm.board.ram.bytes,
      written: vm.board.ram.written,
      get steps() { return vm.steps; },
      get instret() { return vm.retired; },
      get exits() { return vm.log.lastSeq; },
      run: (budget, yieldNow) => {
        vm.pollInput();
        return vm.run(budget, yieldNow);
      },
      pollInput: () => vm.pollInput(),
      // The vCPU a run resumes is the one the scheduler runs now.
      breakpointHere: () => {
        const pc = vm.vcpus[vm.scheduled].state.pc;
        return vm.board.hart.breakpoints.has(pc) ? pc : undefined;
      },
      restored: () => {
        vm.board.hart.dropCaches();
        for (const s of states) s.dropCaches();
        vm.restored();
      },
      withoutHooks: (fn) => {
        const hook = this.onTrap;
        const filter = vm.exitFilter;
        this.onTrap = undefined;
        vm.exitFilter = undefined;
        try {
          return fn();
        } finally {
          this.onTrap = hook;
          vm.exitFilter = filter;
        }
      },
    }, recording.console, recording.budgetBytes);
    const balloon = balloonIn(vm.devices.virtio);
    this.balloon = balloon && balloonControl(balloon, vm.guestRamSize, () => this.history.written(), vm.balloon && (() => vm.balloon!.stats()));
  }

  get vmm(): VmmView {
    return this;
  }

  get instret(): bigint {
    return this.vm.instret;
  }
  /** The VM's vCPUs. */
  get harts(): number {
    return this.vm.vcpus.length;
  }
  /**
   * The vCPU loaded on the host hart, which every per-vCPU view below reads: selecting another
   * loads its context (Vm.loadVcpu), which changes nothing the guest can see; the next run loads
   * the one the scheduler runs.
   */
  get selectedHart(): number {
    return this.vm.vcpu.id;
  }
  set selectedHart(n: number) {
    if (!Number.isInteger(n) || n < 0 || n >= this.vm.vcpus.length) throw new RangeError(`there is no vCPU ${n}: the VM has ${this.vm.vcpus.length}`);
    this.vm.loadVcpu(n);
  }
  get pc(): bigint {
    return this.vm.pc;
  }
  set pc(value: bigint) {
    this.vm.vcpu.state.pc = value;
    this.history.written();
  }
  get priv(): number {
    return this.vm.vcpu.priv;
  }
  getReg(i: number): bigint {
    return this.vm.board.hart.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.vm.board.hart.setReg(i, value);
    this.history.written();
  }
  /** The guest's f registers live on the host hart, as its GPRs do (vcpu.ts). */
  getFpReg(i: number): bigint | undefined {
    return this.vm.vcpu.state.hasF ? this.vm.board.hart.f[i] : undefined;
  }
  setFpReg(i: number, value: bigint): boolean {
    if (!this.vm.vcpu.state.hasF) return false;
    this.vm.board.hart.f[i] = BigInt.asUintN(64, value);
    this.history.written();
    return true;
  }
  /** A run that stops (not on its budget) leaves the vCPU the stop concerns selected: it ran last. */
  run(budget: number, yieldNow?: () => boolean): StopReason {
    return this.history.run(budget, yieldNow);
  }
  /**
   * One step of the selected vCPU. When it is not the one the scheduler runs now, it becomes that
   * one, with a fresh quantum: a change of the guest's course, which the history records as a write.
   */
  step(): StopReason {
    const n = this.vm.vcpu.id;
    if (this.vm.scheduled !== n) {
      this.vm.focus(n);
      this.history.written();
    }
    return this.history.run(1);
  }
  pollInput(): boolean {
    return this.history.pollInput();
  }

  /** The guest's (virtual) CSR by number or name, as the guest would read it; undefined if none. */
  readCsr(csr: number | string): bigint | undefined {
    const num = typeof csr === "number" ? csr : csrByName(csr)?.num;
    if (num === undefined) return undefined;
    this.vm.syncTime();
    const v = this.vm.vcpu.state;
    return isFpCsr(num) && v.hasF ? this.vm.board.hart.readCsr(num) : v.readCsr(num);
  }

  writeCsr(num: number, value: bigint): boolean {
    this.vm.syncTime();
    // fcsr lives on the host hart; the vCPU's copy of the write marks the guest's FS Dirty.
    if (isFpCsr(num) && this.vm.vcpu.state.hasF) this.vm.board.hart.writeCsr(num, value);
    const ok = this.vm.vcpu.state.writeCsr(num, value);
    if (ok && num >= 0x3a0 && num < 0x3c0) this.vm.shadow.reset();
    if (ok) this.history.written();
    return ok;
  }

  /** Guest traps (taken on any virtual CPU, after entry). Returning true stops the run with a `trap` stop. */
  get onTrap(): ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined {
    return this.vm.vcpu.state.onTrap;
  }
  set onTrap(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined) {
    for (const c of this.vm.vcpus) c.state.onTrap = hook;
  }

  setBreakpoints(pcs: Iterable<bigint>): void {
    const set = this.vm.board.hart.breakpoints;
    set.clear();
    for (const pc of pcs) set.add(pc);
  }

  /** Watches the guest's own accesses to guest-physical [pa, pa+length) (the VMM's emulated accesses are not watched). */
  guestPhysicalOf(hpa: bigint): bigint | undefined {
    const gpa = hpa > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : this.vm.p2m.toGpa(Number(hpa));
    return gpa < 0 ? undefined : BigInt(gpa);
  }

  watchPhysical(pa: bigint, length: number, access: WatchAccess): () => void {
    const hpa = this.vm.p2m.toHpa(Number(pa), length);
    if (hpa < 0) return () => {};
    return this.vm.board.watchData(hpa, length, access);
  }

  readMemory(space: AddressSpace, addr: bigint, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const a = BigInt.asUintN(64, addr + BigInt(done));
      const n = Math.min(length - done, Number(PAGE - (a % PAGE)));
      const bytes = this.bytesAt(space, a, n, "r");
      if (!bytes) return null;
      out.set(bytes, done);
      done += n;
    }
    return out;
  }

  writeMemory(space: AddressSpace, addr: bigint, data: Uint8Array): boolean {
    const pieces: [number, number][] = [];
    for (let done = 0; done < data.length; ) {
      const a = BigInt.asUintN(64, addr + BigInt(done));
      const n = Math.min(data.length - done, Number(PAGE - (a % PAGE)));
      const gpa = space === "hpa" ? this.vm.p2m.toGpa(Number(a)) : this.guestPhysical(space, a, "w");
      if (gpa === undefined || gpa < 0 || this.vm.p2m.toHpa(gpa, n) < 0) return false;
      pieces.push([gpa, done]);
      done += n;
    }
    pieces.forEach(([gpa, at], i) => {
      const end = i + 1 < pieces.length ? pieces[i + 1][1] : data.length;
      this.vm.devices.bus.writeBytes(gpa, data.subarray(at, end));
      this.vm.shadow.guestPteWritten(gpa, end - at);
    });
    this.history.written();
    return true;
  }

  translate(va: bigint, access: "r" | "w" | "x", priv?: number): TargetTranslation {
    const v = this.vm.vcpu.state;
    const saved = v.prv;
    if (priv !== undefined) v.prv = priv;
    try {
      const t = this.vm.translate(Number(BigInt.asIntN(64, va)), ACC[access], false, this.vm.lookOnly);
      const steps = t.steps.map((s) => ({ level: s.level, pteAddr: BigInt(s.pteGpa), pte: s.pte }));
      if (!t.ok) return { ok: false, cause: BigInt(t.cause), steps };
      return { ok: true, pa: BigInt(t.gpa), steps, translated: steps.length > 0 };
    } finally {
      v.prv = saved;
    }
  }

  /**
   * Under shadow paging the guest's TLB is the shadow table: the current root's entries, as guest
   * translations (GVA page → GPA page), stale ones included; not the VMM's own mappings (binary
   * translation's translation cache), which have no guest-physical page.
   */
  tlbEntries(): TargetTlbEntry[] {
    const root = this.vm.shadow.current;
    if (!root) return [];
    const asid = root.context.kind === "sv39" ? root.context.guestAsid : 0;
    return [...root.entries.values()].filter((e) => e.gpaPage >= 0).map((e) => ({
      va: BigInt.asUintN(64, BigInt.asIntN(39, BigInt(e.vpn) << 12n)),
      pa: BigInt(e.gpaPage) * PAGE,
      asid,
      global: e.guestGlobal,
      level: 0,
      flags: Number(this.vm.shadow.readPte(e.pteHpa) & 0xffn),
    }));
  }

  private guestPhysical(space: AddressSpace, a: bigint, access: "r" | "w"): number | undefined {
    if (space === "pa" || space === "gpa") return a > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(a);
    if (space !== "va" && space !== "gva") return undefined;
    const t = this.translate(a, access);
    return t.ok ? Number(t.pa) : undefined;
  }

  private bytesAt(space: AddressSpace, a: bigint, n: number, access: "r" | "w"): Uint8Array | null {
    if (space === "hpa") return a > BigInt(Number.MAX_SAFE_INTEGER) ? null : this.vm.board.bus.readBytes(Number(a), n);
    const gpa = this.guestPhysical(space, a, access);
    return gpa === undefined ? null : this.vm.readGuestPhysical(gpa, n);
  }

  /** Breakpoints at guest-virtual pcs (the hart's set: it runs the guest). */
  get breakpoints() {
    return this.vm.board.hart.breakpoints;
  }

  exits(query?: ExitQuery): ExitPage {
    return this.vm.log.query(query);
  }

  exit(seq: number): VmExit | undefined {
    return this.vm.log.get(seq);
  }

  /** The sequence number of the newest exit (0 before any): exits after a step are those above it. */
  get lastExitSeq(): number {
    return this.vm.log.lastSeq;
  }

  /**
   * Stop after exits the predicate selects (exception breakpoints per reason, with conditions).
   * The run then returns { kind: "trap" } and `stoppedExit` is the record.
   */
  setExitFilter(filter: ((exit: VmExit) => boolean) | undefined): void {
    this.vm.exitFilter = filter;
  }

  get stoppedExit(): VmExit | undefined {
    return this.vm.stoppedExit;
  }

  get powerOffReason(): string | undefined {
    return this.vm.powerOffReason;
  }

  stats(): VmStats {
    const byReason = this.vm.log.stats();
    const exits = byReason.reduce((s, r) => s + r.count, 0);
    const exitCycles = byReason.reduce((s, r) => s + r.cycles, 0);
    const n = Number(this.vm.instret);
    return {
      byReason, exits, exitCycles, guestInstructions: this.vm.instret, nativeCycles: n, virtualizedCycles: n + exitCycles,
      slowdown: n > 0 ? (n + exitCycles) / n : 1, exitsPerMillionInstructions: n > 0 ? (exits * 1e6) / n : 0,
      costs: { ...this.vm.costs }, hosting: this.vm.hosting, hostTrips: this.vm.hostTrips, shadow: this.vm.shadow.stats(), tc: this.vm.technique.tcStats?.(),
      fpu: this.vm.fpu.stats(),
      vcpus: this.vcpuStats(),
    };
  }

  private vcpuStats(): VcpuStats | undefined {
    const vm = this.vm;
    if (vm.vcpus.length === 1) return undefined;
    const exits = vm.log.vcpuStats(vm.vcpus.length);
    return {
      quantum: vm.quantum, switches: vm.vcpuSwitches,
      each: vm.vcpus.map((c, n) => ({ instructions: vm.retiredBy(c), exits: exits[n].count, exitCycles: exits[n].cycles })),
    };
  }

  tcBlock(gva: bigint): TcBlockView | undefined {
    return this.vm.technique.tcBlock?.(Number(BigInt.asIntN(64, gva)));
  }

  tcBlocks(): TcBlockView[] {
    return this.vm.technique.tcBlocks?.() ?? [];
  }

  /**
   * This VM against the same guest run afresh under every other technique that can run it, up to
   * this VM's instruction count, at most `cap`. The result is kept until the guest runs on.
   */
  compareTechniques(cap = COMPARISON_CAP): TechniqueComparison | undefined {
    const fresh = this.fresh;
    if (!fresh) return undefined;
    const key = `${this.instret}:${this.lastExitSeq}:${cap}`;
    if (this.comparison?.key !== key) {
      const others = AVAILABLE_TECHNIQUES.filter((t) => t !== this.technique);
      this.comparison = { key, result: compareTechniques(this, others, fresh, cap) };
    }
    return this.comparison.result;
  }

  hostMemory(): HostMemoryView {
    const { p2m, sharing, hostFrames, swap } = this.vm;
    return {
      frames: hostFrames.census(), guestPages: p2m.size / 4096, backedPages: p2m.backedPages,
      sharing: sharing && { ...sharing.stats(), scanPagesPerTick: sharing.options.scanPagesPerTick },
      swap: swap && { ...swap.stats(), swapped: swap.swapped() },
    };
  }

  hostMap(): HostRun[] {
    return hostMap([this.vm]);
  }

  paravirtualState(): PvState | undefined {
    return this.vm.technique.paravirtualState?.();
  }

  /** The two-stage walk of `gva` the hart would do now, when the technique translates in two stages. */
  twoStageWalk(gva: bigint, access: MmuAccess): TwoStageWalk | undefined {
    return this.vm.technique.twoStageWalk?.(gva, access);
  }

  /**
   * The shadow root the hart runs the guest on at the next entry: the root of the guest's context
   * now (made, empty, if the guest has just switched to a new one, as that entry would make it), not
   * the last entry's. None while hardware assistance runs the guest in VS/VU-mode, nor under
   * paravirtualization.
   */
  private activeShadow(): ShadowRoot | undefined {
    if (this.vm.technique.twoStageWalk && this.vm.vcpu.state.prv !== 3) return undefined;
    // Direct paging has no shadows: asking for one would make an empty root the hart never uses.
    if (this.vm.technique.paravirtualState) return undefined;
    return this.vm.currentRoot();
  }

  /** The guest walk and the walk the hart makes through the shadow of `gva` in the vCPU's current context. */
  shadowWalk(gva: bigint, access: MmuAccess = "r"): ShadowWalkView {
    return shadowWalk(this.vm, this.vm.currentRoot(), gva, access);
  }

  shadowMarks(trees: readonly PageTableTree[]): ShadowMark[] {
    return shadowMarks(this.vm, trees, this.activeShadow());
  }

  /**
   * What the hardware does now with a guest access to `addr`: under hardware assistance the two-stage
   * walk (the G stage alone for `gpa`), where a G-stage fault on a device or on RAM the guest's PMP
   * limits is an exit to the VMM; under shadow paging (and guest M-mode code under hardware
   * assistance) the guest's walk and the shadow's; under paravirtualization the hart's walk of the
   * guest's own tables, machine frames told by their pseudo-physical frames.
   */
  walkAddress(addr: bigint, access: MmuAccess, space: WalkSpace = "va"): AddressWalk | string {
    const technique = this.vm.technique;
    const shadow = this.activeShadow();
    const pv = technique.paravirtualState?.();
    if (pv) {
      // One stage: the guest's own virtual addresses are the hart's, straight to machine frames.
      if (space === "gpa") return `${this.technique} has one stage: the guest's tables map its virtual addresses straight to machine frames`;
      return directPagingWalk(this.vm, directPagingView(this.vm, pv), addr, access);
    }
    if (space === "gpa") {
      const g = technique.twoStageWalk?.(addr, access, 0n);
      return g ? this.twoStage(g) : `${this.technique} has no G stage: the p2m maps guest-physical to host-physical memory`;
    }
    const two = shadow && space === "va" ? undefined : technique.twoStageWalk?.(addr, access);
    return two ? this.twoStage(two) : shadowAddressWalk(shadowWalk(this.vm, shadow ?? this.vm.currentRoot(), addr, access));
  }

  /** A two-stage walk, and what the VMM does when the G stage leaves the address out. */
  private twoStage(t: TwoStageWalk): AddressWalk {
    const w = twoStageAddressWalk(t, { vs: "guest", g: "gstage" }, "hpa");
    if (t.walk.stop?.stage !== "g") return w;
    const gpa = t.walk.steps.filter((s) => s.stage === "g").at(-1)?.gpaWalked ?? t.walk.gpa;
    if (gpa === undefined) return w;
    const hex = `0x${gpa.toString(16)}`;
    const dev = this.vm.devices.deviceAt(gpa, 1);
    const p2m = this.vm.p2m;
    const result: AddressWalk["result"] = this.vm.swap?.holds(gpa)
      ? { kind: "exit", text: `host-swap-in exit: gpa ${hex} is guest RAM the VMM swapped out (hostSwap); the VMM reads it back from its swap area and maps it in the G stage` }
      : p2m.isRam(gpa) && p2m.peekHpa(gpa) < 0
      ? { kind: "exit", text: `guest-page-fault exit: gpa ${hex} is guest RAM with no host frame yet (hostMemory overcommits it); the VMM backs it on this first touch and maps it in the G stage` }
      : p2m.peekHpa(gpa) >= 0
      ? { kind: "exit", text: `guest-page-fault exit: gpa ${hex} is RAM the guest's PMP limits, which the G stage leaves out; the VMM runs the access by trap-and-emulate` }
      : dev && t.access !== "x"
        ? { kind: "device", text: `emulated device (${dev.name}): not in the G stage, every access exits (guest-page-fault)` }
        : { kind: "fault", text: `nothing at gpa ${hex}: the guest-page fault exits to the VMM, which reflects a ${causeText(t.access === "r" ? 5 : t.access === "w" ? 7 : 1)} to the guest` };
    return { ...w, result };
  }

  // ---- the panels (inspect.ts) ----

  /**
   * The guest's table (GVA → GPA), every shadow root (GVA → HPA), under hardware assistance the
   * G-stage table (GPA → HPA), the p2m and the write-protected pages.
   */
  pageTableTrees(limit: number): PageTableSet {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const ram = vm.board.ram;
    const trees: PageTableTree[] = [];
    const safe = (a: bigint) => (a > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(a));
    const hostPte = (a: bigint) => {
      const n = safe(a);
      return n === undefined || !ram.contains(n, 8) ? undefined : ram.view.getBigUint64(n - ram.base, true);
    };
    // Paravirtualization's direct paging keeps the guest's tables in machine memory: the hart walks
    // them as they are.
    const pv = vm.technique.paravirtualState?.();
    if (v.satpMode === 8 && pv) {
      const t = readPageTable(BigInt(v.satpRoot), "sv39", hostPte, limit);
      trees.push({ id: "guest", kind: "guest", label: `guest (satp, ASID ${v.satpAsid}): machine frames, walked by the hart`, mode: "sv39", input: "gva", output: "hpa", tableSpace: "hpa", root: t.root, active: true, truncated: t.truncated });
    } else if (v.satpMode === 8) {
      const t = readPageTable(BigInt(v.satpRoot), "sv39", (a) => { const n = safe(a); return n === undefined ? undefined : vm.readPte(n); }, limit);
      trees.push({ id: "guest", kind: "guest", label: `guest (satp, ASID ${v.satpAsid})`, mode: "sv39", input: "gva", output: "gpa", tableSpace: "gpa", root: t.root, active: true, truncated: t.truncated });
    }
    const active = this.activeShadow();
    for (const r of vm.shadow.allRoots()) {
      const t = readPageTable(BigInt(r.rootHpa), "sv39", hostPte, limit);
      trees.push({ id: `shadow:${r.key}`, kind: "shadow", label: `shadow ${r.key}`, mode: "sv39", input: "gva", output: "hpa", tableSpace: "hpa", root: t.root, active: r === active, truncated: t.truncated });
    }
    const own = vm.technique.tables?.() ?? [];
    for (const g of own) {
      const t = readPageTable(BigInt(g.rootHpa), g.mode, hostPte, limit);
      trees.push({ id: g.id, kind: g.kind, label: g.label, mode: g.mode, input: "gpa", output: "hpa", tableSpace: "hpa", root: t.root, active: true, truncated: t.truncated });
    }
    return {
      trees,
      p2m: vm.p2m.regions().map((r) => ({ gpa: BigInt(r.gpa), hpa: BigInt(r.hpa), size: BigInt(r.size) })),
      writeProtected: vm.shadow.pageTablePages().map((p) => BigInt(p) * PAGE),
      directPaging: pv && directPagingView(vm, pv),
      note: v.satpMode === 8 ? undefined
        : `satp is Bare: the guest does not translate (${own.length > 0 ? "the G stage maps its physical view" : "the shadows map its physical view"})`,
    };
  }

  /** The VMM's device models, as the guest sees them, each with the model it is given by (emulated, split). */
  deviceStates(): DeviceState[] {
    return [...withDeviceModels(this.vm.devices.views(), this.vm.devices.virtio, this.vm.split), ...(this.vm.passthrough?.views() ?? [])];
  }

  exitLog(): ExitLogSnapshot {
    const page = this.vm.log.query({ count: Number.MAX_SAFE_INTEGER });
    return { reasons: EXIT_REASONS, records: page.exits, stats: this.vm.log.stats(), dropped: page.dropped };
  }

  /** The read-only document that narrates one exit's emulation, step by step with before/after values. */
  narrate(seq: number): string | undefined {
    const e = this.vm.log.get(seq);
    if (!e) return undefined;
    const hex = (x: bigint) => `0x${BigInt.asUintN(64, x).toString(16)}`;
    const lines = [
      `${exitName(e.seq)}: ${e.reason}  (vCPU ${e.vcpu}, guest pc ${hex(e.pc)}, virtual ${PRIV_NAMES[e.priv]}-mode, ${e.cycles} modelled cycles)`,
      e.instruction ? `instruction: ${e.instruction.mnemonic} (0x${e.instruction.bits.toString(16).padStart(e.instruction.length * 2, "0")})` : "instruction: —",
      "",
      ...e.steps.map((s, i) => {
        const ba = s.before !== undefined || s.after !== undefined
          ? `   [${s.before !== undefined ? `before ${hex(s.before)}` : ""}${s.before !== undefined && s.after !== undefined ? " → " : ""}${s.after !== undefined ? `after ${hex(s.after)}` : ""}]`
          : "";
        return `${i + 1}. ${s.phase.padEnd(7)} ${s.text}${ba}`;
      }),
      "",
      `VMM: ${e.action}`,
    ];
    return lines.join("\n") + "\n";
  }
}

/** fflags, frm, fcsr: the guest's FP CSRs, which the host hart holds while the VM runs. */
function isFpCsr(num: number): boolean {
  return num >= 0x001 && num <= 0x003;
}
