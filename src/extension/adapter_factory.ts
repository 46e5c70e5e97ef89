import * as vscode from "vscode";
import { HyperstepSession } from "../debug/session";
import { serveReadOnly } from "../gdb/server";

/** Runs the debug adapter inside the extension host: no process to spawn, and nothing to install. */
export class InlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new HyperstepSession(serveReadOnly));
  }
}
