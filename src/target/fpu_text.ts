import type { FpuSwitchStats } from "../hypervisor/fpu_switch";

/** "18 world switches, 10 fpu-traps: 6830 cycles": what switching the guest's FP state cost (`stats`, `compare`). */
export function fpuSwitchText(s: FpuSwitchStats): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const what = s.policy === "eager" ? `${count(s.saves, "save", "saves")} + ${count(s.restores, "restore", "restores")}` : count(s.traps, "fpu-trap", "fpu-traps");
  return `${count(s.worldSwitches, "world switch", "world switches")}, ${what}: ${s.cycles} cycles`;
}
