import type { DebugProtocol } from "@vscode/debugprotocol";
import * as vscode from "vscode";
import { isResumeRequest, isStopped, launchSucceeded } from "./adapter_messages";
import { runningStatus, stoppedStatus, type StatusText } from "./status_text";

/**
 * A status bar item while a hyperstep session is active: the technique, and at each stop the
 * privilege mode, the instructions retired, the VM exits and how far back time travel reaches,
 * read with `evaluate` requests (`$priv`, `$instret`, and `$virt` where the hart has the H
 * extension), `hyperstep/exits` and `hyperstep/history` that any DAP client could send.
 */
export function registerStatusBar(context: vscode.ExtensionContext): void {
  const item = vscode.window.createStatusBarItem("hyperstep.session", vscode.StatusBarAlignment.Left, 50);
  item.name = "Hyperstep session";
  /** Counts updates, so the answer to an older stop never overwrites a newer state. */
  let generation = 0;
  /** The session the item describes. */
  let shownFor: string | undefined;

  const show = (session: vscode.DebugSession, s: StatusText) => {
    shownFor = session.id;
    item.text = s.text;
    item.tooltip = s.tooltip;
    item.show();
  };
  const techniqueOf = (session: vscode.DebugSession) => {
    // Several VMs may each have a technique of their own: the item says how many VMs there are.
    const vms: unknown = session.configuration.vms;
    if (Array.isArray(vms)) return `${vms.length} VMs`;
    const t: unknown = session.configuration.technique;
    return typeof t === "string" ? t : "native";
  };
  const refresh = async (session: vscode.DebugSession) => {
    const mine = ++generation;
    const evaluate = async (expression: string) => {
      const r = (await session.customRequest("evaluate", { expression, context: "watch", format: { hex: false } })) as DebugProtocol.EvaluateResponse["body"];
      return r.result;
    };
    try {
      // The exit log's total is what the VM Exits view counts; native answers that it has no VMM.
      const exitCount = async () => {
        const r = (await session.customRequest("hyperstep/exits", { count: 0 })) as { available?: boolean; total?: number };
        return r.available && typeof r.total === "number" ? r.total : undefined;
      };
      // Only a hart with the H extension has $virt (VS/VU-mode); without it the evaluation fails.
      const virt = evaluate("$virt").catch(() => undefined);
      const history = async () => {
        const r = (await session.customRequest("hyperstep/history", {})) as { enabled: boolean; oldest: number; position: number; newest: number };
        return r.enabled ? r : undefined;
      };
      const [priv, instret, exits, v, h] = await Promise.all([evaluate("$priv"), evaluate("$instret"), exitCount(), virt, history()]);
      if (mine === generation) show(session, stoppedStatus({ technique: techniqueOf(session), priv, virt: v, instret, exits, history: h }));
    } catch {
      // The guest ran on or the session ended before the answer: the next event updates the item.
    }
  };

  context.subscriptions.push(
    item,
    vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
      createDebugAdapterTracker: (session) => ({
        onWillReceiveMessage: (m: DebugProtocol.ProtocolMessage) => {
          if (isResumeRequest(m)) {
            generation++;
            show(session, runningStatus(techniqueOf(session)));
          }
        },
        onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
          if (isStopped(m)) void refresh(session);
          else if (launchSucceeded(m)) show(session, runningStatus(techniqueOf(session)));
        },
      }),
    }),
    vscode.debug.onDidTerminateDebugSession((session) => {
      if (session.id !== shownFor) return;
      generation++;
      shownFor = undefined;
      item.hide();
    }),
  );
}
