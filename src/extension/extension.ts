import * as vscode from "vscode";
import { HyperstepConfigurationProvider } from "./debug_configuration";
import { InlineAdapterFactory } from "./adapter_factory";

export function activate(context: vscode.ExtensionContext): void {
  const provider = new HyperstepConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider),
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory("hyperstep", new InlineAdapterFactory()),
  );
}

export function deactivate(): void {}
