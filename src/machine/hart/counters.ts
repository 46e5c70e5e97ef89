/**
 * mcycle and minstret, derived from the hart's retired-instruction count: value = retired + offset,
 * frozen while inhibited by mcountinhibit. Under QEMU's `-icount shift=0` mcycle and minstret both
 * equal the instruction count; this hart does the same (one cycle per instruction), so both are
 * counters that instructions increment as a side effect.
 *
 * A CSR instruction's write replaces its own increment: unprivileged spec 20191213, 9.1, "If a CSR
 * access instruction writes such a CSR, the write is done instead of the increment. In particular, a
 * value written to instret by one instruction will be the value read by the following instruction"
 * (privileged spec 1.12, 3.1.10: "Any CSR write takes effect after the writing instruction has
 * otherwise completed"). QEMU 7.2 lets the increment follow the write (test/oracle/lockstep.ts, rule 3).
 * A write to mcountinhibit likewise governs its own instruction's increment, as in Spike (whose
 * increment after an instruction looks at mcountinhibit as the instruction left it): the instruction
 * that inhibits a counter is not counted, the one that lets it count again is.
 */
export class Counter {
  private offset = 0n;
  private frozen = 0n;
  private inhibited = false;

  read(retired: number): bigint {
    return this.inhibited ? this.frozen : BigInt.asUintN(64, BigInt(retired) + this.offset);
  }

  /** The write of the CSR instruction being executed, `retired` instructions having retired before it. */
  write(retired: number, value: bigint): void {
    this.set(retired + 1, value);
  }

  /** Makes the counter read `value` now, between instructions (reset, the debugger). */
  set(retired: number, value: bigint): void {
    if (this.inhibited) this.frozen = BigInt.asUintN(64, value);
    else this.offset = value - BigInt(retired);
  }

  inhibit(retired: number, on: boolean): void {
    if (on === this.inhibited) return;
    if (on) this.frozen = this.read(retired);
    else this.offset = this.frozen - BigInt(retired);
    this.inhibited = on;
  }
}
