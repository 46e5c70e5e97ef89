import type { StopReason } from "../machine/board";
import { csrByName } from "../isa/csrs";
import type { CostModel } from "./cost_model";
import { EXIT_REASONS, type ExitPage, type ExitQuery, type ExitReason, type ReasonStats, type VmExit } from "./exits";
import { readPageTable, type DeviceState, type ExitLogSnapshot, type PageTableSet, type PageTableTree } from "./inspect";
import { Acc } from "./guest_walk";
import { sv39Tree, sv39Walk, type PageTableNode, type Sv39Walk } from "./page_tables";
import type { P2mRegion } from "./p2m";
import { contextKey, type ShadowStats } from "./shadow_paging";
import type { AddressSpace, Target, TargetLine, TargetSymbol, TargetTlbEntry, TargetTranslation, Technique, WatchAccess } from "./target";
import { COMPARISON_CAP, compareTechniques, type FreshGuest, type TechniqueComparison } from "./technique_comparison";
import { PRIV, type Vm } from "./vm";
import { walk2, type Walk2Access, type Walk2Result } from "./walk2";

const PAGE = 4096n;
const ACC = { r: Acc.R, w: Acc.W, x: Acc.X } as const;
const MSTATUS_SUM = 1 << 18;
const MSTATUS_MXR = 1 << 19;
const NO_NATIVE_RUN = "the guest boots in S-mode (boot \"supervisor\") and needs the VMM's SBI firmware";

/** Exit statistics with the modelled overhead (cost_model.ts: one cycle per guest instruction). */
export interface VmStats {
  byReason: ReasonStats[];
  exits: number;
  exitCycles: number;
  guestInstructions: bigint;
  /** What the same guest costs natively: one cycle per instruction. */
  nativeCycles: number;
  /** nativeCycles + exitCycles. */
  virtualizedCycles: number;
  /** virtualizedCycles / nativeCycles (1 = no overhead). */
  slowdown: number;
  exitsPerMillionInstructions: number;
  costs: CostModel;
  shadow: ShadowStats;
}

export interface ShadowRootView {
  key: string;
  hostAsid: number;
  rootHpa: number;
  current: boolean;
  entries: number;
  stale: number;
  tree: PageTableNode[];
}

export interface PageTablesView {
  /** The guest's own table (GPAs), when its satp is Sv39. */
  guest: { satp: bigint; rootGpa: number; tree: PageTableNode[] } | null;
  shadows: ShadowRootView[];
  /** Guest-physical pages that are write-protected because they hold guest page tables. */
  writeProtected: number[];
  p2m: P2mRegion[];
}

/** `shadow <gva>`: the guest's walk, the p2m step and the shadow walk of one address, side by side. */
export interface ShadowWalkView {
  gva: bigint;
  context: string;
  guest: { paging: boolean; walk?: Sv39Walk; gpa?: number; fault?: number };
  hpaFromP2m?: number;
  shadow: { rootKey: string; rootHpa: number; walk: Sv39Walk; present: boolean; stale: boolean };
  /** The shadow maps the address where the guest's table and the p2m say it should. */
  consistent: boolean;
}

/** `walk2 <gva>`: the two-stage walk the hart would do now for the guest's access. */
export interface TwoStageWalkView {
  /**
   * The vCPU is in virtual M-mode, which runs trap-and-emulated, not in VS-mode: the walk is the
   * one its S-mode would do with the same vsatp.
   */
  fromMachineMode: boolean;
  walk: Walk2Result;
}

/**
 * A VM under a VMM technique (trap-and-emulate or hardware-assisted), as the debugger drives it.
 * Registers, CSRs and privilege are the guest's (virtual) ones.
 */
export class VmTarget implements Target {
  /** va = gva (the guest's current view) and pa = gpa; hpa is host-physical memory (read-only outside guest RAM). */
  readonly addressSpaces: readonly AddressSpace[] = ["va", "pa", "gva", "gpa", "hpa"];
  /** The last comparison, and the instruction count, exit count and cap it was made at. */
  private comparison: { key: string; result: TechniqueComparison } | undefined;

  /** @param fresh the loaded guest afresh under another technique, for `stats`' comparison (none: no comparison) */
  constructor(
    readonly vm: Vm,
    readonly symbols: readonly TargetSymbol[],
    readonly lineTable: readonly TargetLine[] = [],
    private readonly fresh?: FreshGuest,
  ) {}

  get technique(): Technique {
    return this.vm.technique;
  }

  get instret(): bigint {
    return this.vm.instret;
  }
  get pc(): bigint {
    return this.vm.pc;
  }
  set pc(value: bigint) {
    this.vm.vcpu.state.pc = value;
  }
  get priv(): number {
    return this.vm.vcpu.priv;
  }
  getReg(i: number): bigint {
    return this.vm.board.hart.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.vm.board.hart.setReg(i, value);
  }
  run(budget: number): StopReason {
    this.vm.devices.uart.poll();
    return this.vm.run(budget);
  }
  step(): StopReason {
    return this.vm.step();
  }
  pollInput(): void {
    this.vm.devices.uart.poll();
  }

  /** The guest's (virtual) CSR by number or name, as the guest would read it; undefined if none. */
  readCsr(csr: number | string): bigint | undefined {
    const num = typeof csr === "number" ? csr : csrByName(csr)?.num;
    if (num === undefined) return undefined;
    this.vm.syncTime();
    return this.vm.vcpu.state.readCsr(num);
  }

  writeCsr(num: number, value: bigint): boolean {
    this.vm.syncTime();
    const ok = this.vm.vcpu.state.writeCsr(num, value);
    if (ok && num >= 0x3a0 && num < 0x3c0) this.vm.shadow.reset();
    return ok;
  }

  /** Guest traps (taken on the virtual CPU, after entry). Returning true stops the run with a `trap` stop. */
  get onTrap(): ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined {
    return this.vm.vcpu.state.onTrap;
  }
  set onTrap(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined) {
    this.vm.vcpu.state.onTrap = hook;
  }

  setBreakpoints(pcs: Iterable<bigint>): void {
    const set = this.vm.board.hart.breakpoints;
    set.clear();
    for (const pc of pcs) set.add(pc);
  }

  /** Watches the guest's own accesses to guest-physical [pa, pa+length) (the VMM's emulated accesses are not watched). */
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
    return true;
  }

  translate(va: bigint, access: "r" | "w" | "x", priv?: number): TargetTranslation {
    const v = this.vm.vcpu.state;
    const saved = v.prv;
    if (priv !== undefined) v.prv = priv;
    try {
      const t = this.vm.translate(Number(BigInt.asIntN(64, va)), ACC[access], false);
      const steps = t.steps.map((s) => ({ level: s.level, pteAddr: BigInt(s.pteGpa), pte: s.pte }));
      if (!t.ok) return { ok: false, cause: BigInt(t.cause), steps };
      return { ok: true, pa: BigInt(t.gpa), steps, translated: steps.length > 0 };
    } finally {
      v.prv = saved;
    }
  }

  /**
   * Under shadow paging the guest's TLB is the shadow table: the current root's entries, as guest
   * translations (GVA page → GPA page), stale ones included.
   */
  tlbEntries(): TargetTlbEntry[] {
    const root = this.vm.shadow.current;
    if (!root) return [];
    const asid = root.context.kind === "sv39" ? root.context.guestAsid : 0;
    return [...root.entries.values()].map((e) => ({
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

  /** Convenience filter: stop on these reasons. */
  breakOnReasons(reasons: readonly ExitReason[]): void {
    const set = new Set(reasons);
    this.setExitFilter(set.size === 0 ? undefined : (e) => set.has(e.reason));
  }

  get stoppedExit(): VmExit | undefined {
    return this.vm.stoppedExit;
  }

  stats(): VmStats {
    const byReason = this.vm.log.stats();
    const exits = byReason.reduce((s, r) => s + r.count, 0);
    const exitCycles = byReason.reduce((s, r) => s + r.cycles, 0);
    const n = Number(this.vm.instret);
    return {
      byReason, exits, exitCycles, guestInstructions: this.vm.instret, nativeCycles: n, virtualizedCycles: n + exitCycles,
      slowdown: n > 0 ? (n + exitCycles) / n : 1, exitsPerMillionInstructions: n > 0 ? (exits * 1e6) / n : 0,
      costs: { ...this.vm.costs }, shadow: this.vm.shadow.stats(),
    };
  }

  /**
   * This VM against the same guest run afresh under the other VMM technique and natively (not for a
   * guest that boots in S-mode: it needs the VMM's firmware), up to this VM's instruction count, at
   * most `cap`. Undefined when the target was made without a way to load the guest again. The
   * result is kept until the guest runs on.
   */
  compareTechniques(cap = COMPARISON_CAP): TechniqueComparison | undefined {
    const fresh = this.fresh;
    if (!fresh) return undefined;
    const key = `${this.instret}:${this.lastExitSeq}:${cap}`;
    if (this.comparison?.key !== key) {
      const other: Technique = this.vm.technique === "hardware-assisted" ? "trap-and-emulate" : "hardware-assisted";
      const supervisor = this.vm.boot === "supervisor";
      const guest: FreshGuest = (t) => (t === "native" && supervisor ? NO_NATIVE_RUN : fresh(t));
      this.comparison = { key, result: compareTechniques(this, [other, "native"], guest, cap) };
    }
    return this.comparison.result;
  }

  /**
   * Under hardware assistance, the two-stage walk of `gva` the hart would do now (walk2.ts): the
   * vCPU's satp as vsatp, the VMM's G-stage table as hgatp, the vCPU's privilege, SUM and MXR, over
   * host RAM. Undefined under trap-and-emulate, where the hart walks the shadow table instead.
   */
  twoStageWalk(gva: bigint, access: Walk2Access): TwoStageWalkView | undefined {
    const vm = this.vm;
    const g = vm.gStage;
    if (!g) return undefined;
    const v = vm.vcpu.state;
    const ram = vm.board.ram;
    const read = (hpa: number) => (ram.contains(hpa, 8) ? ram.view.getBigUint64(hpa - ram.base, true) : undefined);
    const walk = walk2(read, {
      gva, access, priv: v.prv === 0 ? 0 : 1, vsatp: v.satp, hgatp: g.hgatp,
      sum: (v.mstatus & MSTATUS_SUM) !== 0, vsMxr: (v.mstatus & MSTATUS_MXR) !== 0,
      hsMxr: (vm.board.hart.mstatus & MSTATUS_MXR) !== 0,
    });
    return { fromMachineMode: v.prv === 3, walk };
  }

  p2m(): P2mRegion[] {
    return [...this.vm.p2m.regions()];
  }

  pageTables(leafLimit = 4096): PageTablesView {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const current = vm.shadow.current;
    return {
      guest: v.satpMode === 8 ? { satp: v.satp, rootGpa: v.satpRoot, tree: sv39Tree(v.satpRoot, (a) => vm.readPte(a), leafLimit) } : null,
      shadows: vm.shadow.allRoots().map((r) => ({
        key: r.key, hostAsid: r.hostAsid, rootHpa: r.rootHpa, current: r === current, entries: r.entries.size,
        stale: [...r.entries.values()].filter((e) => e.stale).length,
        tree: sv39Tree(r.rootHpa, (a) => vm.shadow.readPte(a), leafLimit),
      })),
      writeProtected: vm.shadow.pageTablePages().map((p) => p * 4096),
      p2m: this.p2m(),
    };
  }

  /** The guest walk and the shadow walk of `gva` in the vCPU's current data context. */
  shadowWalk(gva: bigint): ShadowWalkView {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const ctx = vm.context();
    const root = vm.currentRoot();
    const paging = ctx.kind === "sv39";
    const guest: ShadowWalkView["guest"] = { paging };
    if (paging) guest.walk = sv39Walk(v.satpRoot, gva, (a) => vm.readPte(a));
    const t = vm.translate(Number(BigInt.asIntN(64, gva)), Acc.R, false);
    if (t.ok) guest.gpa = t.gpa;
    else guest.fault = t.cause;
    const hpaFromP2m = guest.gpa === undefined ? undefined : vm.p2m.toHpa(guest.gpa);
    const walk = sv39Walk(root.rootHpa, gva, (a) => vm.shadow.readPte(a));
    const e = vm.shadow.entry(root, Number((BigInt.asUintN(64, gva) >> 12n) & 0x7ffffffn));
    return {
      gva, context: contextKey(ctx), guest, hpaFromP2m: hpaFromP2m !== undefined && hpaFromP2m >= 0 ? hpaFromP2m : undefined,
      shadow: { rootKey: root.key, rootHpa: root.rootHpa, walk, present: walk.pa !== undefined, stale: e?.stale ?? false },
      consistent: walk.pa === undefined || walk.pa === hpaFromP2m,
    };
  }

  // ---- the panels (inspect.ts) ----

  /**
   * The guest's table (GVA → GPA), every shadow root (GVA → HPA), under hardware assistance the
   * G-stage table (GPA → HPA), the p2m and the write-protected pages.
   */
  pageTableTrees(limit: number): PageTableSet {
    const vm = this.vm;
    const v = vm.vcpu.state;
    const trees: PageTableTree[] = [];
    const tree = (id: string, kind: PageTableTree["kind"], label: string, root: number, readPte: (a: bigint) => bigint | undefined, active: boolean, space: "gpa" | "hpa") => {
      const t = readPageTable(BigInt(root), "sv39", readPte, limit);
      trees.push({ id, kind, label, mode: "sv39", input: "gva", output: space === "gpa" ? "gpa" : "hpa", tableSpace: space, root: t.root, active, truncated: t.truncated });
    };
    const safe = (a: bigint) => (a > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(a));
    if (v.satpMode === 8) tree("guest", "guest", `guest (satp, ASID ${v.satpAsid})`, v.satpRoot, (a) => { const n = safe(a); return n === undefined ? undefined : vm.readPte(n); }, true, "gpa");
    const current = vm.shadow.current;
    const pool = vm.board.ram;
    for (const r of vm.shadow.allRoots()) {
      tree(`shadow:${r.key}`, "shadow", `shadow ${r.key}`, r.rootHpa, (a) => { const n = safe(a); return n === undefined || !pool.contains(n, 8) ? undefined : vm.shadow.readPte(n); }, r === current, "hpa");
    }
    const hardware = vm.gStage !== undefined;
    if (vm.gStage) trees.push(vm.gStage.tree(limit));
    return {
      trees,
      p2m: this.p2m().map((r) => ({ gpa: BigInt(r.gpa), hpa: BigInt(r.hpa), size: BigInt(r.size) })),
      writeProtected: vm.shadow.pageTablePages().map((p) => BigInt(p) * PAGE),
      note: v.satpMode === 8 ? undefined
        : `satp is Bare: the guest does not translate (${hardware ? "the G stage maps its physical view" : "the shadows map its physical view"})`,
    };
  }

  /** The VMM's device models, as the guest sees them. */
  deviceStates(): DeviceState[] {
    return this.vm.devices.views();
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
      `VM exit #${e.seq}: ${e.reason}  (vCPU ${e.vcpu}, guest pc ${hex(e.pc)}, virtual ${PRIV[e.priv]}-mode, ${e.cycles} modelled cycles)`,
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
