/**
 * When a run loop looks at its caller's `yieldNow` (a clock read): every ROUNDS rounds of the loop or
 * every STEPS steps, whichever comes first. A budget sized for fast code can take seconds when every
 * step traps (a VM exit, a device access), and the caller's timeout and Ctrl-C must not wait for it.
 * Rounds of the hart's fast path are not cut shorter for it: that would cost the fast path speed. A
 * loop that leaves translated code at every turn (a CSR access) returns here often anyway: the hart's
 * run comes back after a bounded number of interpreted rounds (SLOW_ROUNDS in hart/run.ts).
 */
const ROUNDS = 256;
const STEPS = 1 << 16;

export class YieldCheck {
  private rounds = 0;
  private checkAt: number;

  constructor(private readonly yieldNow: (() => boolean) | undefined, left: number) {
    this.checkAt = left - STEPS;
  }

  /** Whether the run should return now, with `left` steps of its budget left. */
  due(left: number): boolean {
    if (!this.yieldNow) return false;
    if (++this.rounds < ROUNDS && left > this.checkAt) return false;
    this.rounds = 0;
    this.checkAt = left - STEPS;
    return this.yieldNow();
  }
}
