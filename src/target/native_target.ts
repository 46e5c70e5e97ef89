import { balloonControl, balloonIn, type BalloonControl } from "./balloon";
import { HSTATUS_SPVP, MSTATUS_MXR, MSTATUS_SUM } from "../isa/csr_bits";
import type { StopReason } from "../machine/board";
import { dataMode, fetchMode, VIRT, walkGuestAccess, type MmuAccess } from "../machine/hart/mmu";
import type { Hart } from "../machine/hart/hart";
import type { VirtBoard } from "../machine/virt";
import { History } from "./history/history";
import { machinePolicy } from "./history/machine_policy";
import { RecordedConsole, type Recording } from "./history/recorded_console";
import { readPageTable, type DeviceState, type PageTableSet, type PageTableTree } from "./inspect";
import type { AddressSpace, AddressWalk, Target, TargetLine, TargetSymbol, TargetTlbEntry, TargetTranslation, TwoStageWalk, WalkSpace, WatchAccess } from "./target";
import { faultText, hartPart, modeName, rootText, twoStageAddressWalk, type HartWalkContext } from "./walk_view";

const PAGE = 4096n;
/** The trees pageTableTrees shows, by the stage whose tables they hold. */
const TREES: HartWalkContext["trees"] = { s: "guest", vs: "vsatp", g: "gstage" };

/** The `native` technique: no VMM at all, the guest owns the bare board. The baseline. */
export class NativeTarget implements Target {
  readonly technique = "native" as const;
  readonly addressSpaces: readonly AddressSpace[] = ["va", "pa"];
  readonly history: History;
  readonly balloon: BalloonControl | undefined;
  private selected = 0;

  /** @param recording the console the board's UART was built with, and the history budget (0: none) */
  constructor(
    readonly board: VirtBoard,
    readonly symbols: readonly TargetSymbol[],
    readonly lineTable: readonly TargetLine[],
    recording: Recording = { console: new RecordedConsole(undefined, undefined) },
  ) {
    const harts = board.harts;
    this.history = new History({
      root: board,
      policy: machinePolicy(harts, [recording.console.source, recording.console.sink, ...(recording.outside ?? [])]),
      ram: board.ram.bytes,
      get steps() { return board.steps; },
      get instret() { return Number(board.instret); },
      exits: 0,
      run: (budget, yieldNow) => {
        board.devices.pollInput();
        return board.run(budget, yieldNow);
      },
      pollInput: () => board.devices.pollInput(),
      // The hart a run resumes is the one the board runs now.
      breakpointHere: () => {
        const hart = harts[board.current];
        return hart.breakpoints.has(hart.pc) ? hart.pc : undefined;
      },
      restored: () => {
        harts.forEach((h) => h.dropCaches());
        board.reservationsRestored();
      },
      withoutHooks: (fn) => {
        const hook = this.onTrap;
        this.onTrap = undefined;
        try {
          return fn();
        } finally {
          this.onTrap = hook;
        }
      },
    }, recording.console, recording.budgetBytes);
    const balloon = balloonIn(board.devices.virtio);
    this.balloon = balloon && balloonControl(balloon, board.ram.size, () => this.history.written());
  }

  get harts(): number {
    return this.board.harts.length;
  }
  get selectedHart(): number {
    return this.selected;
  }
  set selectedHart(n: number) {
    if (!Number.isInteger(n) || n < 0 || n >= this.board.harts.length) throw new RangeError(`there is no hart ${n}: the board has ${this.board.harts.length}`);
    this.selected = n;
  }
  /** The selected hart. */
  private get hart(): Hart {
    return this.board.harts[this.selected];
  }

  get instret(): bigint {
    return this.board.instret;
  }
  get pc(): bigint {
    return this.hart.pc;
  }
  set pc(v: bigint) {
    this.hart.pc = v;
    this.history.written();
  }
  get priv(): number {
    return this.hart.priv;
  }
  get virt(): boolean | undefined {
    return this.hart.hasH ? this.hart.virt : undefined;
  }
  getReg(i: number): bigint {
    return this.hart.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.hart.setReg(i, value);
    this.history.written();
  }
  getFpReg(i: number): bigint | undefined {
    const hart = this.hart;
    return hart.hasF ? hart.f[i] : undefined;
  }
  setFpReg(i: number, value: bigint): boolean {
    const hart = this.hart;
    if (!hart.hasF) return false;
    hart.f[i] = BigInt.asUintN(64, value);
    this.history.written();
    return true;
  }
  readCsr(num: number): bigint | undefined {
    return this.hart.readCsr(num);
  }
  writeCsr(num: number, value: bigint): boolean {
    const ok = this.hart.writeCsr(num, value);
    if (ok) this.history.written();
    return ok;
  }

  run(budget: number, yieldNow?: () => boolean): StopReason {
    const stop = this.history.run(budget, yieldNow);
    if (stop.kind !== "budget" && stop.kind !== "idle") this.selected = this.board.stopHart;
    return stop;
  }
  /**
   * One step of the selected hart. When it is not the one the board runs now, it becomes that one,
   * with a fresh quantum: a change of the machine's course, which the history records as a write.
   */
  step(): StopReason {
    if (this.board.current !== this.selected) {
      this.board.focus(this.selected);
      this.history.written();
    }
    return this.history.run(1);
  }
  pollInput(): boolean {
    return this.history.pollInput();
  }

  get onTrap(): ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined {
    return this.board.hart.onTrap;
  }
  /** Every hart's: a trap of any of them may stop the run. */
  set onTrap(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined) {
    for (const h of this.board.harts) h.onTrap = hook;
  }

  /** On every hart: a breakpoint stops the run whichever hart reaches it (all-stop). */
  setBreakpoints(pcs: Iterable<bigint>): void {
    const list = [...pcs];
    for (const h of this.board.harts) {
      h.breakpoints.clear();
      for (const pc of list) h.breakpoints.add(pc);
    }
  }

  watchPhysical(pa: bigint, length: number, access: WatchAccess): () => void {
    return this.board.watchData(Number(pa), length, access);
  }

  readMemory(space: AddressSpace, addr: bigint, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = BigInt.asUintN(64, addr + BigInt(done));
      const n = Math.min(length - done, Number(PAGE - (a % PAGE)));
      const pa = this.physical(space, a, "r");
      if (pa === undefined || pa > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      const bytes = this.board.bus.readBytes(Number(pa), n);
      if (!bytes) return null;
      out.set(bytes, done);
      done += n;
    }
    return out;
  }

  writeMemory(space: AddressSpace, addr: bigint, data: Uint8Array): boolean {
    const pieces: [number, Uint8Array][] = [];
    for (let done = 0; done < data.length; ) {
      const a = BigInt.asUintN(64, addr + BigInt(done));
      const n = Math.min(data.length - done, Number(PAGE - (a % PAGE)));
      const pa = this.physical(space, a, "w");
      if (pa === undefined || pa > BigInt(Number.MAX_SAFE_INTEGER) || !this.board.ram.contains(Number(pa), n)) return false;
      pieces.push([Number(pa), data.subarray(done, done + n)]);
      done += n;
    }
    for (const [pa, bytes] of pieces) this.board.bus.writeBytes(pa, bytes);
    this.history.written();
    return true;
  }

  translate(va: bigint, access: "r" | "w" | "x", priv?: number): TargetTranslation {
    const t = this.hart.translate(va, access, priv);
    const steps = "steps" in t ? t.steps : [];
    const walk = steps.map((s) => ({ level: s.level, pteAddr: BigInt(s.pteAddr), pte: s.pte }));
    if ("fault" in t) return { ok: false, cause: t.fault, steps: walk };
    return { ok: true, pa: BigInt(t.pa), steps: walk, translated: walk.length > 0 };
  }

  tlbEntries(): TargetTlbEntry[] {
    return this.hart.tlbEntries().map((e) => ({
      va: BigInt.asUintN(64, BigInt.asIntN(39, BigInt(e.vpn) << 12n)),
      pa: BigInt(e.ppn) * PAGE,
      asid: e.asid,
      global: e.global,
      level: e.level,
      flags: e.flags,
    }));
  }

  /**
   * The walk the hart makes now for an access to `addr`: the one its current mode makes (two stages
   * with V=1), or with the H extension a guest access through both stages (`gva`) or the G stage
   * alone (`gpa`), as HLV would make it.
   */
  walkAddress(addr: bigint, access: MmuAccess, space: WalkSpace = "va"): AddressWalk | string {
    const h = this.hart;
    if (space !== "va") {
      const two = this.twoStageWalk(addr, access, space === "gpa" ? 0n : undefined);
      return two ? twoStageAddressWalk(two, TREES, "pa") : `the hart has no H extension: there is no ${space === "gpa" ? "G stage" : "guest-virtual address space"} to walk`;
    }
    const mode = access === "x" ? fetchMode(h) : dataMode(h);
    if (mode & VIRT) return twoStageAddressWalk(walkGuestAccess(h, addr, access, (mode & 1) as 0 | 1), TREES, "pa");
    const priv = mode & 3;
    const satp = h.satp;
    const translates = priv !== 3 && satp >> 60n === 8n;
    const title = `${access === "r" ? "read" : access === "w" ? "write" : "execute"} from ${modeName(priv, false)}; ${translates ? rootText("satp", satp, "pa") : "no translation"}`;
    const w = h.walk(addr, access, mode);
    const ctx: HartWalkContext = { access, priv, virt: false, sum: (h.mstatus & MSTATUS_SUM) !== 0, mxr: (h.mstatus & MSTATUS_MXR) !== 0, trees: TREES, space: "pa" };
    const result: AddressWalk["result"] = w.fault === undefined
      ? { kind: "translated", text: `pa 0x${w.pa!.toString(16)}`, addr: BigInt(w.pa!), space: "pa" }
      : { kind: "fault", text: faultText(w, ctx) };
    return { va: addr, access, title, parts: translates ? [hartPart(w, ctx, `the hart's walk of va 0x${BigInt.asUintN(64, addr).toString(16)}`)] : [], references: w.steps.length, result };
  }

  /**
   * With the H extension, the two-stage walk of a guest access from the hart's own vsatp and hgatp:
   * from its current mode when it runs with V=1, else from the mode hstatus.SPVP names, as HLV
   * walks. `vsatp` stands in for the hart's (0n: the G stage alone).
   */
  twoStageWalk(gva: bigint, access: MmuAccess, vsatp?: bigint): TwoStageWalk | undefined {
    const h = this.hart;
    if (!h.hasH) return undefined;
    const csrs = vsatp === undefined ? {} : { vsatp };
    if (h.virt) return walkGuestAccess(h, gva, access, h.prv === 0 ? 0 : 1, csrs);
    const spvp = ((h.hstatus & HSTATUS_SPVP) !== 0 ? 1 : 0) as 0 | 1;
    const note = `the hart runs in ${h.prv === 1 ? "HS" : modeName(h.prv, false).slice(0, 1)}-mode, not with V=1: walking as HLV does, from ${modeName(spvp, true)} (hstatus.SPVP = ${spvp})`;
    return { ...walkGuestAccess(h, gva, access, spvp, csrs), note };
  }

  /**
   * The tables the hart translates through: satp's (Sv39), and with the H extension vsatp's (the
   * VS stage, whose table pages are guest-physical) and hgatp's (the G stage, Sv39x4). The one the
   * code now running uses is `active`: satp's with V=0, the guest's two with V=1.
   */
  pageTableTrees(limit: number): PageTableSet {
    const h = this.hart;
    const trees: PageTableTree[] = [];
    const physical = (a: bigint) => this.readPte(a);
    const satp = h.satp;
    if (satp >> 60n === 8n) {
      const asid = Number((satp >> 44n) & 0xffffn);
      const t = readPageTable((satp & ((1n << 44n) - 1n)) << 12n, "sv39", physical, limit);
      const label = h.hasH ? `host (satp, ASID ${asid})` : `guest (satp, ASID ${asid})`;
      trees.push({ id: TREES.s!, kind: "guest", label, mode: "sv39", input: "va", output: "pa", tableSpace: "pa", root: t.root, active: !h.virt, truncated: t.truncated });
    }
    if (h.hasH && h.vsatp >> 60n === 8n) {
      const asid = Number((h.vsatp >> 44n) & 0xffffn);
      const t = readPageTable((h.vsatp & ((1n << 44n) - 1n)) << 12n, "sv39", this.guestPteReader(), limit);
      trees.push({ id: TREES.vs!, kind: "guest", label: `VS stage (vsatp, ASID ${asid})`, mode: "sv39", input: "gva", output: "gpa", tableSpace: "gpa", root: t.root, active: h.virt, truncated: t.truncated });
    }
    if (h.hasH && h.hgatp >> 60n === 8n) {
      const vmid = Number((h.hgatp >> 44n) & 0x3fffn);
      const t = readPageTable((h.hgatp & 0xffffffffffcn) << 12n, "sv39x4", physical, limit);
      trees.push({ id: TREES.g!, kind: "gstage", label: `G stage (hgatp, VMID ${vmid})`, mode: "sv39x4", input: "gpa", output: "pa", tableSpace: "pa", root: t.root, active: h.virt, truncated: t.truncated });
    }
    const note = trees.length > 0 ? undefined : `satp is Bare: the ${h.hasH ? "hart" : "guest"} does not translate addresses${h.hasH ? ", and vsatp and hgatp are Bare too" : ""}`;
    return { trees, p2m: [], writeProtected: [], note };
  }

  deviceStates(): DeviceState[] {
    return this.board.devices.views();
  }

  private readPte(pa: bigint): bigint | undefined {
    if (pa > BigInt(Number.MAX_SAFE_INTEGER) || !this.board.ram.contains(Number(pa), 8)) return undefined;
    return this.board.ram.view.getBigUint64(Number(pa) - this.board.ram.base, true);
  }

  /**
   * Reads VS-stage PTEs at guest-physical addresses, each table page translated by the G stage as the
   * hart's implicit read would translate it (once per page: a table is read entry by entry).
   */
  private guestPteReader(): (gpa: bigint) => bigint | undefined {
    let page = -1n;
    let base: bigint | undefined;
    return (gpa) => {
      if ((gpa & ~0xfffn) !== page) {
        page = gpa & ~0xfffn;
        const pa = walkGuestAccess(this.hart, page, "r", 1, { vsatp: 0n }).walk.pa;
        base = pa === undefined ? undefined : BigInt(pa);
      }
      return base === undefined ? undefined : this.readPte(base + (gpa & 0xfffn));
    };
  }

  private physical(space: AddressSpace, addr: bigint, access: "r" | "w"): bigint | undefined {
    if (space === "pa") return addr;
    if (space !== "va") return undefined;
    const t = this.translate(addr, access);
    return t.ok ? t.pa : undefined;
  }
}
