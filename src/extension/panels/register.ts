import * as vscode from "vscode";
import { DevicesView } from "./devices_view";
import { ExitsView } from "./exits_view";
import { openMemoryCommand } from "./memory";
import { PageTablesPanel } from "./page_tables_panel";
import { SessionWatch } from "./session_watch";

/**
 * The panels of issue 8: Page Tables (webview panel), Devices (tree) and VM Exits (webview view) in the
 * Run and Debug side bar, and "Open Memory at Address…". All of them are fed by
 * the adapter's `hyperstep/…` custom requests and refresh on every stop.
 */
export function registerPanels(context: vscode.ExtensionContext): void {
  const watch = new SessionWatch();
  const pageTables = new PageTablesPanel(context.extensionUri, watch);
  const exits = new ExitsView(context.extensionUri, watch);
  const devices = new DevicesView(watch);
  context.subscriptions.push(
    watch, pageTables, exits, devices,
    vscode.commands.registerCommand("hyperstep.showPageTables", (address?: unknown) => pageTables.show(typeof address === "string" ? address : undefined)),
    vscode.commands.registerCommand("hyperstep.walkAddress", async () => {
      const address = await vscode.window.showInputBox({ title: "Hyperstep: Walk an Address", prompt: "A guest-virtual address to walk through the page tables", placeHolder: "0x40000000" });
      if (address) pageTables.show(address);
    }),
    vscode.commands.registerCommand("hyperstep.openMemory", (address?: unknown) => openMemoryCommand(watch, typeof address === "string" ? address : undefined)),
    vscode.commands.registerCommand("hyperstep.refreshPanels", () => Promise.all([pageTables.refresh(), exits.refresh(), devices.refresh()])),
    // Not in the palette: what the panels show now, for the real-VS-Code tests and the benchmark.
    vscode.commands.registerCommand("hyperstep.panelState", () => ({
      pageTables: pageTables.lastReport,
      pageTablesOpen: pageTables.isOpen,
      exits: exits.lastReport,
      devices: devices.current,
    })),
  );
}
