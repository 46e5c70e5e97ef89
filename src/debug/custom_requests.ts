import { NO_VMM } from "./vmm";
import { OWNER_TEXT } from "../target/host_map";
import { pageRuns } from "../target/balloon";
import type { DeviceNode, ExitLogSnapshot, ExitRecordView, PtTable } from "../target/inspect";
import type { AddressSpace, AddressWalk, MmuAccess, Target, WalkResultKind, WalkSpace } from "../target/target";
import type { ShadowMarkStatus } from "../target/vmm_view";
import { evaluate, ExprError, type ExprEnv } from "./expressions";
import { field, hex, intArg } from "./request_fields";
import { translationCacheBody } from "./tc_request";
export type { TranslationCacheBody, WireTcBlock, WireTcRow } from "./tc_request";

/**
 * The custom requests that feed the panels (DESIGN.md: panels never reach into the adapter). Any DAP
 * client can send them. 64-bit values travel as "0x…" strings, since JSON numbers lose precision
 * above 2^53. The shapes below are the contract: the VMM's target fills the same `TargetInspection`
 * (src/hypervisor/inspect.ts), and these functions turn it into the bodies.
 */
export const PAGE_TABLES_REQUEST = "hyperstep/pageTables";
export const DEVICES_REQUEST = "hyperstep/devices";
export const EXITS_REQUEST = "hyperstep/exits";
export const ADDRESS_SPACES_REQUEST = "hyperstep/addressSpaces";
export const WALK_REQUEST = "hyperstep/walk";
export const HISTORY_REQUEST = "hyperstep/history";
export const TRANSLATION_CACHE_REQUEST = "hyperstep/translationCache";
export const HOST_REQUEST = "hyperstep/host";
export const PANEL_REQUESTS: readonly string[] = [PAGE_TABLES_REQUEST, DEVICES_REQUEST, EXITS_REQUEST, ADDRESS_SPACES_REQUEST, WALK_REQUEST, HISTORY_REQUEST, TRANSLATION_CACHE_REQUEST, HOST_REQUEST];

/**
 * [index, pte], [index, pte, next-level table] for a valid pointer, or [index, pte, run]: `run`
 * (≥ 2) leaves at index, index+1, … whose PTEs step by one page (PPN + 1, same flags), the shape of a
 * linear mapping, sent as one entry so a 64 MiB table of 4 KiB pages stays small.
 */
export type WireEntry = [number, string] | [number, string, WireTable | number];
export interface WireTable {
  addr: string;
  entries: WireEntry[];
}

export interface WireTree {
  id: string;
  kind: "guest" | "shadow" | "gstage";
  label: string;
  mode: "sv39" | "sv39x4";
  input: string;
  output: string;
  tableSpace: string;
  active: boolean;
  truncated: boolean;
  root: WireTable;
}

/** [va of the leaf's first byte, status, what it means]: how a leaf compares (vmm_view.ts's ShadowMark). */
export type WireMark = [string, ShadowMarkStatus, string];

/**
 * `hyperstep/pageTables` { maxEntries?: number (1..262144, default 65536), unlessVersion?: string }.
 * Every answer carries `version`, a digest of its content; when the caller's `unlessVersion` still
 * matches, the answer is only { technique, version, unchanged: true } (a step rarely changes a table,
 * and a 64 MiB table is some 300 KB of JSON). Under a VMM, `marks` (by tree id) say how the guest's
 * leaves and the shadow entries compare, from what the VMM knows of each.
 */
export interface PageTablesBody {
  technique: string;
  version: string;
  trees: WireTree[];
  p2m: { gpa: string; hpa: string; size: string }[];
  writeProtected: string[];
  marks: Record<string, WireMark[]>;
  note?: string;
  /**
   * Under paravirtualization (direct paging: the guest's tables hold machine frames): the
   * machine-to-phys table, machine ranges to pseudo-physical frames (and their guest-physical
   * addresses), and the frames pinned as page tables, [machine address, level] (−1: a spare frame).
   */
  directPaging?: { m2p: { hpa: string; gpa: string; pfn: string; size: string }[]; pinned: [string, number][] };
}

/** One PTE of a walk; addresses are memory references in their address space ("gpa:0x80001008"). */
export interface WireWalkStep {
  stage: "s" | "vs" | "g" | "guest";
  level: number;
  index: number;
  /** The tree (of hyperstep/pageTables) that holds the PTE, when one does. */
  tree?: string;
  pteAddr: string;
  /** Where a guest PTE lies in host memory. */
  hpa?: string;
  pte: string;
  /** The hart's memory reference number. */
  ref?: number;
  /** The first PTE of a G-stage walk: the GPA it translates, and what for. */
  begins?: { gpa: string; purpose: string };
  notes: string[];
}

export interface WireWalk {
  /** "hart": the walk the hardware makes; "guest": what the guest's table says (the VMM's walk). */
  by: "hart" | "guest";
  title: string;
  ok: boolean;
  end: string;
  steps: WireWalkStep[];
}

/**
 * `hyperstep/walk` { address: string (an expression) | number, access?: "r" | "w" | "x" (default "r"),
 * space?: "va" (default: as the hart translates it now) | "gva" (a guest access, two stages) | "gpa"
 * (the G stage alone) }: the walks the hardware would make now, computed by the target, and what the
 * access comes to (`result`): natively the hart's own walk; under trap-and-emulate the guest's walk
 * and the shadow walk the hart makes, with a result that says what the hart would do (an address, a
 * stale entry, a hidden page fault, an emulated device, another exit); under hardware assistance the
 * two-stage walk, up to 15 PTE reads.
 */
export interface WalkBody {
  technique: string;
  address: string;
  access: MmuAccess;
  space: WalkSpace;
  title: string;
  note?: string;
  walks: WireWalk[];
  /** The PTEs the hart reads. */
  references: number;
  result: { kind: WalkResultKind; text: string; memoryReference?: string };
}

/** A device's line on the wire: an address it is about becomes a memory reference the Memory panel opens ("gpa:0x80001000"). */
export interface WireDeviceNode {
  label: string;
  value?: string;
  tooltip?: string;
  memoryReference?: string;
  children?: WireDeviceNode[];
}

export interface WireDevice {
  id: string;
  label: string;
  base: string;
  nodes: WireDeviceNode[];
}

/** `hyperstep/devices` {} */
export interface DevicesBody {
  technique: string;
  devices: WireDevice[];
}

/** A run of host frames with one owner (target/host_map.ts). */
export interface WireHostRun {
  hpa: string;
  frames: number;
  owner: string;
  /** The owner in words. */
  label: string;
  /** The guest-physical pages behind it: the first of a guest run, every one on a shared frame. */
  gpas: string[];
  /** With several VMs: the VM of a guest run or pool, or of each of `gpas` on a shared frame. */
  vms?: string[];
}

/** The VMM's swap area (hypervisor swapping): its size, what it holds, and the guest pages swapped out. */
export interface WireSwap {
  usedBytes: number;
  sizeBytes: number;
  swapped: string[];
}

/** The guest pages in the balloon (target/balloon.ts), as runs of consecutive pages. */
export interface WireBalloon {
  targetPages: number;
  actual: number;
  pages: number;
  runs: { gpa: string; pages: number }[];
  /** Host frames the VMM took back from inflated pages; absent natively. */
  framesFreed?: number;
}

/**
 * `hyperstep/host` {}: the host's RAM by owner (no runs without a VMM), the balloon when the board
 * has one, and the swap area when the VMM swaps.
 */
export interface HostBody {
  technique: string;
  runs: WireHostRun[];
  balloon?: WireBalloon;
  swap?: WireSwap;
}

export interface WireExit {
  seq: number;
  vcpu: number;
  pc: string;
  priv: number;
  instret: number;
  reason: string;
  mnemonic?: string;
  action: string;
  cycles: number;
  /** The record's details, bigints as "0x…". */
  details: Record<string, string | number | boolean>;
}

/** `hyperstep/exits` { reasons?: string[], start?: number, count?: number (0..1000, default 200), bins?: number (1..1000, default 120) } */
export interface ExitsBody {
  technique: string;
  /** False when the technique has no VMM (native): everything else is empty. */
  available: boolean;
  message?: string;
  /** Matching records, newest first, from `start`. */
  exits: WireExit[];
  /** Matching records the log holds. */
  total: number;
  dropped: number;
  /** Every reason of the technique with its count and modelled cycles since the start (unfiltered). */
  reasons: { id: string; label: string; description: string; count: number; cycles: number }[];
  /** Guest instructions retired now, and the guest's (virtual) privilege: 0 U, 1 S, 3 M. */
  instret: number;
  priv: number;
  /** Matching exits counted in `counts.length` equal slices of [0, instret]. */
  timeline: { from: number; to: number; counts: number[] };
}

/**
 * `hyperstep/addressSpaces` {}: the spaces a memory view offers, in the technique's own words. Under
 * a VMM `va` and `pa` are other names of `gva` and `gpa` (memory_refs.ts); they are given as aliases,
 * so a reference such as a register's `va:0x…` opens in the right space.
 */
export interface AddressSpacesBody {
  technique: string;
  spaces: { id: AddressSpace; label: string; alias?: AddressSpace }[];
}

export interface PageTablesUnchanged {
  technique: string;
  version: string;
  unchanged: true;
}

export function pageTablesBody(target: Target, args: unknown): PageTablesBody | PageTablesUnchanged {
  const maxEntries = intArg(args, "maxEntries", 1, 1 << 18, 1 << 16);
  const unlessVersion = field(args, "unlessVersion");
  if (unlessVersion !== undefined && typeof unlessVersion !== "string") throw new ExprError("'unlessVersion' must be a string");
  const body = pageTables(target, maxEntries);
  body.version = digest(JSON.stringify(body));
  return body.version === unlessVersion ? { technique: body.technique, version: body.version, unchanged: true } : body;
}

function pageTables(target: Target, maxEntries: number): PageTablesBody {
  const set = target.pageTableTrees?.(maxEntries);
  if (!set) return { technique: target.technique, version: "", trees: [], p2m: [], writeProtected: [], marks: {}, note: `the ${target.technique} technique provides no page tables` };
  const marks: Record<string, WireMark[]> = {};
  for (const m of target.vmm?.shadowMarks(set.trees) ?? []) (marks[m.tree] ??= []).push([hex(m.va), m.status, m.note]);
  const body: PageTablesBody = {
    technique: target.technique,
    version: "",
    trees: set.trees.map((t) => ({
      id: t.id, kind: t.kind, label: t.label, mode: t.mode, input: t.input, output: t.output, tableSpace: t.tableSpace,
      active: t.active, truncated: t.truncated, root: wireTable(t.root),
    })),
    p2m: set.p2m.map((r) => ({ gpa: hex(r.gpa), hpa: hex(r.hpa), size: hex(r.size) })),
    writeProtected: set.writeProtected.map(hex),
    marks,
  };
  if (set.note) body.note = set.note;
  if (set.directPaging) {
    body.directPaging = {
      m2p: set.directPaging.m2p.map((r) => ({ hpa: hex(r.hpa), gpa: hex(r.gpa), pfn: hex(r.pfn), size: hex(r.size) })),
      pinned: set.directPaging.pinned.map((t) => [hex(t.hpa), t.level]),
    };
  }
  return body;
}

const ACCESSES: readonly string[] = ["r", "w", "x"];
const SPACES: readonly string[] = ["va", "gva", "gpa"];

export function walkBody(target: Target, args: unknown, env: () => ExprEnv): WalkBody {
  const address = field(args, "address");
  const access = field(args, "access") ?? "r";
  const space = field(args, "space") ?? "va";
  if (typeof access !== "string" || !ACCESSES.includes(access)) throw new ExprError(`'access' must be "r", "w" or "x", not ${JSON.stringify(access)}`);
  if (typeof space !== "string" || !SPACES.includes(space)) throw new ExprError(`'space' must be "va", "gva" or "gpa", not ${JSON.stringify(space)}`);
  let addr: bigint;
  if (typeof address === "number" && Number.isSafeInteger(address) && address >= 0) addr = BigInt(address);
  else if (typeof address === "string" && address.trim() !== "") addr = evaluate(address, env());
  else throw new ExprError("'address' must be an expression (a string) or a non-negative integer");
  const w = target.walkAddress?.(addr, access as MmuAccess, space as WalkSpace) ?? `the ${target.technique} technique cannot walk addresses`;
  if (typeof w === "string") throw new ExprError(w);
  return wireWalk(target.technique, space as WalkSpace, w);
}

function wireWalk(technique: string, space: WalkSpace, w: AddressWalk): WalkBody {
  const body: WalkBody = {
    technique, address: hex(w.va), access: w.access, space, title: w.title,
    walks: w.parts.map((p) => ({
      by: p.by, title: p.title, ok: p.ok, end: p.end,
      steps: p.steps.map((s) => {
        const step: WireWalkStep = { stage: s.stage, level: s.level, index: s.index, pteAddr: `${s.space}:${hex(s.pteAddr)}`, pte: hex(s.pte), notes: s.notes };
        if (s.tree !== undefined) step.tree = s.tree;
        if (s.hpa !== undefined) step.hpa = `hpa:${hex(s.hpa)}`;
        if (s.ref !== undefined) step.ref = s.ref;
        if (s.begins) step.begins = { gpa: hex(s.begins.gpa), purpose: s.begins.purpose };
        return step;
      }),
    })),
    references: w.references,
    result: { kind: w.result.kind, text: w.result.text },
  };
  if (w.note) body.note = w.note;
  if (w.result.addr !== undefined && w.result.space) body.result.memoryReference = `${w.result.space}:${hex(w.result.addr)}`;
  return body;
}

/** The body of one of the PANEL_REQUESTS; `env` evaluates the expressions a request may carry. */
export function panelBody(command: string, target: Target, args: unknown, env: () => ExprEnv): object {
  switch (command) {
    case PAGE_TABLES_REQUEST: return pageTablesBody(target, args);
    case DEVICES_REQUEST: return devicesBody(target);
    case WALK_REQUEST: return walkBody(target, args, env);
    case ADDRESS_SPACES_REQUEST: return addressSpacesBody(target);
    case HISTORY_REQUEST: return historyBody(target);
    case TRANSLATION_CACHE_REQUEST: return translationCacheBody(target, args, env);
    case HOST_REQUEST: return hostBody(target);
    default: return exitsBody(target, args);
  }
}

export function hostBody(target: Target): HostBody {
  const runs = target.vmm?.hostMap() ?? [];
  const b = target.balloon?.status();
  const swap = target.vmm?.hostMemory().swap;
  return {
    technique: target.technique,
    runs: runs.map((r) => ({ hpa: hex(BigInt(r.hpa)), frames: r.frames, owner: r.owner, label: OWNER_TEXT[r.owner], gpas: r.gpas.map((g) => hex(BigInt(g))), ...(r.vms ? { vms: r.vms } : {}) })),
    ...(b ? { balloon: {
      targetPages: b.targetPages, actual: b.actual, pages: b.pages.length,
      runs: pageRuns(b.pages).map(([gpa, pages]) => ({ gpa: hex(BigInt(gpa)), pages })),
      ...(b.vmm ? { framesFreed: b.vmm.framesFreed } : {}),
    } } : {}),
    ...(swap ? { swap: { usedBytes: swap.usedBytes, sizeBytes: swap.sizeBytes, swapped: swap.swapped.map((g) => hex(BigInt(g))) } } : {}),
  };
}

export function devicesBody(target: Target): DevicesBody {
  // Devices address the guest's physical memory: "gpa" under a VMM, "pa" on the bare board.
  const space = target.addressSpaces.includes("gpa") ? "gpa" : "pa";
  const wire = ({ address, children, ...rest }: DeviceNode): WireDeviceNode => ({
    ...rest,
    ...(address === undefined ? {} : { memoryReference: `${space}:${hex(BigInt(address))}` }),
    ...(children ? { children: children.map(wire) } : {}),
  });
  return {
    technique: target.technique,
    devices: (target.deviceStates?.() ?? []).map((d) => ({ id: d.id, label: d.label, base: hex(d.base), nodes: d.nodes.map(wire) })),
  };
}

export function exitsBody(target: Target, args: unknown): ExitsBody {
  const reasons = stringsArg(args, "reasons");
  const start = intArg(args, "start", 0, Number.MAX_SAFE_INTEGER, 0);
  const count = intArg(args, "count", 0, 1000, 200);
  const bins = intArg(args, "bins", 1, 1000, 120);
  const instret = Number(target.instret);
  const log = target.exitLog?.();
  if (!log) {
    return { technique: target.technique, available: false, message: NO_VMM, exits: [], total: 0, dropped: 0, reasons: [], instret, priv: target.priv, timeline: { from: 0, to: instret, counts: new Array(bins).fill(0) } };
  }
  const wanted = reasons.length ? new Set(reasons) : undefined;
  const matching = wanted ? log.records.filter((r) => wanted.has(r.reason)) : log.records;
  const exits: WireExit[] = [];
  for (let i = matching.length - 1 - start; i >= 0 && exits.length < count; i--) exits.push(wireExit(matching[i]));
  return {
    technique: target.technique,
    available: true,
    exits,
    total: matching.length,
    dropped: log.dropped,
    reasons: reasonTotals(log),
    instret,
    priv: target.priv,
    timeline: { from: 0, to: instret, counts: timeline(matching, instret, bins) },
  };
}

/**
 * The `hyperstep/ended` event, sent once as a session's guest ends: the exit log as it was then, so
 * the VM Exits view can keep showing the run after the adapter is gone. `body` is unfiltered (the
 * newest ENDED_EXITS exits); `timelines` holds each reason's timeline, so the view can still filter
 * by reason exactly.
 */
export const ENDED_EVENT = "hyperstep/ended";
const ENDED_EXITS = 1000;
export interface EndedBody {
  body: ExitsBody;
  timelines: Record<string, number[]>;
}

export function endedBody(target: Target): EndedBody | undefined {
  const log = target.exitLog?.();
  if (!log) return undefined;
  const body = exitsBody(target, { count: ENDED_EXITS });
  const bins = body.timeline.counts.length;
  const timelines: Record<string, number[]> = {};
  for (const r of body.reasons) {
    if (r.count > 0) timelines[r.id] = timeline(log.records.filter((x) => x.reason === r.id), body.instret, bins);
  }
  return { body, timelines };
}

const SPACE_LABELS: Record<AddressSpace, string> = {
  va: "virtual (what the guest's code sees)",
  pa: "physical",
  gva: "guest-virtual (what the guest's code sees)",
  gpa: "guest-physical",
  hpa: "host-physical (the machine's RAM)",
};

/**
 * `hyperstep/history` {}: how far back the guest can travel. Positions count steps (instructions
 * and trap entries); `position < newest` means the guest is in its past.
 */
export type HistoryBody = ReturnType<Target["history"]["stats"]>;

export function historyBody(target: Target): HistoryBody {
  return target.history.stats();
}

export function addressSpacesBody(target: Target): AddressSpacesBody {
  const has = (s: AddressSpace) => target.addressSpaces.includes(s);
  const aliases: Partial<Record<AddressSpace, AddressSpace>> = has("gva") && has("gpa") ? { gva: "va", gpa: "pa" } : {};
  const shadowed = new Set(Object.values(aliases));
  return {
    technique: target.technique,
    spaces: target.addressSpaces.filter((s) => !shadowed.has(s)).map((id) => {
      const alias = aliases[id];
      return alias ? { id, label: SPACE_LABELS[id], alias } : { id, label: SPACE_LABELS[id] };
    }),
  };
}

/** How many records fall into each of `bins` equal slices of [0, end] of retired instructions. */
export function timeline(records: readonly { instret: bigint }[], end: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = Math.max(1, end) / bins;
  for (const r of records) counts[Math.min(bins - 1, Math.max(0, Math.floor(Number(r.instret) / width)))]++;
  return counts;
}

function reasonTotals(log: ExitLogSnapshot): ExitsBody["reasons"] {
  const stats = new Map(log.stats.map((s) => [s.reason, s]));
  return log.reasons.map((r) => ({ id: r.id, label: r.label, description: r.description, count: stats.get(r.id)?.count ?? 0, cycles: stats.get(r.id)?.cycles ?? 0 }));
}

function wireExit(r: ExitRecordView): WireExit {
  const details: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(r.details)) {
    if (typeof v === "bigint") details[k] = hex(v);
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") details[k] = v;
  }
  const out: WireExit = { seq: r.seq, vcpu: r.vcpu, pc: hex(r.pc), priv: r.priv, instret: Number(r.instret), reason: r.reason, action: r.action, cycles: r.cycles, details };
  if (r.instruction) out.mnemonic = r.instruction.mnemonic;
  return out;
}

const PPN_STEP = 1n << 10n;

function wireTable(t: PtTable): WireTable {
  const entries: WireEntry[] = [];
  const list = t.entries;
  for (let i = 0; i < list.length; ) {
    const e = list[i];
    if (e.next) {
      entries.push([e.index, hex(e.pte), wireTable(e.next)]);
      i++;
      continue;
    }
    let run = 1;
    while (i + run < list.length && !list[i + run].next && list[i + run].index === e.index + run && list[i + run].pte === e.pte + BigInt(run) * PPN_STEP) run++;
    entries.push(run > 1 ? [e.index, hex(e.pte), run] : [e.index, hex(e.pte)]);
    i += run;
  }
  return { addr: hex(t.addr), entries };
}

/** FNV-1a over the text, 32 bits, as 8 hex digits: enough to tell one stop's tables from the next. */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function stringsArg(args: unknown, name: string): string[] {
  const v = field(args, name);
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new ExprError(`'${name}' must be an array of reason ids`);
  return v;
}
