/**
 * mcycle and minstret, derived from the hart's retired-instruction count: value = retired + offset,
 * frozen while inhibited by mcountinhibit. Under QEMU's `-icount shift=0` mcycle and minstret both
 * equal the instruction count; this hart does the same (one cycle per instruction).
 *
 * A CSR write sets the value the counter has *before* the writing instruction retires, so a
 * following read sees value + 1: QEMU 7.2 behaves so, although the spec says the write should
 * suppress that increment (RISCV-TOOLCHAIN.md).
 */
export class Counter {
  private offset = 0n;
  private frozen = 0n;
  private inhibited = false;

  read(retired: number): bigint {
    return this.inhibited ? this.frozen : BigInt.asUintN(64, BigInt(retired) + this.offset);
  }

  write(retired: number, value: bigint): void {
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
