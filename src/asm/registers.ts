/** Integer register names as GNU as accepts them: x0..x31 and the ABI names (with fp for s0). */
const ABI = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

const REGS = new Map<string, number>();
ABI.forEach((n, i) => {
  REGS.set(n, i);
  REGS.set(`x${i}`, i);
});
REGS.set("fp", 8);

/** The register number a name stands for, or undefined when it is not a register. */
export function registerNumber(name: string): number | undefined {
  return REGS.get(name);
}

export const ABI_NAMES: readonly string[] = ABI;
