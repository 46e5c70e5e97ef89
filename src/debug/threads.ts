import { Thread } from "@vscode/debugadapter";
import type { Target } from "../target/target";

/**
 * Harts as DAP threads: hart n is thread n + 1, named `hart n` (`vCPU n` in a VM, whose harts are
 * the VMM's vCPUs; `alpha · vCPU n` with several VMs), and its stack frames have ids
 * n · FRAMES_PER_HART + index, so that a request naming a frame (scopes, evaluate) names its hart
 * too. Requests that name a thread or a frame select that hart in the target before they read it.
 */
const FRAMES_PER_HART = 100_000;

export function threads(target: Target | undefined): Thread[] {
  const names = target?.threadNames?.();
  if (names) return names.map((name, n) => new Thread(n + 1, name));
  const name = target?.vmm ? "vCPU" : "hart";
  return Array.from({ length: target?.harts ?? 1 }, (_, n) => new Thread(n + 1, `${name} ${n}`));
}

/** The thread id of the hart the target has selected (the one a stop is reported on). */
export function selectedThread(target: Target): number {
  return target.selectedHart + 1;
}

/** Selects the hart of thread `threadId`; false when the target has no such hart. */
export function selectThread(target: Target, threadId: number): boolean {
  const n = threadId - 1;
  if (!Number.isInteger(n) || n < 0 || n >= target.harts) return false;
  target.selectedHart = n;
  return true;
}

export function frameId(hart: number, index: number): number {
  return hart * FRAMES_PER_HART + index;
}

/** Selects the hart of a frame id (frameId's); returns the frame's index in that hart's stack, or undefined. */
export function selectFrame(target: Target, id: number): number | undefined {
  const hart = Math.floor(id / FRAMES_PER_HART);
  if (hart >= target.harts) return undefined;
  target.selectedHart = hart;
  return id % FRAMES_PER_HART;
}
