import * as vscode from "vscode";
import { HyperstepConfigurationProvider } from "./debug_configuration";
import { InlineAdapterFactory } from "./adapter_factory";
import { registerLanguage } from "./language";
import { registerPanels } from "./panels/register";
import { registerLaunchProblems } from "./launch_problems";
import { registerLessons } from "./lessons_commands";
import { registerStatusBar } from "./status_bar";
import { registerUartTerminals } from "./uart_terminal";

export function activate(context: vscode.ExtensionContext): void {
  const provider = new HyperstepConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider),
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory("hyperstep", new InlineAdapterFactory()),
  );
  registerLaunchProblems(context);
  registerUartTerminals(context);
  registerStatusBar(context);
  registerLanguage(context);
  registerPanels(context);
  registerLessons(context);
}

export function deactivate(): void {}
