import type { TranslationCacheBody } from "../../debug/custom_requests";
import { parseHostMessage, type RenderSummary } from "../model/messages";
import { blockRows, LINE_RUNS_TITLE, RUNS_TITLE, selectedBlock, statItems, translationLines } from "../model/translation_cache";
import { el, host } from "../shared/host";

/**
 * The Translation Cache panel: the TC's statistics, its blocks (most recently used first, each with
 * how many times it ran), and the
 * chosen block's guest instructions beside their translation, each rewritten word marked and saying
 * why in words. A guest pc is a link: the extension reveals it in the source or the Disassembly view.
 * The chosen block survives hiding and reloads through setState.
 */

interface UiState {
  selected?: string;
}

const api = host<UiState>();
const ui: UiState = api.getState() ?? {};
const app = document.getElementById("app")!;
let body: TranslationCacheBody | undefined;
let sessionName = "";
let message = "Waiting for a stopped Hyperstep session…";
/** The sequence number of the data on screen: redraws report under it. */
let shownSeq = -1;

function pcLink(pc: string): HTMLElement {
  const a = el("a", "pc", pc);
  a.tabIndex = 0;
  a.title = "Show this guest pc in the source (or the Disassembly view)";
  const reveal = (ev: Event) => {
    ev.stopPropagation();
    api.postMessage({ type: "reveal", pc });
  };
  a.addEventListener("click", reveal);
  a.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") reveal(ev);
  });
  return a;
}

function statsBar(b: TranslationCacheBody): HTMLElement {
  return el("div", "stats", ...statItems(b.stats!).map((s) => {
    const item = el("div", "stat", el("span", "value", s.value), el("span", "label muted", s.label));
    item.title = s.title;
    return item;
  }));
}

function blockList(b: TranslationCacheBody, selected: string | undefined): HTMLElement {
  const head = el("tr", undefined, ...["guest pc", "symbol", "length", "rewritten", "runs", "chained to"].map((h) => el("th", ["length", "rewritten", "runs"].includes(h) ? "num" : undefined, h)));
  head.children[4].setAttribute("title", RUNS_TITLE);
  const table = el("table", "blocks", head);
  for (const r of blockRows(b)) {
    const tr = el("tr", `block${r.guestPc === selected ? " selected" : ""}`,
      el("td", undefined, pcLink(r.guestPc)), el("td", undefined, r.symbol ?? ""), el("td", "num", String(r.length)), el("td", "num", String(r.rewritten)),
      el("td", "num", String(r.runs)), el("td", "chains", r.chainedTo.length ? r.chainedTo.join(", ") : "—"));
    tr.title = "Click to show this block beside its translation";
    tr.addEventListener("click", () => {
      ui.selected = r.guestPc;
      api.setState(ui);
      draw();
    });
    table.append(tr);
  }
  return el("div", "list", table);
}

function translation(b: TranslationCacheBody, selected: string | undefined): HTMLElement[] {
  const block = selectedBlock(b.blocks, selected);
  if (!block) return [];
  const runs = el("th", "num", "runs");
  runs.title = LINE_RUNS_TITLE;
  const head = el("tr", undefined, el("th", undefined, "guest pc"), el("th", undefined, "guest instruction"), el("th", undefined, "TC address"), runs, el("th", "tc", "TC instruction, and why it was rewritten"));
  const table = el("table", "translation", head);
  for (const l of translationLines(block, b.blocks)) {
    // The reason sits under the TC instruction, so that it wraps within a narrow panel instead of being cut off.
    const tc = el("td", "tc", el("span", "code", l.tc), ...(l.rewritten ? [el("div", "why", `rewritten — ${l.why}`)] : []));
    table.append(el("tr", l.rewritten ? "rewritten" : undefined,
      el("td", "code", l.guestPc ? pcLink(l.guestPc) : ""), el("td", "code", l.guest || "(no guest instruction)"),
      el("td", "code muted", l.tcVa), el("td", "num", l.runs), tc));
  }
  const title = el("h3", undefined, `Block ${block.guestPc}${block.symbol ? ` (${block.symbol})` : ""}: guest code beside its translation`);
  title.title = `Translated in shadow context ${block.context}`;
  // In a panel narrower than the table, the table scrolls sideways in its own box.
  return [title, el("div", "scroll", table)];
}

function draw(): void {
  if (!body) return app.replaceChildren(el("p", "empty", message));
  if (!body.available) {
    return app.replaceChildren(el("p", "empty", `${body.message ?? `the ${body.technique} technique has no translation cache`}: the translation cache exists under binary-translation only.`));
  }
  const selected = selectedBlock(body.blocks, ui.selected)?.guestPc;
  app.replaceChildren(
    el("div", "summary", el("strong", undefined, "Translation cache"), el("span", "muted", ` of ${sessionName} at ${body.stats!.va}`)),
    statsBar(body),
    body.blocks.length ? blockList(body, selected) : el("p", "empty", "No block translated yet: run the guest in S-mode to fill the cache."),
    ...(body.more ? [el("p", "muted", `${body.more} less recently used blocks not listed.`)] : []),
    ...translation(body, selected),
  );
}

/** What is on screen, for tests: the figures, the blocks listed, and the chosen block's lines. */
function summary(): RenderSummary {
  const rowsOf = (selector: string) => Array.from(app.querySelectorAll(selector)).map((tr) => Array.from(tr.children).map((td) => td.textContent).join(" | "));
  const blockRowsShown = rowsOf("table.blocks tr.block");
  const lines = rowsOf("table.translation tr:not(:first-child)");
  return {
    columns: [
      { id: "blocks", label: "blocks", domRows: blockRowsShown.length, listRows: blockRowsShown.length, entries: body?.stats?.blocks ?? 0, rows: blockRowsShown },
      { id: "translation", label: app.querySelector("h3")?.textContent ?? "", domRows: lines.length, listRows: lines.length, entries: lines.length, rows: lines },
    ],
    header: Array.from(app.querySelectorAll(".summary, .stat, p")).map((e) => e.textContent ?? ""),
    hints: Array.from(app.querySelectorAll(".stat")).map((e) => (e as HTMLElement).title),
    diff: { missing: 0, stale: 0, permissions: 0, device: 0 },
    walk: [],
  };
}

function report(seq: number, t0: number): void {
  requestAnimationFrame(() => setTimeout(() => api.postMessage({ type: "rendered", seq, ms: performance.now() - t0, summary: summary() }), 0));
}

window.addEventListener("message", (event) => {
  const m = parseHostMessage(event.data);
  if (!m || (m.type !== "translationCache" && m.type !== "empty")) return;
  const t0 = performance.now();
  if (m.type === "translationCache") {
    body = m.body;
    sessionName = m.session;
  } else {
    body = undefined;
    message = m.message;
  }
  shownSeq = m.seq;
  draw();
  report(m.seq, t0);
});

// A block chosen by a click reports again under the data's sequence number.
app.addEventListener("click", () => report(shownSeq, performance.now()));

draw();
api.postMessage({ type: "ready" });
