import { ABI_NAMES, FP_ABI_NAMES } from "../isa/registers";

/** Integer register names as GNU as accepts them: x0..x31 and the ABI names (with fp for s0). */
const REGS = new Map<string, number>();
ABI_NAMES.forEach((n, i) => {
  REGS.set(n, i);
  REGS.set(`x${i}`, i);
});
REGS.set("fp", 8);

/** Floating-point register names: f0..f31 and the ABI names. */
const FREGS = new Map<string, number>();
FP_ABI_NAMES.forEach((n, i) => {
  FREGS.set(n, i);
  FREGS.set(`f${i}`, i);
});

/** The register number a name stands for, or undefined when it is not a register. */
export function registerNumber(name: string): number | undefined {
  return REGS.get(name);
}

/** The f register number a name stands for, or undefined when it is not one. */
export function fpRegisterNumber(name: string): number | undefined {
  return FREGS.get(name);
}
