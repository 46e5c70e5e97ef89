import type { FpuSwitchStats } from "../hypervisor/fpu_switch";

/**
 * "18 world switches, 10 fpu-traps: 6830 cycles (eager: 1188)": what switching the guest's FP state
 * cost (`stats`, `compare`); a lazy run also prices the eager policy.
 */
export function fpuSwitchText(s: FpuSwitchStats): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (s.policy === "eager") {
    return `${count(s.worldSwitches, "world switch", "world switches")}, ${count(s.saves, "save", "saves")} + ${count(s.restores, "restore", "restores")}: ${s.cycles} cycles`;
  }
  return `${count(s.worldSwitches, "world switch", "world switches")}, ${count(s.traps, "fpu-trap", "fpu-traps")}: ${s.cycles} cycles (eager: ${s.eagerCycles})`;
}
