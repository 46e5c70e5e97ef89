import type { Hart } from "../../../src/machine/hart/hart";
import { walkGuestAccess } from "../../../src/machine/hart/mmu";

/** What a test learns of a G-stage mapping: the leaf the hart's walk ends on, and where it leads. */
export interface GStageLeaf {
  hpa: number;
  level: number;
  pteHpa: number;
  pte: bigint;
}

/**
 * Where `hgatp`'s G stage sends `gpa`, by the hart's own two-stage walk (a VS-mode read, vsatp
 * Bare): the one G-stage walker, so a test checks the table as the hardware reads it. Undefined where
 * the walk ends without a leaf (nothing mapped). The hart's CSRs are left as they were; its PMP must
 * grant the table and the page.
 */
export function gStageLeaf(hart: Hart, hgatp: bigint, gpa: number): GStageLeaf | undefined {
  const w = walkGuestAccess(hart, BigInt(gpa), "r", 1, { vsatp: 0n, hgatp }).walk;
  const last = w.steps.at(-1);
  if (w.pa === undefined || !last) return undefined;
  return { hpa: w.pa, level: last.level, pteHpa: last.pteAddr, pte: last.pte };
}
