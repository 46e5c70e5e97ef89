import type { ViewMessage } from "../model/messages";

interface VsCodeApi<S> {
  postMessage(message: ViewMessage): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

/** The webview's link to the extension: checked messages out, UI state kept across hide and reload. */
export function host<S>(): VsCodeApi<S> {
  return acquireVsCodeApi<S>();
}

/** An element with a class and children; text is always set as text, never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

export function hex(v: bigint, digits = 0): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(digits, "0")}`;
}
