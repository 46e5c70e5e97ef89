/**
 * Read-only views of Sv39 tables for the debugger: whole trees (the panels' page-table view) and
 * the walk of one address (REPL `shadow <gva>`), for the guest's table in guest-physical memory and
 * the VMM's shadow table in host-physical memory alike.
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

export interface PageTableNode extends PteView {
  /** First address this entry covers (a virtual address sign-extended from bit 38; a GPA for Sv39x4). */
  va: bigint;
  /** Leaf: the physical address it maps; pointer: the next table's address. */
  target: number;
  leaf: boolean;
  children?: PageTableNode[];
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

function signExtendVa(va: number): bigint {
  const b = BigInt(va);
  return b >= 1n << 38n ? b - (1n << 39n) : b;
}

/**
 * The whole tree under `root`, valid entries only; at most `limit` leaves (the rest are cut). Sv39x4
 * (a G-stage table) has a 2048-entry root and unsigned 41-bit guest-physical inputs.
 */
export function sv39Tree(root: number, readPte: (addr: number) => bigint | undefined, limit = 4096, mode: "sv39" | "sv39x4" = "sv39"): PageTableNode[] {
  let leaves = 0;
  const visit = (table: number, level: number, vaBase: number): PageTableNode[] => {
    const out: PageTableNode[] = [];
    const width = level === 2 && mode === "sv39x4" ? 2048 : 512;
    for (let i = 0; i < width && leaves < limit; i++) {
      const pteAddr = table + i * 8;
      const pte = readPte(pteAddr);
      if (pte === undefined || (pte & 1n) === 0n) continue;
      const va = vaBase + i * 2 ** (12 + 9 * level);
      const target = Number((pte >> 10n) & 0xfffffffffffn) * 4096;
      const leaf = (pte & 0xan) !== 0n;
      const node: PageTableNode = { level, index: i, pteAddr, pte, flags: pteFlags(pte), va: mode === "sv39" ? signExtendVa(va) : BigInt(va), target, leaf };
      if (leaf) leaves++;
      else if (level > 0) node.children = visit(target, level - 1, va);
      out.push(node);
    }
    return out;
  };
  return visit(root, 2, 0);
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
