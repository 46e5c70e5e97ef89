/**
 * Runs the editor's assemblies in a worker thread (assembler_worker.ts), so that no source, however
 * hostile, blocks the extension host. One long-lived worker, started on the first request, does one
 * assembly at a time:
 *  - a newer request for the same document supersedes the older one: a queued one is dropped, a
 *    running one is stopped by terminating the worker, which the next request starts afresh;
 *  - an assembly still running after the time limit is stopped the same way, and answered with one
 *    problem saying that the file took too long;
 *  - other documents' requests wait in the queue meanwhile, and are answered by the next worker.
 *
 * The assembler stops itself at EDITOR_TIME_LIMIT_MS and marks the line it reached; the time limit
 * here is the backstop for work its budget does not see (reading a huge included file, one enormous
 * line), so it is longer.
 */
import { Worker } from "node:worker_threads";
import { EDITOR_TIME_LIMIT_MS, problemRange, type EditorAssembly } from "./diagnostics";

/** How long one assembly may take in the worker before the worker is stopped. */
export const WORKER_TIME_LIMIT_MS = 2 * EDITOR_TIME_LIMIT_MS;

export interface AssemblyLimits {
  /** When the assembler stops itself, at the line it reached. */
  assemblerMs: number;
  /** When the worker is stopped, wherever it is. */
  workerMs: number;
}

export interface AssemblyRequest {
  /** The document's path and its (maybe unsaved) text. */
  fileName: string;
  text: string;
  /** The text of other files open with unsaved changes, by path: an include reads these before the disk. */
  unsaved: Map<string, string>;
}

/** What goes to the worker, and what comes back: the `ready` message once it has loaded, then one answer per request. */
export type WorkerRequest = AssemblyRequest & { id: number; timeLimitMs: number };
export type WorkerAnswer = { ready: true } | { id: number; assembly: EditorAssembly };

interface Job {
  id: number;
  key: string;
  request: AssemblyRequest;
  /** Undefined: superseded by a newer request for the same document, or cancelled. */
  resolve(assembly: EditorAssembly | undefined): void;
}

export class AssemblerClient {
  private worker: Worker | undefined;
  private ready = false;
  private readonly queue = new Map<string, Job>();
  private running: Job | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private nextId = 0;

  /** `workerFile`: the worker's bundled script, dist/assembler_worker.js (a worker thread loads JavaScript only). */
  constructor(
    private readonly workerFile: string | URL,
    private readonly limits: AssemblyLimits = { assemblerMs: EDITOR_TIME_LIMIT_MS, workerMs: WORKER_TIME_LIMIT_MS },
  ) {}

  /** Assembles a document, identified by `key`; undefined once a newer request for `key` or cancel(key) came. */
  assemble(key: string, request: AssemblyRequest): Promise<EditorAssembly | undefined> {
    this.cancel(key);
    return new Promise((resolve) => {
      this.queue.set(key, { id: this.nextId++, key, request, resolve });
      this.pump();
    });
  }

  /** Drops the document's pending assembly, stopping it if it is running (the document was closed). */
  cancel(key: string): void {
    this.queue.get(key)?.resolve(undefined);
    this.queue.delete(key);
    if (this.running?.key === key) this.finish(undefined, true);
  }

  dispose(): void {
    for (const key of [...this.queue.keys()]) this.cancel(key);
    if (this.running) this.cancel(this.running.key);
    this.stopWorker();
  }

  /** Starts the next queued job when the worker is free. */
  private pump(): void {
    if (this.running) return;
    const [job] = this.queue.values();
    if (!job) return;
    this.queue.delete(job.key);
    this.running = job;
    const worker = this.worker ?? this.startWorker();
    worker.postMessage({ id: job.id, timeLimitMs: this.limits.assemblerMs, ...job.request } satisfies WorkerRequest);
    if (this.ready) this.armWatchdog();
  }

  private startWorker(): Worker {
    const worker = new Worker(this.workerFile);
    // An idle worker must not keep the process alive (the tests' runner).
    worker.unref();
    worker.on("message", (answer: WorkerAnswer) => {
      if ("ready" in answer) {
        this.ready = true;
        if (this.running) this.armWatchdog();
      } else if (answer.id === this.running?.id) {
        this.finish(answer.assembly, false);
      }
    });
    const died = (why: string) => {
      this.stopWorker();
      if (this.running) this.finish(unchecked(this.running.request, why), false);
    };
    worker.on("error", (e) => died(`the assembler failed: ${e.message}`));
    worker.on("exit", (code) => died(`the assembler's worker thread exited with code ${code}`));
    this.worker = worker;
    this.ready = false;
    return worker;
  }

  /** The clock of the running job starts once the worker has loaded: a cold start is not the file's fault. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const job = this.running;
      if (job) this.finish(tooLong(job.request, this.limits.workerMs), true);
    }, this.limits.workerMs);
  }

  /** Ends the running job with `assembly`; `stop`: the worker is still busy with it, so it is terminated. */
  private finish(assembly: EditorAssembly | undefined, stop: boolean): void {
    clearTimeout(this.watchdog);
    const job = this.running!;
    this.running = undefined;
    if (stop) this.stopWorker();
    job.resolve(assembly);
    this.pump();
  }

  private stopWorker(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.ready = false;
    // What it says from now on is about a job already answered, but an 'error' without a listener would throw.
    worker.removeAllListeners();
    worker.on("error", () => {});
    void worker.terminate();
  }
}

/** The answer for a file whose assembly did not end in time: one problem on its first word. */
function tooLong(request: AssemblyRequest, ms: number): EditorAssembly {
  return unchecked(request, `assembling this file took more than ${ms / 1000} s, so it was stopped and not checked; 'hyperstep asm' assembles without a time limit`);
}

/** The answer for a file whose assembly did not end with a result: `message` on its first word. */
function unchecked(request: AssemblyRequest, message: string): EditorAssembly {
  const firstLine = /^.*/.exec(request.text)![0];
  return { problems: [{ file: request.fileName, range: problemRange({ line: 1, column: 1 }, firstLine), message }], names: [], defines: [] };
}
