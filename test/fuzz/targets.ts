/**
 * Every fuzz target, by name: `npm run fuzz -- --only NAME` and the CI stage run those with cases, the
 * regression tests run any of them on a fixed input. A new target is one module exporting a FuzzTarget
 * (target.ts), added here.
 */
import { asmTarget } from "./asm_target";
import { dapTarget } from "./dap_target";
import { elfTarget } from "./elf_target";
import { guestTarget } from "./guest_target";
import { programTarget } from "./program_target";
import type { FuzzTarget } from "./target";

export const TARGETS = { asm: asmTarget, elf: elfTarget, dap: dapTarget, guest: guestTarget, program: programTarget };

export type TargetName = keyof typeof TARGETS;
type TargetOf<T extends TargetName> = (typeof TARGETS)[T];
export type TargetInput<T extends TargetName> = Parameters<TargetOf<T>["run"]>[0];
export type TargetOutput<T extends TargetName = TargetName> = Awaited<ReturnType<TargetOf<T>["run"]>>;

/** The targets that generate cases, in the order a full run takes them. */
export function fuzzedTargets(): TargetName[] {
  return (Object.keys(TARGETS) as TargetName[]).filter((n) => (TARGETS[n] as FuzzTarget<unknown, unknown>).cases);
}
