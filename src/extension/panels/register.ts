import * as vscode from "vscode";
import { DevicesView } from "./devices_view";
import { ExitsView } from "./exits_view";
import { HostView } from "./host_view";
import { registerLastWrite } from "./last_write";
import { openMemoryCommand } from "./memory";
import { MemoryPanels } from "./memory_panel";
import { PageTablesPanel } from "./page_tables_panel";
import { SessionWatch } from "./session_watch";
import { TranslationCachePanel } from "./translation_cache_panel";

/**
 * The panels of issue 8: Page Tables (webview panel), Devices (tree) and VM Exits (webview view) in the
 * Run and Debug side bar, Memory (webview panels) and "Open Memory at Address…"; and issue 14's
 * Translation Cache (webview panel) under binary translation, and issue 17's Host (tree). All of them are fed by
 * the adapter's `hyperstep/…` custom requests and refresh on every stop.
 */
export function registerPanels(context: vscode.ExtensionContext): void {
  const watch = new SessionWatch();
  const pageTables = new PageTablesPanel(context.extensionUri, watch);
  const exits = new ExitsView(context.extensionUri, watch);
  const devices = new DevicesView(watch);
  const host = new HostView(watch);
  const memory = new MemoryPanels(context.extensionUri, watch);
  const translationCache = new TranslationCachePanel(context.extensionUri, watch);
  context.subscriptions.push(
    watch, pageTables, exits, devices, host, memory, translationCache,
    // The focused session's technique, for menus that belong to one technique (the Translation Cache).
    vscode.debug.onDidChangeActiveDebugSession((s) => void vscode.commands.executeCommand("setContext", "hyperstep.technique", s?.type === "hyperstep" ? (s.configuration.technique as string | undefined) ?? "native" : undefined)),
    vscode.commands.registerCommand("hyperstep.showTranslationCache", () => translationCache.show()),
    vscode.commands.registerCommand("hyperstep.showPageTables", (address?: unknown) => pageTables.show(typeof address === "string" ? address : undefined)),
    vscode.commands.registerCommand("hyperstep.walkAddress", async () => {
      const address = await vscode.window.showInputBox({ title: "Hyperstep: Walk an Address", prompt: "A guest-virtual address to walk through the page tables", placeHolder: "0x40000000" });
      if (address) pageTables.show(address);
    }),
    vscode.commands.registerCommand("hyperstep.openMemory", (address?: unknown) => openMemoryCommand(watch, memory, typeof address === "string" ? address : undefined)),
    vscode.commands.registerCommand("hyperstep.showMemory", (target?: unknown) => memory.show(memoryTarget(target))),
    ...registerLastWrite(watch),
    vscode.commands.registerCommand("hyperstep.refreshPanels", () => Promise.all([pageTables.refresh(), exits.refresh(), devices.refresh(), host.refresh()])),
    // Not in the palette: what the panels show now, for the real-VS-Code tests and the benchmark.
    vscode.commands.registerCommand("hyperstep.panelState", () => ({
      pageTables: pageTables.lastReport,
      pageTablesOpen: pageTables.isOpen,
      exits: exits.lastReport,
      devices: devices.current,
      devicesExpanded: devices.expanded,
      host: host.current,
      balloon: host.currentBalloon,
      swap: host.currentSwap,
      memory: memory.reports,
      translationCache: translationCache.lastReport,
    })),
  );
}

/** "Show Memory"'s argument: an address box text, or the Variables view's item (its memory reference). */
function memoryTarget(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  const ref = (arg as { variable?: { memoryReference?: unknown } } | undefined)?.variable?.memoryReference;
  return typeof ref === "string" ? ref : undefined;
}
