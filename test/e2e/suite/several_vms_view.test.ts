import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { WireHostRun } from "../../../src/debug/custom_requests";
import { screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { showHostView } from "./side_bar";
import { nextEvent, until } from "./wait";

describe("several VMs in VS Code (the two-vms lesson)", () => {
  let session: vscode.DebugSession;
  // Each VM has written its own state: the rest of its image is still shared with the other VM.
  const breakpoint = new vscode.FunctionBreakpoint("done");

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "two-vms");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "two-vms", program: path.join(lesson, "two_vms.S"), cwd: lesson,
      technique: "trap-and-emulate", memory: "1M", hostMemory: "16736K", pageSharing: { scanPagesPerTick: 64 },
      vms: [{ name: "alpha" }, { name: "beta", technique: "hardware-assisted" }],
    }, [breakpoint], "a stop at done");
  });

  after(() => endSession(session, [breakpoint]));

  it("lists a thread per VM's vCPU, and the Host view shows frames that pages of both VMs share", async () => {
    const threads = (await session.customRequest("threads")) as { threads: { id: number; name: string }[] };
    assert.deepEqual(threads.threads.map((t) => t.name), ["alpha · vCPU 0", "beta · vCPU 0"]);
    await showHostView();
    const host = await until("the Host view's runs", async () => {
      const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as { host: WireHostRun[] };
      return s.host.length > 0 ? s.host : undefined;
    });
    const both = host.filter((r) => r.owner === "shared" && r.vms?.includes("alpha") && r.vms.includes("beta"));
    assert.ok(both.length >= 20, `${both.length} frames shared by pages of both VMs`);
    assert.ok(host.some((r) => r.owner === "shadow-pool" && r.vms?.[0] === "beta"), "each VM's pool is named for it");
    const stats = (await session.customRequest("evaluate", { expression: "stats", context: "repl" })).result as string;
    assert.match(stats, /^alpha +\d+ +\d+ +\d+ +[1-9]/m, "alpha has left the host hart");
    await screenshot("several-vms-host");
  });

  it("the walkthrough's link starts the lesson stopped at its entry, on alpha's thread", async () => {
    await endSession(session, [breakpoint]);
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, 20_000, "the lesson to stop on entry");
    await vscode.commands.executeCommand("hyperstep.startLesson", "two-vms (trap-and-emulate)");
    session = (await stopped)!.session;
    const threads = (await session.customRequest("threads")) as { threads: { id: number; name: string }[] };
    assert.deepEqual(threads.threads.map((t) => t.name), ["alpha · vCPU 0", "beta · vCPU 0"]);
    const top = (await session.customRequest("stackTrace", { threadId: 1 })) as { stackFrames: { name: string; line: number }[] };
    assert.equal(top.stackFrames[0].name, "_start");
  });
});
