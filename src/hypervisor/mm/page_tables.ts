/**
 * The walk of one address through an Sv39 table, as the debugger shows it (REPL `shadow <gva>`), for
 * the guest's table in guest-physical memory and the VMM's shadow table in host-physical memory alike.
 */
export interface PteView {
  level: number;
  index: number;
  /** Address of the PTE (GPA for guest tables, HPA for shadow tables). */
  pteAddr: number;
  pte: bigint;
  /** "V R W X U G A D" letters that are set, e.g. "VRW-U-AD" style: V,R,W,X,U,G,A,D or "-". */
  flags: string;
}

export interface Sv39Walk {
  steps: PteView[];
  /** Physical address reached, or undefined when the walk stops (invalid entry, bad superpage). */
  pa?: number;
  leafLevel?: number;
}

const LETTERS = "VRWXUGAD";

export function pteFlags(pte: bigint): string {
  const f = Number(pte & 0xffn);
  let s = "";
  for (let i = 0; i < 8; i++) s += (f >> i) & 1 ? LETTERS[i] : "-";
  return s;
}

/** The walk of one virtual address through the table at `root` (no permission checks). */
export function sv39Walk(root: number, va: bigint, readPte: (addr: number) => bigint | undefined): Sv39Walk {
  const steps: PteView[] = [];
  const vpn = Number((BigInt.asUintN(64, va) >> 12n) & 0x7ffffffn);
  let table = root;
  for (let level = 2; level >= 0; level--) {
    const index = (vpn >>> (9 * level)) & 511;
    const pteAddr = table + index * 8;
    const pte = readPte(pteAddr);
    if (pte === undefined) return { steps };
    steps.push({ level, index, pteAddr, pte, flags: pteFlags(pte) });
    if ((pte & 1n) === 0n) return { steps };
    const ppn = Number((pte >> 10n) & 0xfffffffffffn);
    if ((pte & 0xan) === 0n) {
      table = ppn * 4096;
      continue;
    }
    const span = 2 ** (9 * level);
    if (ppn % span !== 0) return { steps };
    return { steps, pa: (ppn + (vpn % span)) * 4096 + Number(BigInt.asUintN(64, va) & 4095n), leafLevel: level };
  }
  return { steps };
}
