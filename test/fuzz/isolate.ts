/**
 * Runs fuzz cases in a child process, where a case that hangs, crashes the process or eats the memory
 * can be stopped and told apart: a hang in the test's own process could never be interrupted. One
 * child runs case after case (its start-up is paid once) and is replaced after any case that killed it.
 *
 * Memory: V8's heap limit does not cover typed arrays, where the assembler and the loader keep images,
 * so the child's resident size is watched from outside (Linux /proc) while a case runs, and the child
 * reports its peak after each case.
 *
 * An idle child does not keep the parent alive: a test that forgets stop() still ends.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { TargetInput, TargetName, TargetOutput } from "./targets";

export type CaseOutcome =
  /** The target ran; `out.problems` says whether what it saw breaks a promise. */
  | { kind: "done"; out: TargetOutput; ms: number; startRss: number; peakRss: number }
  /** An exception escaped the code under test: an internal error. */
  | { kind: "threw"; message: string }
  | { kind: "hang"; message: string }
  | { kind: "crash"; message: string }
  | { kind: "memory"; message: string };

export interface IsolateOptions {
  /** A case still running after this long is a hang. */
  timeoutMs: number;
  /** A case whose process grows past this resident size is a failure. */
  memoryBytes: number;
}

const CHILD = path.join(__dirname, "child.ts");
const POLL_MS = 50;

type Reply = { ready: true } | { out: TargetOutput; startRss: number; peakRss: number } | { thrown: string };

export class Isolate {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private stderr = "";
  private onReply: ((r: Reply) => void) | undefined;
  private onExit: ((why: string) => void) | undefined;

  constructor(private readonly opts: IsolateOptions) {}

  async run<T extends TargetName>(target: T, input: TargetInput<T>): Promise<CaseOutcome> {
    await this.start();
    const child = this.child!;
    hold(child, true);
    const started = performance.now();
    return new Promise<CaseOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: CaseOutcome, stop: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.onReply = undefined;
        this.onExit = undefined;
        hold(child, false);
        if (stop) this.stop();
        resolve(outcome);
      };
      const timer = setTimeout(() => finish({ kind: "hang", message: `still running after ${this.opts.timeoutMs} ms` }, true), this.opts.timeoutMs);
      const poll = setInterval(() => {
        const rss = residentBytes(child.pid);
        if (rss > this.opts.memoryBytes) finish({ kind: "memory", message: `the process grew to ${mib(rss)} MiB (the limit is ${mib(this.opts.memoryBytes)} MiB)` }, true);
      }, POLL_MS);
      this.onExit = (why) => finish({ kind: "crash", message: why }, false);
      this.onReply = (r) => {
        if ("thrown" in r) return finish({ kind: "threw", message: r.thrown }, false);
        if (!("out" in r)) return;
        if (r.peakRss > this.opts.memoryBytes) {
          return finish({ kind: "memory", message: `the process peaked at ${mib(r.peakRss)} MiB (the limit is ${mib(this.opts.memoryBytes)} MiB)` }, true);
        }
        finish({ kind: "done", out: r.out, ms: performance.now() - started, startRss: r.startRss, peakRss: r.peakRss }, false);
      };
      child.send({ target, input });
    });
  }

  /** Ends the child; the next case starts a new one. */
  stop(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.stderr = "";
    const child = fork(CHILD, [], {
      execArgv: ["--import", "tsx", "--max-old-space-size=2048"],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.child = child;
    child.stderr!.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.ready = new Promise<void>((resolve, reject) => {
      child.on("message", (r: Reply) => {
        if (!("ready" in r)) return this.onReply?.(r);
        hold(child, false);
        resolve();
      });
      child.on("exit", (code, signal) => {
        const why = `the process died (${signal ?? `exit code ${code}`})${this.stderr ? `:\n${this.stderr.trim()}` : ""}`;
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
        reject(new Error(`the fuzz child could not start: ${why}`));
        this.onExit?.(why);
      });
    });
    return this.ready;
  }
}

/** Whether the parent's event loop waits for `child`: while it starts or runs a case, not while idle. */
function hold(child: ChildProcess, on: boolean): void {
  if (on) child.ref();
  else child.unref();
  // The IPC channel is a handle of its own.
  const channel = child.channel as { ref(): void; unref(): void } | undefined;
  if (on) channel?.ref();
  else channel?.unref();
}

/** The resident size of a process, or 0 where /proc does not say (then only the child's own report counts). */
function residentBytes(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const mib = (n: number) => Math.round(n / (1 << 20));
