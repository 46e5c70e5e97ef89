import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

/** Where the webview bundles live (scripts/build.mjs writes them). */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, "dist", "webview");
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)] };
}

/**
 * The page of a webview: one bundled script and its stylesheet from dist/webview, under a strict
 * Content-Security-Policy. Nothing remote; scripts run only with this page's nonce. Styles come from the
 * extension's stylesheet and the constructed sheets the web components adopt (which CSP does not govern).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, title: string): string {
  const nonce = randomBytes(16).toString("base64");
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), file)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset(`${name}.css`)}">
<title>${title}</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${nonce}" src="${asset(`${name}.js`)}"></script>
</body>
</html>`;
}

/**
 * Gives a webview panel (new, or restored after a reload) its page, and wires it: messages to
 * `receive`, `visible` each time it comes into sight, `disposed` once when it closes.
 */
export function wirePanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, page: { name: string; title: string },
  on: { receive(m: unknown): void; visible(): void; disposed(): void }): void {
  panel.webview.options = webviewOptions(extensionUri);
  panel.webview.html = webviewHtml(panel.webview, extensionUri, page.name, page.title);
  const disposables = [
    panel.webview.onDidReceiveMessage((m) => on.receive(m)),
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.visible) on.visible();
    }),
    panel.onDidDispose(() => {
      disposables.forEach((d) => d.dispose());
      on.disposed();
    }),
  ];
}
