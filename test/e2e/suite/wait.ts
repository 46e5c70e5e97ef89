import type * as vscode from "vscode";

/** Settles with `promise`, or rejects naming `what` after `ms`: a missing event fails, never hangs. */
export function within<T>(ms: number, promise: Thenable<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error: unknown) => { clearTimeout(timer); reject(error); },
    );
  });
}

/** The next value of `event` that passes `test`. Subscribe before causing the event. */
export function nextEvent<T>(event: vscode.Event<T>, test: (value: T) => boolean, ms: number, what: string): Promise<T> {
  let subscription: vscode.Disposable | undefined;
  const seen = new Promise<T>((resolve) => {
    subscription = event((value) => {
      if (test(value)) resolve(value);
    });
  });
  const result = within(ms, seen, what);
  void result.finally(() => subscription?.dispose()).catch(() => {});
  return result;
}

/** Polls `probe` until it returns something; fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
