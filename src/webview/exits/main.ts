import "@vscode-elements/elements/dist/vscode-button/index.js";
import type { ExitsBody } from "../../debug/custom_requests";
import { parseHostMessage, type RenderSummary } from "../model/messages";
import { grouped, reasonRows, timelineBars } from "../model/exits";
import { renderWindow } from "../model/page_tables";
import { el, host } from "../shared/host";

/**
 * The VM Exits view: per-reason counts and modelled cycles (click a reason to filter), a timeline of
 * exits against retired instructions, and the log newest first (drawn only where visible). Clicking an
 * exit asks the extension to reveal its guest pc.
 */

interface UiState {
  reasons: string[];
}

const ROW_HEIGHT = 20;
const TIMELINE_HEIGHT = 40;
const api = host<UiState>();
const ui: UiState = api.getState() ?? { reasons: [] };
const app = document.getElementById("app")!;
let body: ExitsBody | undefined;
/** The session that `body` came from has ended: its exits stay to read, but nothing can travel or reveal. */
let ended: string | undefined;
let message = "Waiting for a stopped Hyperstep session…";
let list: HTMLDivElement | undefined;

function toggle(reason: string): void {
  ui.reasons = ui.reasons.includes(reason) ? ui.reasons.filter((r) => r !== reason) : [...ui.reasons, reason];
  api.setState(ui);
  api.postMessage({ type: "filter", reasons: ui.reasons });
}

function reasonsTable(b: ExitsBody): HTMLElement {
  const rows = reasonRows(b).filter((r) => r.count > 0 || ui.reasons.includes(r.id));
  const table = el("table", undefined, el("tr", undefined, el("th", undefined, "reason"), el("th", "num", "exits"), el("th", "num", "cycles"), el("th", undefined, "share")));
  for (const r of rows) {
    const bar = el("span", "share");
    bar.style.width = `${Math.round(r.share * 60)}px`;
    const tr = el("tr", `reason${ui.reasons.includes(r.id) ? " selected" : ""}`, el("td", undefined, r.label), el("td", "num", grouped(r.count)), el("td", "num", grouped(r.cycles)), el("td", undefined, bar));
    tr.title = `${r.id}: ${r.description}\nClick to show only these exits (click more reasons to add them).`;
    tr.addEventListener("click", () => toggle(r.id));
    table.append(tr);
  }
  return table;
}

function timeline(b: ExitsBody): HTMLElement[] {
  const bars = timelineBars(b.timeline.counts, TIMELINE_HEIGHT).map((h, i) => {
    const bar = el("div", "bar");
    bar.style.height = `${h}px`;
    const width = (b.timeline.to - b.timeline.from) / b.timeline.counts.length;
    bar.title = `${b.timeline.counts[i]} exits between instructions ${grouped(Math.round(b.timeline.from + i * width))} and ${grouped(Math.round(b.timeline.from + (i + 1) * width))}`;
    return bar;
  });
  return [el("div", "timeline", ...bars), el("div", "axis", el("span", undefined, "0"), el("span", undefined, "instructions retired"), el("span", undefined, grouped(b.timeline.to)))];
}

function drawList(): void {
  if (!list || !body) return;
  const w = renderWindow(body.exits.length, list.scrollTop, list.clientHeight || 300, ROW_HEIGHT);
  const rows: HTMLElement[] = [];
  for (let i = w.start; i < w.end; i++) {
    const e = body.exits[i];
    const goto = el("span", "goto", ended ? "" : "⟲");
    if (!ended) {
      goto.title = `Travel back to just before exit #${e.seq} (time travel)`;
      goto.addEventListener("click", (ev) => {
        ev.stopPropagation();
        api.postMessage({ type: "goto", seq: e.seq });
      });
    }
    const row = el("div", "exit", goto, el("span", "seq", `#${e.seq}`), el("span", "reason", e.reason), el("span", "pc", e.pc), el("span", "cycles", `${e.cycles}c`), el("span", "action", `${e.mnemonic ? `${e.mnemonic}: ` : ""}${e.action}`));
    row.style.top = `${i * ROW_HEIGHT}px`;
    const hint = ended ? "The session has ended: start it again to travel to this exit." : "Click to show the guest pc; ⟲ travels back to just before the exit.";
    row.title = [`exit #${e.seq} on vCPU ${e.vcpu} after ${grouped(e.instret)} instructions, ${"USXM"[e.priv] ?? "?"}-mode`, ...Object.entries(e.details).map(([k, v]) => `${k}: ${v}`), hint].join("\n");
    if (!ended) row.addEventListener("click", () => api.postMessage({ type: "reveal", pc: e.pc }));
    rows.push(row);
  }
  list.firstElementChild?.replaceChildren(...rows);
}

function render(): void {
  if (!body) {
    list = undefined;
    app.replaceChildren(el("p", "empty", message));
    return;
  }
  if (!body.available) {
    list = undefined;
    app.replaceChildren(el("p", "empty", body.message ?? "This technique has no exits."));
    return;
  }
  const total = body.reasons.reduce((s, r) => s + r.count, 0);
  const cycles = body.reasons.reduce((s, r) => s + r.cycles, 0);
  const spacer = el("div");
  spacer.style.position = "relative";
  spacer.style.height = `${body.exits.length * ROW_HEIGHT}px`;
  list = el("div", "list", spacer);
  list.addEventListener("scroll", () => requestAnimationFrame(drawList));
  const filtered = ui.reasons.length ? ` · showing ${ui.reasons.join(", ")} (${grouped(body.total)})` : "";
  const clear = ui.reasons.length ? document.createElement("vscode-button") : undefined;
  if (clear) {
    clear.textContent = "Show all reasons";
    clear.setAttribute("secondary", "");
    clear.addEventListener("click", () => {
      ui.reasons = [];
      api.setState(ui);
      api.postMessage({ type: "filter", reasons: [] });
    });
  }
  app.replaceChildren(
    summaryLine(total, cycles, filtered),
    ...timeline(body), reasonsTable(body), ...(clear ? [clear] : []), list);
  drawList();
}

/**
 * "20 exits · 31,605 cycles in the VMM · 104 instructions · 31,709 modelled cycles (×304.9 native)":
 * the same totals as the console's `stats` (cost_model.ts: one cycle per instruction plus each exit's).
 */
function summaryLine(total: number, cycles: number, filtered: string): HTMLElement {
  const b = body!;
  const modelled = b.instret + cycles;
  const slowdown = b.instret > 0 ? ` (×${(modelled / b.instret).toFixed(1)} native)` : "";
  const line = el("div", "summary", ...(ended ? [el("span", "muted", `${ended} has ended · `)] : []), el("strong", undefined, `${grouped(total)} exit${total === 1 ? "" : "s"}`),
    el("span", "muted", ` · ${grouped(cycles)} cycles in the VMM · ${grouped(b.instret)} instructions · ${grouped(modelled)} modelled cycles${slowdown}${filtered}${b.dropped ? ` · ${grouped(b.dropped)} oldest dropped` : ""}`));
  line.title = "Modelled cycles: one per guest instruction plus each exit's cost from the cost model (the Debug Console's `stats` shows the same totals).";
  return line;
}

function summary(): RenderSummary {
  return {
    columns: [{
      id: "exits", label: body?.available ? (ended ? `exits of ${ended}, which has ended` : "exits") : (body?.message ?? message),
      domRows: list?.firstElementChild?.childElementCount ?? 0, listRows: body?.exits.length ?? 0, entries: body?.total ?? 0,
      // Each exit drawn: what its row says, then its tooltip (the exit's details).
      rows: Array.from(list?.firstElementChild?.children ?? []).slice(0, 40).map((r) => `${r.textContent}\n${(r as HTMLElement).title}`),
    }],
    header: [],
    hints: [],
    diff: { missing: 0, stale: 0, permissions: 0, device: 0 },
    walk: [],
  };
}

window.addEventListener("message", (event) => {
  const m = parseHostMessage(event.data);
  if (!m || (m.type !== "exits" && m.type !== "empty")) return;
  const t0 = performance.now();
  if (m.type === "exits") {
    body = m.body;
    ended = m.ended ? m.session : undefined;
  } else {
    body = undefined;
    message = m.message;
  }
  render();
  const seq = m.seq;
  requestAnimationFrame(() => setTimeout(() => api.postMessage({ type: "rendered", seq, ms: performance.now() - t0, summary: summary() }), 0));
});

render();
if (ui.reasons.length) api.postMessage({ type: "filter", reasons: ui.reasons });
api.postMessage({ type: "ready" });
