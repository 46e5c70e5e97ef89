import { CSR } from "../isa/csrs";
import type { StopReason } from "../machine/board";
import type { VirtBoard } from "../machine/virt";
import { History } from "./history/history";
import { machinePolicy } from "./history/machine_policy";
import { RecordedConsole } from "./history/recorded_console";
import { readPageTable, type DeviceState, type PageTableSet } from "./inspect";
import type { AddressSpace, Target, TargetLine, TargetSymbol, TargetTlbEntry, TargetTranslation, WatchAccess } from "./target";

const PAGE = 4096n;

/** The `native` technique: no VMM at all, the guest owns the bare board. The baseline. */
export class NativeTarget implements Target {
  readonly technique = "native" as const;
  readonly addressSpaces: readonly AddressSpace[] = ["va", "pa"];
  readonly history: History;

  /** @param recording the console the board's UART was built with, and the history budget (0: none) */
  constructor(
    readonly board: VirtBoard,
    readonly symbols: readonly TargetSymbol[],
    readonly lineTable: readonly TargetLine[],
    recording: { console: RecordedConsole; budgetBytes?: number } = { console: new RecordedConsole(undefined, undefined) },
  ) {
    const hart = board.hart;
    this.history = new History({
      root: board,
      policy: machinePolicy([hart], [recording.console.source, recording.console.sink]),
      ram: board.ram.bytes,
      get steps() { return board.steps; },
      get instret() { return hart.retired; },
      exits: 0,
      run: (budget) => {
        board.uart.poll();
        return board.run(budget);
      },
      pollInput: () => {
        const before = board.uart.received;
        board.uart.poll();
        return board.uart.received !== before;
      },
      restored: () => hart.dropCaches(),
      withoutHooks: (fn) => {
        const hook = hart.onTrap;
        hart.onTrap = undefined;
        try {
          return fn();
        } finally {
          hart.onTrap = hook;
        }
      },
    }, recording.console, recording.budgetBytes);
  }

  get instret(): bigint {
    return this.board.instret;
  }
  get pc(): bigint {
    return this.board.hart.pc;
  }
  set pc(v: bigint) {
    this.board.hart.pc = v;
    this.history.written();
  }
  get priv(): number {
    return this.board.hart.priv;
  }
  get virt(): boolean | undefined {
    return this.board.hart.hasH ? this.board.hart.virt : undefined;
  }
  getReg(i: number): bigint {
    return this.board.hart.getReg(i);
  }
  setReg(i: number, value: bigint): void {
    this.board.hart.setReg(i, value);
    this.history.written();
  }
  readCsr(num: number): bigint | undefined {
    return this.board.hart.readCsr(num);
  }
  writeCsr(num: number, value: bigint): boolean {
    const ok = this.board.hart.writeCsr(num, value);
    if (ok) this.history.written();
    return ok;
  }

  run(budget: number): StopReason {
    return this.history.run(budget);
  }
  step(): StopReason {
    return this.history.run(1);
  }
  pollInput(): boolean {
    return this.history.pollInput();
  }

  get onTrap(): ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined {
    return this.board.hart.onTrap;
  }
  set onTrap(hook: ((cause: bigint, tval: bigint, pc: bigint) => boolean) | undefined) {
    this.board.hart.onTrap = hook;
  }

  setBreakpoints(pcs: Iterable<bigint>): void {
    const set = this.board.hart.breakpoints;
    set.clear();
    for (const pc of pcs) set.add(pc);
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
    const t = this.board.hart.translate(va, access, priv);
    const steps = "steps" in t ? t.steps : [];
    const walk = steps.map((s) => ({ level: s.level, pteAddr: BigInt(s.pteAddr), pte: s.pte }));
    if ("fault" in t) return { ok: false, cause: t.fault, steps: walk };
    return { ok: true, pa: BigInt(t.pa), steps: walk, translated: walk.length > 0 };
  }

  tlbEntries(): TargetTlbEntry[] {
    return this.board.hart.tlbEntries().map((e) => ({
      va: BigInt.asUintN(64, BigInt.asIntN(39, BigInt(e.vpn) << 12n)),
      pa: BigInt(e.ppn) * PAGE,
      asid: e.asid,
      global: e.global,
      level: e.level,
      flags: e.flags,
    }));
  }

  /** The guest's Sv39 table, when its satp turns translation on; no VMM tables, no p2m. */
  pageTableTrees(limit: number): PageTableSet {
    const satp = this.board.hart.readCsr(CSR.satp) ?? 0n;
    if (satp >> 60n !== 8n) return { trees: [], p2m: [], writeProtected: [], note: "satp is Bare: the guest does not translate addresses" };
    const asid = Number((satp >> 44n) & 0xffffn);
    const { root, truncated } = readPageTable((satp & ((1n << 44n) - 1n)) << 12n, "sv39", (a) => this.readPte(a), limit);
    return {
      trees: [{ id: "guest", kind: "guest", label: `guest (satp, ASID ${asid})`, mode: "sv39", input: "va", output: "pa", tableSpace: "pa", root, active: true, truncated }],
      p2m: [],
      writeProtected: [],
    };
  }

  deviceStates(): DeviceState[] {
    return this.board.devices.views();
  }

  private readPte(pa: bigint): bigint | undefined {
    if (pa > BigInt(Number.MAX_SAFE_INTEGER) || !this.board.ram.contains(Number(pa), 8)) return undefined;
    return this.board.ram.view.getBigUint64(Number(pa) - this.board.ram.base, true);
  }

  private physical(space: AddressSpace, addr: bigint, access: "r" | "w"): bigint | undefined {
    if (space === "pa") return addr;
    if (space !== "va") return undefined;
    const t = this.translate(addr, access);
    return t.ok ? t.pa : undefined;
  }
}
