import { MAX_MEMORY_BYTES, MIB } from "../machine/memory_size";
import type { TechniqueSpec } from "./techniques/technique";

/**
 * The VMM's memory and the guest's RAM share the host board's RAM, which is one typed array: at most
 * 4 GiB in Node. So a VM's guest RAM is smaller than the board's limit by the VMM's own pools.
 */
export const DEFAULT_SHADOW_POOL_BYTES = 8 * 1024 * 1024;

/**
 * The largest guest RAM `spec` can give a guest beside a shadow pool of `shadowPool` bytes, in whole
 * MiB so that it is a size the user can type.
 */
export function largestGuestRam(spec: TechniqueSpec, shadowPool = DEFAULT_SHADOW_POOL_BYTES): number {
  const room = Math.floor((MAX_MEMORY_BYTES - shadowPool - spec.poolBytes(MAX_MEMORY_BYTES)) / MIB) * MIB;
  return Math.min(room, spec.maxGuestRam ?? room);
}
