import type { AddressSpacesBody, ExitsBody, PageTablesBody, TranslationCacheBody, WalkBody, WireTable, WireTcRow } from "../../debug/custom_requests";

/**
 * The messages between the extension and its webviews, and their checks. Each side checks every
 * message it receives before using it (a webview is a web page: treat what it sends as untrusted, and
 * what it receives as possibly from an older or newer extension after a reload).
 */

/** What a webview reports after drawing, for tests and the benchmark. */
export interface RenderSummary {
  /**
   * Rows in the DOM / rows the scrolled list holds, per column, and the rows drawn first, top down:
   * each an entry's key, or "" where the column has a gap on a line another column fills; under
   * paravirtualization (`pseudo`), the same rows' pseudo-physical frames and pinned marks. The VM
   * Exits view's rows are each exit drawn: its row's text, a newline, and its tooltip.
   */
  columns: { id: string; label: string; domRows: number; listRows: number; entries: number; rows: string[]; pseudo?: string[] }[];
  /** What the panel says above its lists (heading, legend), a line each, and the explanations its tooltips give. */
  header: string[];
  hints: string[];
  /** The adapter's comparison marks on the shown trees, counted (zero without a shadow). */
  diff: { missing: number; stale: number; permissions: number; device: number };
  /** The walk shown, if any: one line per step. */
  walk: string[];
}

/** What the Memory panel reports after drawing, for tests. */
export interface MemorySummary {
  space: string;
  expression: string;
  /** The expression's value at this stop ("0x…"), or why there is none. */
  address?: string;
  error?: string;
  /** The spaces the session offers. */
  spaces: string[];
  /** The rows on screen, top first: their 16 bytes as the wire has them ("??" unreadable, "  " not fetched yet) and the offsets marked changed since the last stop. */
  rows: { address: string; bytes: string; changed: number[] }[];
  /** Rows in the DOM, and bytes fetched since the panel opened. */
  domRows: number;
  fetched: number;
}

export type HostMessage =
  | { type: "pageTables"; seq: number; session: string; body: PageTablesBody }
  /** `ended`: the session is over; this is its log as its guest ended (no time travel, no source to reveal). */
  | { type: "exits"; seq: number; session: string; ended?: boolean; body: ExitsBody }
  | { type: "translationCache"; seq: number; session: string; body: TranslationCacheBody }
  | { type: "unchanged"; seq: number }
  | { type: "empty"; seq: number; message: string }
  /** Show the walk of this address (the webview then asks for it). */
  | { type: "walk"; address: string }
  /** The answer to the webview's walk request `id`: the adapter's walk, or why there is none. */
  | { type: "walked"; id: number; body?: WalkBody; error?: string }
  /** The focused session's spaces: the Memory panel starts over. */
  | { type: "memorySession"; session: string; technique: string; spaces: AddressSpacesBody["spaces"] }
  /** A new stop: evaluate the address again, read again, and compare with the stop before. */
  | { type: "memoryStopped" }
  /** Memory changed while stopped (a write): read again, comparing still with the last stop. */
  | { type: "memoryInvalidated" }
  /** Show this address box text ("sp", "gpa:0x80001000"). */
  | { type: "memoryShow"; target: string }
  | { type: "memoryData"; id: number; bytes: string }
  | { type: "memoryValue"; id: number; address?: string; error?: string }
  | { type: "memoryWritten"; id: number; error?: string };

export type WalkAccess = "r" | "w" | "x";
export type WalkSpaceName = "va" | "gva" | "gpa";

export type ViewMessage =
  | { type: "ready" }
  /** Walk `address` (an expression) for `access` in `space` (`hyperstep/walk`); answered by `walked` with `id`. */
  | { type: "walk"; id: number; address: string; access: WalkAccess; space: WalkSpaceName }
  | { type: "rendered"; seq: number; ms: number; summary: RenderSummary }
  | { type: "openMemory"; memoryReference: string }
  | { type: "filter"; reasons: string[] }
  | { type: "reveal"; pc: string }
  | { type: "goto"; seq: number }
  | { type: "memoryRead"; id: number; space: string; address: string; count: number }
  | { type: "memoryEvaluate"; id: number; expression: string }
  | { type: "memoryWrite"; id: number; space: string; address: string; data: string }
  | { type: "memoryRendered"; summary: MemorySummary };

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
const isStr = (x: unknown): x is string => typeof x === "string";
const isHex = (x: unknown): x is string => typeof x === "string" && /^0x[0-9a-f]{1,16}$/i.test(x);
const isBool = (x: unknown): x is boolean => typeof x === "boolean";
const isArrayOf = <T>(x: unknown, f: (y: unknown) => y is T): x is T[] => Array.isArray(x) && x.every(f);

/** A memory reference the adapter accepts: an address space and a hex address. */
export const MEMORY_REFERENCE = /^(va|pa|gva|gpa|hpa):0x[0-9a-f]{1,16}$/i;
const isSpace = (x: unknown): x is string => typeof x === "string" && /^(va|pa|gva|gpa|hpa)$/.test(x);
/** The most the Memory panel reads or writes in one message (a read is a few blocks, a write one edit). */
export const MEMORY_MAX_READ = 1 << 16;
const MEMORY_MAX_WRITE = 256;
const isOptStr = (x: unknown): boolean => x === undefined || (typeof x === "string" && x.length < 1000);

function isTable(x: unknown, depth = 0): x is WireTable {
  if (!isObj(x) || !isHex(x.addr) || !Array.isArray(x.entries) || depth > 2) return false;
  return x.entries.every((e) => Array.isArray(e) && (e.length === 2 || e.length === 3) && isInt(e[0]) && e[0] >= 0 && e[0] < 2048 && isHex(e[1])
    && (e.length === 2 || (isInt(e[2]) ? e[2] >= 2 && e[0] + e[2] <= 2048 : isTable(e[2], depth + 1))));
}

const MARK_STATUSES = ["missing", "shadowed", "device", "same", "stale", "permissions"];

function isMarks(x: unknown): x is PageTablesBody["marks"] {
  return isObj(x) && Object.values(x).every((list) => isArrayOf(list, (m): m is PageTablesBody["marks"][string][number] =>
    Array.isArray(m) && m.length === 3 && isHex(m[0]) && MARK_STATUSES.includes(m[1] as string) && isStr(m[2])));
}

function isDirectPaging(x: unknown): x is PageTablesBody["directPaging"] {
  return x === undefined || (isObj(x)
    && isArrayOf(x.m2p, (r): r is NonNullable<PageTablesBody["directPaging"]>["m2p"][number] => isObj(r) && isHex(r.hpa) && isHex(r.gpa) && isHex(r.pfn) && isHex(r.size))
    && isArrayOf(x.pinned, (t): t is [string, number] => Array.isArray(t) && t.length === 2 && isHex(t[0]) && isInt(t[1]) && t[1] >= -1 && t[1] <= 2));
}

export function isPageTablesBody(x: unknown): x is PageTablesBody {
  return isObj(x) && isStr(x.technique) && isStr(x.version) && (x.note === undefined || isStr(x.note)) && isDirectPaging(x.directPaging)
    && isMarks(x.marks) && isArrayOf(x.writeProtected, isHex)
    && isArrayOf(x.p2m, (r): r is PageTablesBody["p2m"][number] => isObj(r) && isHex(r.gpa) && isHex(r.hpa) && isHex(r.size))
    && isArrayOf(x.trees, (t): t is PageTablesBody["trees"][number] => isObj(t) && isStr(t.id) && ["guest", "shadow", "gstage"].includes(t.kind as string)
      && isStr(t.label) && (t.mode === "sv39" || t.mode === "sv39x4") && isStr(t.input) && isStr(t.output) && isStr(t.tableSpace)
      && isBool(t.active) && isBool(t.truncated) && isTable(t.root));
}

export function isExitsBody(x: unknown): x is ExitsBody {
  return isObj(x) && isStr(x.technique) && isBool(x.available) && (x.message === undefined || isStr(x.message))
    && isInt(x.total) && isInt(x.dropped) && isInt(x.instret) && isInt(x.priv)
    && isArrayOf(x.exits, (e): e is ExitsBody["exits"][number] => isObj(e) && isInt(e.seq) && isInt(e.vcpu) && isHex(e.pc) && isInt(e.priv)
      && isInt(e.instret) && isStr(e.reason) && isStr(e.action) && isInt(e.cycles) && isObj(e.details) && (e.mnemonic === undefined || isStr(e.mnemonic)))
    && isArrayOf(x.reasons, (r): r is ExitsBody["reasons"][number] => isObj(r) && isStr(r.id) && isStr(r.label) && isStr(r.description) && isInt(r.count) && isInt(r.cycles))
    && isObj(x.timeline) && isInt(x.timeline.from) && isInt(x.timeline.to) && isArrayOf(x.timeline.counts, isInt);
}

const TC_STATS = ["relocations", "blocks", "bytesUsed", "bytes", "translated", "flushes", "invalidated", "evicted", "fenced", "refenced", "protectedPages", "directPages", "chains", "lookups", "hits", "inlineCsr"];
const isNullableHex = (x: unknown): boolean => x === null || isHex(x);

function isTcRow(r: unknown): r is WireTcRow {
  return isObj(r) && isHex(r.guestPc) && (r.guest === null || isStr(r.guest)) && isHex(r.tcVa) && isStr(r.tc) && isStr(r.how) && isStr(r.why) && isNullableHex(r.chainedTo) && (r.runs === null || isInt(r.runs));
}

export function isTranslationCacheBody(x: unknown): x is TranslationCacheBody {
  return isObj(x) && isStr(x.technique) && isBool(x.available) && isOptStr(x.message) && isInt(x.more)
    && (x.stats === undefined || (isObj(x.stats) && isHex(x.stats.va) && TC_STATS.every((k) => isInt((x.stats as Obj)[k]))))
    && isArrayOf(x.blocks, (b): b is TranslationCacheBody["blocks"][number] => isObj(b) && isHex(b.guestPc) && isOptStr(b.symbol) && isStr(b.context) && isInt(b.runs) && isArrayOf(b.rows, isTcRow));
}

const isRef = (x: unknown): x is string => isStr(x) && MEMORY_REFERENCE.test(x);
const WALK_KINDS = ["translated", "fault", "hidden-fault", "stale", "device", "exit"];

function isWalkStep(s: unknown): s is WalkBody["walks"][number]["steps"][number] {
  return isObj(s) && ["s", "vs", "g", "guest"].includes(s.stage as string) && isInt(s.level) && isInt(s.index)
    && (s.tree === undefined || isStr(s.tree)) && isRef(s.pteAddr) && (s.hpa === undefined || isRef(s.hpa)) && isHex(s.pte)
    && (s.ref === undefined || isInt(s.ref)) && (s.begins === undefined || (isObj(s.begins) && isHex(s.begins.gpa) && isStr(s.begins.purpose)))
    && isArrayOf(s.notes, isStr);
}

export function isWalkBody(x: unknown): x is WalkBody {
  return isObj(x) && isStr(x.technique) && isHex(x.address) && ["r", "w", "x"].includes(x.access as string) && isStr(x.title)
    && (x.note === undefined || isStr(x.note)) && isInt(x.references)
    && isObj(x.result) && WALK_KINDS.includes(x.result.kind as string) && isStr(x.result.text) && (x.result.memoryReference === undefined || isRef(x.result.memoryReference))
    && isArrayOf(x.walks, (w): w is WalkBody["walks"][number] => isObj(w) && (w.by === "hart" || w.by === "guest") && isStr(w.title) && isBool(w.ok) && isStr(w.end)
      && isArrayOf(w.steps, isWalkStep));
}

/** A message from the extension, checked; undefined when malformed. */
export function parseHostMessage(x: unknown): HostMessage | undefined {
  if (!isObj(x)) return undefined;
  switch (x.type) {
    case "pageTables":
      return isInt(x.seq) && isStr(x.session) && isPageTablesBody(x.body) ? (x as HostMessage) : undefined;
    case "exits":
      return isInt(x.seq) && isStr(x.session) && (x.ended === undefined || isBool(x.ended)) && isExitsBody(x.body) ? (x as HostMessage) : undefined;
    case "translationCache":
      return isInt(x.seq) && isStr(x.session) && isTranslationCacheBody(x.body) ? (x as HostMessage) : undefined;
    case "unchanged":
      return isInt(x.seq) ? { type: "unchanged", seq: x.seq } : undefined;
    case "empty":
      return isInt(x.seq) && isStr(x.message) ? { type: "empty", seq: x.seq, message: x.message } : undefined;
    case "walk":
      return isStr(x.address) && x.address.length < 100 ? { type: "walk", address: x.address } : undefined;
    case "memorySession":
      return isStr(x.session) && isStr(x.technique)
        && isArrayOf(x.spaces, (s): s is AddressSpacesBody["spaces"][number] => isObj(s) && isSpace(s.id) && isStr(s.label) && (s.alias === undefined || isSpace(s.alias)))
        ? { type: "memorySession", session: x.session, technique: x.technique, spaces: x.spaces } : undefined;
    case "memoryStopped":
      return { type: "memoryStopped" };
    case "memoryInvalidated":
      return { type: "memoryInvalidated" };
    case "memoryShow":
      return isStr(x.target) && x.target.length < 200 ? { type: "memoryShow", target: x.target } : undefined;
    case "memoryData":
      return isInt(x.id) && isStr(x.bytes) && x.bytes.length <= 2 * MEMORY_MAX_READ && /^(?:[0-9a-f]{2}|\?\?)*$/i.test(x.bytes) ? { type: "memoryData", id: x.id, bytes: x.bytes } : undefined;
    case "memoryValue":
      return isInt(x.id) && (x.address === undefined || isHex(x.address)) && isOptStr(x.error) ? (x as HostMessage) : undefined;
    case "memoryWritten":
      return isInt(x.id) && isOptStr(x.error) ? (x as HostMessage) : undefined;
    case "walked":
      return isInt(x.id) && (x.body === undefined ? isStr(x.error) : isWalkBody(x.body)) ? (x as HostMessage) : undefined;
    default:
      return undefined;
  }
}

function isSummary(x: unknown): x is RenderSummary {
  return isObj(x)
    && isArrayOf(x.columns, (c): c is RenderSummary["columns"][number] => isObj(c) && isStr(c.id) && isStr(c.label) && isInt(c.domRows) && isInt(c.listRows) && isInt(c.entries) && isArrayOf(c.rows, isStr))
    && isArrayOf(x.header, isStr) && isArrayOf(x.hints, isStr)
    && isObj(x.diff) && isInt(x.diff.missing) && isInt(x.diff.stale) && isInt(x.diff.permissions) && isInt(x.diff.device)
    && isArrayOf(x.walk, isStr);
}

function isMemorySummary(x: unknown): x is MemorySummary {
  return isObj(x) && isStr(x.space) && isStr(x.expression) && (x.address === undefined || isHex(x.address)) && isOptStr(x.error)
    && isArrayOf(x.spaces, isSpace) && isInt(x.domRows) && isInt(x.fetched)
    && isArrayOf(x.rows, (r): r is MemorySummary["rows"][number] => isObj(r) && isHex(r.address) && isStr(r.bytes) && /^(?:[0-9a-f]{2}|\?\?| {2}){0,16}$/i.test(r.bytes)
      && isArrayOf(r.changed, (o): o is number => isInt(o) && o >= 0 && o < 16));
}

/** A message from a webview, checked; undefined when malformed or asking for something not allowed. */
export function parseViewMessage(x: unknown): ViewMessage | undefined {
  if (!isObj(x)) return undefined;
  switch (x.type) {
    case "ready":
      return { type: "ready" };
    case "rendered":
      return isInt(x.seq) && typeof x.ms === "number" && Number.isFinite(x.ms) && isSummary(x.summary) ? { type: "rendered", seq: x.seq, ms: x.ms, summary: x.summary } : undefined;
    case "walk":
      return isInt(x.id) && isStr(x.address) && x.address.length < 100 && ["r", "w", "x"].includes(x.access as string) && ["va", "gva", "gpa"].includes(x.space as string)
        ? { type: "walk", id: x.id, address: x.address, access: x.access as WalkAccess, space: x.space as WalkSpaceName } : undefined;
    case "openMemory":
      return isStr(x.memoryReference) && MEMORY_REFERENCE.test(x.memoryReference) ? { type: "openMemory", memoryReference: x.memoryReference } : undefined;
    case "filter":
      return isArrayOf(x.reasons, isStr) && x.reasons.length <= 64 && x.reasons.every((r) => /^[a-z0-9-]{1,40}$/.test(r)) ? { type: "filter", reasons: x.reasons } : undefined;
    case "reveal":
      return isHex(x.pc) ? { type: "reveal", pc: x.pc } : undefined;
    case "goto":
      return isInt(x.seq) && x.seq > 0 ? { type: "goto", seq: x.seq } : undefined;
    case "memoryRead":
      return isInt(x.id) && isSpace(x.space) && isHex(x.address) && isInt(x.count) && x.count > 0 && x.count <= MEMORY_MAX_READ
        ? { type: "memoryRead", id: x.id, space: x.space, address: x.address, count: x.count } : undefined;
    case "memoryEvaluate":
      return isInt(x.id) && isStr(x.expression) && x.expression.length > 0 && x.expression.length < 200 ? { type: "memoryEvaluate", id: x.id, expression: x.expression } : undefined;
    case "memoryWrite":
      return isInt(x.id) && isSpace(x.space) && isHex(x.address) && isStr(x.data) && x.data.length > 0 && x.data.length <= 2 * MEMORY_MAX_WRITE && /^(?:[0-9a-f]{2})+$/i.test(x.data)
        ? { type: "memoryWrite", id: x.id, space: x.space, address: x.address, data: x.data } : undefined;
    case "memoryRendered":
      return isMemorySummary(x.summary) ? { type: "memoryRendered", summary: x.summary } : undefined;
    default:
      return undefined;
  }
}
