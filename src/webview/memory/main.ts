import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import { parseHostMessage, type HostMessage, type MemorySummary } from "../model/messages";
import {
  BLOCK_BYTES, ROW_BYTES, addressDigits, blocksFor, decodeBytes, encodeBytes, parseEdit, parseEvaluated, parseTarget, recentre, rowAddress,
  rowCells, spaceId, windowAround, type MemoryWindow, type Space,
} from "../model/memory";
import { renderWindow } from "../model/page_tables";
import { el, hex, host } from "../shared/host";

/**
 * The Memory panel: hex and ASCII rows of one address space, scrolled through a window of the 64-bit
 * space, with only the visible blocks fetched. Its address is an expression the adapter evaluates at
 * every stop (so `sp` follows the stack); bytes that differ from the previous stop are marked; a click
 * on a byte edits it in place and writes through the adapter. All reads and writes go through the
 * extension host, which turns them into DAP readMemory, writeMemory and evaluate requests.
 */

interface UiState {
  space?: string;
  /** The address box as typed: "sp", "gpa:0x80001000". */
  target: string;
}

const ROW_HEIGHT = 20;
/** Rows kept between the first visible row and an end of the window before the window moves. */
const RECENTRE_MARGIN = 2048;

const api = host<UiState>();
const ui: UiState = api.getState() ?? { target: "sp" };

let spaces: Space[] = [];
let heading = "";
let message = "Waiting for a stopped Hyperstep session…";
let win: MemoryWindow = windowAround(0n).window;
let base: bigint | undefined;
let evalError: string | undefined;
let writeError: string | undefined;
/** Blocks read at this stop, and at the previous one (what "changed" compares with). */
let now = new Map<bigint, Int16Array>();
let before = new Map<bigint, Int16Array>();
/** Replies are kept only when they answer a request of the current epoch (one per stop and per change of view). */
let epoch = 0;
let nextId = 1;
let fetched = 0;
const pending = new Map<number, { epoch: number; block?: bigint }>();
let editor: { input: HTMLInputElement; address: bigint } | undefined;

const app = document.getElementById("app")!;
const status = el("div", "status muted");
const header = el("div", "mrow header", el("span", "addr", "address"), el("span", "hex", ...Array.from({ length: ROW_BYTES }, (_, i) => el("span", "b", i.toString(16).padStart(2, "0")))), el("span", "ascii", "ASCII"));
const grid = el("div", "grid");
const spacer = el("div", "spacer");
spacer.style.height = `${win.rows * ROW_HEIGHT}px`;
const scroller = el("div", "scroller", spacer);
scroller.tabIndex = 0;
scroller.setAttribute("role", "grid");
scroller.setAttribute("aria-label", "memory, 16 bytes a row");
const field = document.createElement("vscode-textfield") as HTMLElement & { value: string };
const select = document.createElement("vscode-single-select") as HTMLElement & { value: string };

function save(): void {
  api.setState(ui);
}

function space(): string {
  return ui.space && spaceId(ui.space, spaces) ? spaceId(ui.space, spaces)! : spaces[0]?.id ?? "va";
}

function expression(): string {
  const t = parseTarget(ui.target, spaces);
  return "expression" in t ? t.expression : "";
}

/** Forgets what was read, for a new stop (keeping it as the comparison) or a new space (dropping it too). */
function startOver(kind: "stop" | "change" | "space"): void {
  if (kind === "stop") before = now;
  if (kind === "space") before = new Map();
  now = new Map();
  epoch++;
  pending.clear();
}

function evaluate(): void {
  const expr = expression();
  if (!expr) return;
  const id = nextId++;
  pending.set(id, { epoch });
  api.postMessage({ type: "memoryEvaluate", id, expression: expr });
}

/** Puts `addr` on the first visible row. */
function jumpTo(addr: bigint): void {
  const { window, row } = windowAround(addr);
  win = window;
  scroller.scrollTop = row * ROW_HEIGHT;
}

function visible(): { first: number; count: number } {
  return { first: Math.floor(scroller.scrollTop / ROW_HEIGHT), count: Math.ceil((scroller.clientHeight || 600) / ROW_HEIGHT) };
}

/** Asks for the blocks of the rows in view (and a few around them) that are neither read nor asked for. */
function fetchVisible(): void {
  if (!spaces.length) return;
  const w = renderWindow(win.rows, scroller.scrollTop, scroller.clientHeight || 600, ROW_HEIGHT, 16);
  const asked = new Set([...pending.values()].filter((p) => p.epoch === epoch && p.block !== undefined).map((p) => p.block));
  for (const block of blocksFor(win, w.start, w.end)) {
    if (now.has(block) || asked.has(block)) continue;
    const id = nextId++;
    pending.set(id, { epoch, block });
    api.postMessage({ type: "memoryRead", id, space: space(), address: hex(block), count: BLOCK_BYTES });
  }
}

function rowElement(row: number): HTMLElement {
  const addr = rowAddress(win, row);
  const cells = rowCells(addr, now, before);
  const hexes = el("span", "hex");
  const chars = el("span", "ascii");
  cells.forEach((c, i) => {
    const cls = [c.changed ? "changed" : "", c.unreadable ? "unreadable" : "", base === addr + BigInt(i) ? "base" : ""].join(" ");
    const h = el("span", `b ${cls}`, c.hex);
    const a = el("span", `c ${cls}`, c.ascii);
    h.dataset.off = a.dataset.off = String(i);
    if (c.changed) h.title = a.title = "changed since the last stop";
    // The right-click menu's "Go to Last Write" items (package.json, webview/context) act on this byte.
    if (!c.unreadable) h.dataset.vscodeContext = a.dataset.vscodeContext = JSON.stringify({ webviewSection: "memoryByte", ref: `${space()}:${hex(addr + BigInt(i))}` });
    hexes.append(h);
    chars.append(a);
  });
  const e = el("div", "mrow", el("span", "addr", hex(addr, addressDigits(win))), hexes, chars);
  e.style.top = `${row * ROW_HEIGHT}px`;
  e.dataset.row = String(row);
  e.dataset.addr = hex(addr);
  return e;
}

function draw(): void {
  const w = renderWindow(win.rows, scroller.scrollTop, scroller.clientHeight || 600, ROW_HEIGHT, 4);
  const rows: HTMLElement[] = [];
  for (let r = w.start; r < w.end; r++) rows.push(rowElement(r));
  spacer.replaceChildren(...rows);
  grid.style.setProperty("--address-width", `${addressDigits(win) + 2}ch`);
  const expr = expression();
  const literal = base !== undefined && parseEvaluated(expr) === base;
  const where = base === undefined ? "" : literal ? `${space()} ${hex(base)}` : `${expr} = ${hex(base)} in ${space()} · re-evaluated at every stop`;
  status.textContent = [evalError ?? where, writeError].filter(Boolean).join(" · ");
  status.classList.toggle("error", evalError !== undefined || writeError !== undefined);
  scheduleReport();
}

let scrollPending = false;
scroller.addEventListener("scroll", () => {
  if (scrollPending) return;
  scrollPending = true;
  requestAnimationFrame(() => {
    scrollPending = false;
    const moved = recentre(win, visible().first, RECENTRE_MARGIN);
    if (moved) {
      win = moved.window;
      scroller.scrollTop -= moved.shift * ROW_HEIGHT;
      closeEditor();
    }
    draw();
    fetchVisible();
  });
});

spacer.addEventListener("click", (ev) => {
  const cell = (ev.target as HTMLElement).closest<HTMLElement>(".b, .c");
  const row = cell?.closest<HTMLElement>(".mrow");
  if (!cell || !row || cell.classList.contains("unreadable") || cell.textContent === "") return;
  openEditor(cell, Number(row.dataset.row), Number(cell.dataset.off), cell.classList.contains("b") ? "hex" : "ascii");
});

/** An input over the clicked byte: hex digit pairs in the hex column, text in the ASCII column; Enter writes from that byte on. */
function openEditor(cell: HTMLElement, row: number, off: number, column: "hex" | "ascii"): void {
  closeEditor();
  const input = el("input", `editor ${column}`);
  input.value = column === "hex" ? cell.textContent ?? "" : cell.textContent === "·" ? "" : cell.textContent ?? "";
  input.setAttribute("aria-label", column === "hex" ? "new bytes, in hex" : "new bytes, as text");
  input.placeholder = column === "hex" ? "hex bytes" : "text";
  const box = cell.getBoundingClientRect();
  const outer = scroller.getBoundingClientRect();
  input.style.top = `${row * ROW_HEIGHT}px`;
  input.style.left = `${box.left - outer.left + scroller.scrollLeft}px`;
  const address = rowAddress(win, row) + BigInt(off);
  editor = { input, address };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeEditor();
    if (e.key !== "Enter") return;
    const edit = parseEdit(input.value, column);
    if (!edit.ok) {
      input.classList.add("invalid");
      input.title = edit.message;
      writeError = edit.message;
      draw();
      return;
    }
    const id = nextId++;
    api.postMessage({ type: "memoryWrite", id, space: space(), address: hex(address), data: encodeBytes(edit.bytes) });
    closeEditor();
  });
  input.addEventListener("blur", () => closeEditor());
  spacer.after(input);
  input.focus();
  input.select();
}

function closeEditor(): void {
  const e = editor;
  editor = undefined;
  e?.input.remove();
}

function toolbar(): HTMLElement {
  field.setAttribute("placeholder", "address or expression: sp, a0+16, 0x80001000");
  field.setAttribute("aria-label", "address or expression, re-evaluated at every stop");
  field.value = ui.target;
  const go = () => {
    const t = parseTarget(field.value, spaces);
    ui.target = field.value;
    if ("error" in t) {
      evalError = t.error;
      save();
      return draw();
    }
    if (t.space) ui.space = t.space;
    save();
    showSpaces();
    startOver("change");
    evaluate();
  };
  field.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter") go();
  });
  const button = document.createElement("vscode-button");
  button.textContent = "Go";
  button.addEventListener("click", go);
  select.setAttribute("aria-label", "address space");
  select.addEventListener("change", () => {
    if (!select.value || select.value === space()) return;
    ui.space = select.value;
    save();
    startOver("space");
    draw();
    fetchVisible();
  });
  return el("div", "toolbar", select, field, button);
}

function showSpaces(): void {
  const options = spaces.map((s) => {
    const o = document.createElement("vscode-option") as HTMLElement & { value: string };
    o.value = s.id;
    o.textContent = s.id;
    o.setAttribute("description", s.label);
    if (s.id === space()) o.setAttribute("selected", "");
    return o;
  });
  select.replaceChildren(...options);
  select.value = space();
}

function summary(): MemorySummary {
  const { first, count } = visible();
  const rows: MemorySummary["rows"] = [];
  for (let r = first; r < Math.min(win.rows, first + count); r++) {
    const cells = rowCells(rowAddress(win, r), now, before);
    rows.push({ address: hex(rowAddress(win, r)), bytes: cells.map((c) => c.hex || "  ").join(""), changed: cells.flatMap((c, i) => (c.changed ? [i] : [])) });
  }
  const s: MemorySummary = { space: space(), expression: expression(), spaces: spaces.map((x) => x.id), rows, domRows: spacer.childElementCount, fetched };
  if (base !== undefined) s.address = hex(base);
  if (evalError) s.error = evalError;
  return s;
}

let reportPending = false;
/** Tells the extension what is on screen once it is painted (for tests, and the panel's title). */
function scheduleReport(): void {
  if (reportPending || !spaces.length) return;
  reportPending = true;
  requestAnimationFrame(() => setTimeout(() => {
    reportPending = false;
    api.postMessage({ type: "memoryRendered", summary: summary() });
  }, 0));
}

function layout(): void {
  if (!spaces.length) {
    app.replaceChildren(el("p", "empty", message));
    return;
  }
  app.replaceChildren(el("div", "heading", el("strong", undefined, "Memory"), el("span", "muted", ` ${heading}`)), toolbar(), status, grid);
  grid.replaceChildren(header, scroller);
  showSpaces();
}

function receive(m: HostMessage): void {
  switch (m.type) {
    case "empty":
      spaces = [];
      message = m.message;
      startOver("space");
      return layout();
    case "memorySession": {
      const firstSession = !spaces.length;
      spaces = m.spaces;
      heading = `${m.session} · ${m.technique}`;
      startOver("space");
      if (firstSession) layout();
      else showSpaces();
      evaluate();
      return draw();
    }
    case "memoryShow": {
      ui.target = m.target;
      field.value = m.target;
      const t = parseTarget(m.target, spaces);
      if ("space" in t && t.space) ui.space = t.space;
      save();
      showSpaces();
      startOver("change");
      evaluate();
      return draw();
    }
    case "memoryStopped":
    case "memoryInvalidated":
      startOver(m.type === "memoryStopped" ? "stop" : "change");
      writeError = undefined;
      evaluate();
      draw();
      return fetchVisible();
    case "memoryValue": {
      if (pending.get(m.id)?.epoch !== epoch) return;
      pending.delete(m.id);
      const addr = m.address === undefined ? undefined : parseEvaluated(m.address);
      evalError = addr === undefined ? `${expression()}: ${m.error ?? "not an address"}` : undefined;
      if (addr !== undefined && addr !== base) {
        base = addr;
        jumpTo(addr);
      }
      draw();
      return fetchVisible();
    }
    case "memoryData": {
      const p = pending.get(m.id);
      pending.delete(m.id);
      const bytes = decodeBytes(m.bytes);
      if (p?.epoch !== epoch || p.block === undefined || bytes?.length !== BLOCK_BYTES) return;
      now.set(p.block, bytes);
      fetched += bytes.length;
      return draw();
    }
    case "memoryWritten":
      writeError = m.error ? `not written: ${m.error}` : undefined;
      return draw();
    default:
      return;
  }
}

window.addEventListener("message", (event) => {
  const m = parseHostMessage(event.data);
  if (m) receive(m);
});

layout();
api.postMessage({ type: "ready" });
