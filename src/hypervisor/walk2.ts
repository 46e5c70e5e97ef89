import { pteFlags } from "./mm/page_tables";

/**
 * The two-stage walk of one guest-virtual address (REPL `walk2 <gva>`), as the H extension's hardware
 * does it (privileged spec 1.12, "Hypervisor Extension", two-stage address translation), without
 * side effects: no TLB, no A/D updates, nothing written.
 *
 * - VS stage (vsatp, Sv39 or Bare): GVA → GPA. Each VS-stage PTE lives at a guest-physical address,
 *   so every VS PTE fetch is itself translated by a full G-stage walk first (an implicit read).
 * - G stage (hgatp, Sv39x4 or Bare): GPA → HPA; 41-bit GPAs, a 2048-entry root; every access counts
 *   as a U-mode access, so leaves need U. Only the HS-level MXR applies here; vsstatus.MXR and SUM
 *   apply to the VS stage only.
 * - A G-stage failure is a guest-page fault (20/21/23, by the original access type even for the
 *   implicit PTE reads) carrying the GPA (htval = GPA >> 2); a VS-stage failure is a page fault
 *   (12/13/15); a PTE read where no memory answers is an access fault (1/5/7).
 * - With every level a 4 KiB page, Sv39 over Sv39x4 reads 3 × (3 + 1) + 3 = 15 PTEs: the n×m cost.
 */

export type Walk2Access = "r" | "w" | "x";
export type Walk2Stage = "VS" | "G";

export interface Walk2Request {
  gva: bigint;
  access: Walk2Access;
  /** The guest's privilege: 1 = VS-mode, 0 = VU-mode. */
  priv: 0 | 1;
  vsatp: bigint;
  hgatp: bigint;
  /** vsstatus.SUM (VS stage). */
  sum?: boolean;
  /** vsstatus.MXR: X pages readable at the VS stage only. */
  vsMxr?: boolean;
  /** The HS-level sstatus.MXR: X pages readable at both stages. */
  hsMxr?: boolean;
}

export interface Walk2Fetch {
  type: "fetch";
  /** The memory reference this is: 1, 2, … in the hardware's order. */
  ref: number;
  stage: Walk2Stage;
  level: number;
  index: number;
  /** VS-stage PTEs: the PTE's guest-physical address. */
  pteGpa?: number;
  /** Where the PTE was read in host-physical memory. */
  pteHpa: number;
  /** Undefined: nothing answered at pteHpa. */
  pte?: bigint;
  /** "VRWXUGAD" with "-" for clear bits. */
  flags: string;
  kind: "pointer" | "leaf" | "invalid";
  /** Leaf: the page it maps (GPA for VS, HPA for G); pointer: the next table. */
  target?: number;
}

/** A G-stage walk begins: which guest-physical address it translates, and why. */
export interface Walk2GWalk {
  type: "g-walk";
  gpa: number;
  /** The VS level whose PTE it locates, or undefined for the access's own GPA. */
  forVsLevel?: number;
}

export interface Walk2Check {
  type: "check";
  stage: Walk2Stage;
  what: string;
  ok: boolean;
}

export interface Walk2AccessedDirty {
  type: "ad";
  stage: Walk2Stage;
  pteHpa: number;
  a: boolean;
  d: boolean;
  /** What the hardware walker would set for this access ("" when nothing). */
  wouldSet: "" | "A" | "D" | "A and D";
}

export type Walk2Step = Walk2Fetch | Walk2GWalk | Walk2Check | Walk2AccessedDirty;

export interface Walk2Fault {
  cause: number;
  name: string;
  stage: Walk2Stage;
  /** Guest-page faults: the guest-physical address that failed (htval = gpa >> 2). */
  gpa?: number;
  why: string;
}

export interface Walk2Result {
  gva: bigint;
  access: Walk2Access;
  priv: 0 | 1;
  vs: { mode: "bare" } | { mode: "sv39"; asid: number; rootGpa: number };
  g: { mode: "bare" } | { mode: "sv39x4"; vmid: number; rootHpa: number };
  steps: Walk2Step[];
  /** PTE reads, both stages. */
  memoryReferences: number;
  gpa?: number;
  hpa?: number;
  fault?: Walk2Fault;
  /** A mode the walk does not know (vsatp or hgatp); nothing was walked. */
  error?: string;
}

/** Reads 8 bytes of host-physical memory (little-endian); undefined where nothing answers. */
export type PhysReader = (hpa: number) => bigint | undefined;

const CAUSES = {
  page: { r: 13, w: 15, x: 12 },
  guestPage: { r: 21, w: 23, x: 20 },
  access: { r: 5, w: 7, x: 1 },
} as const;
const NAMES: Record<number, string> = {
  1: "instruction access fault", 5: "load access fault", 7: "store/AMO access fault",
  12: "instruction page fault", 13: "load page fault", 15: "store/AMO page fault",
  20: "instruction guest-page fault", 21: "load guest-page fault", 23: "store/AMO guest-page fault",
};
const ACCESS_WORD: Record<Walk2Access, string> = { r: "read", w: "write", x: "execute" };
const GPA_LIMIT = 2 ** 41;
const SV39_HALF = 1n << 38n;

class Fault extends Error {
  constructor(readonly fault: Walk2Fault) {
    super(fault.why);
  }
}

/** Walks `req.gva` through both stages. */
export function walk2(read: PhysReader, req: Walk2Request): Walk2Result {
  const vsMode = Number((BigInt.asUintN(64, req.vsatp) >> 60n) & 0xfn);
  const gMode = Number((BigInt.asUintN(64, req.hgatp) >> 60n) & 0xfn);
  const ppnOf = (v: bigint) => Number(BigInt.asUintN(44, v));
  const result: Walk2Result = {
    gva: req.gva, access: req.access, priv: req.priv,
    vs: vsMode === 8 ? { mode: "sv39", asid: Number((BigInt.asUintN(64, req.vsatp) >> 44n) & 0xffffn), rootGpa: ppnOf(req.vsatp) * 4096 } : { mode: "bare" },
    g: gMode === 8 ? { mode: "sv39x4", vmid: Number((BigInt.asUintN(64, req.hgatp) >> 44n) & 0x3fffn), rootHpa: ppnOf(req.hgatp) * 4096 } : { mode: "bare" },
    steps: [], memoryReferences: 0,
  };
  if (vsMode !== 0 && vsMode !== 8) return { ...result, error: `vsatp mode ${vsMode} is not Bare (0) or Sv39 (8)` };
  if (gMode !== 0 && gMode !== 8) return { ...result, error: `hgatp mode ${gMode} is not Bare (0) or Sv39x4 (8)` };
  const w = new Walker(read, req, result);
  try {
    const gpa = w.vsStage();
    result.gpa = gpa;
    result.hpa = w.gStage(gpa, req.access);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    result.fault = e.fault;
  }
  return result;
}

class Walker {
  constructor(
    private readonly read: PhysReader,
    private readonly req: Walk2Request,
    private readonly out: Walk2Result,
  ) {}

  /** GVA → GPA by vsatp; each PTE fetch goes through the G stage. */
  vsStage(): number {
    const { req, out } = this;
    const gva = BigInt.asIntN(64, req.gva);
    if (out.vs.mode === "bare") {
      this.check("VS", "vsatp is Bare: gpa = gva", true);
      if (gva < 0n || gva >= BigInt(GPA_LIMIT)) {
        this.check("G", `gva 0x${BigInt.asUintN(64, gva).toString(16)} fits Sv39x4's 41-bit guest-physical space`, false);
        this.fail("guestPage", "G", "the guest-physical address (= gva) has bits set above bit 40");
      }
      return Number(gva);
    }
    const canonical = gva >= -SV39_HALF && gva < SV39_HALF;
    this.check("VS", `gva 0x${BigInt.asUintN(64, gva).toString(16)} is a sign-extended 39-bit address`, canonical);
    if (!canonical) this.fail("page", "VS", "bits 63:39 of the gva are not all equal to bit 38");
    const vpn = Number(BigInt.asUintN(27, gva >> 12n));
    let table = out.vs.rootGpa;
    for (let level = 2; level >= 0; level--) {
      const index = (vpn >>> (9 * level)) & 511;
      const pteGpa = table + index * 8;
      const pteHpa = this.gStage(pteGpa, req.access, level);
      const f = this.fetch("VS", level, index, pteHpa, pteGpa);
      const pte = f.pte!;
      this.pteFormat("VS", pte);
      const ppn = Number((pte >> 10n) & 0xfffffffffffn);
      if (f.kind === "pointer") {
        if (level === 0) this.fail("page", "VS", "a pointer at level 0");
        table = ppn * 4096;
        continue;
      }
      this.leaf("VS", level, ppn, pte, pteHpa);
      const span = 2 ** (9 * level);
      return (ppn + (vpn % span)) * 4096 + Number(BigInt.asUintN(12, gva));
    }
    throw new Error("unreachable");
  }

  /** GPA → HPA by hgatp, for the access itself or (forVsLevel) for a VS PTE fetch. */
  gStage(gpa: number, access: Walk2Access, forVsLevel?: number): number {
    const { out } = this;
    if (out.g.mode === "bare") return gpa;
    this.out.steps.push({ type: "g-walk", gpa, forVsLevel });
    const fits = gpa >= 0 && gpa < GPA_LIMIT;
    this.check("G", `gpa 0x${gpa.toString(16)} fits in 41 bits`, fits);
    if (!fits) this.fail("guestPage", "G", "the guest-physical address has bits set above bit 40", gpa);
    let table = out.g.rootHpa;
    for (let level = 2; level >= 0; level--) {
      const index = Math.floor(gpa / 2 ** (12 + 9 * level)) % (level === 2 ? 2048 : 512);
      const f = this.fetch("G", level, index, table + index * 8, undefined, gpa);
      const pte = f.pte!;
      this.pteFormat("G", pte, gpa);
      const ppn = Number((pte >> 10n) & 0xfffffffffffn);
      if (f.kind === "pointer") {
        if (level === 0) this.fail("guestPage", "G", "a pointer at level 0", gpa);
        table = ppn * 4096;
        continue;
      }
      // The implicit PTE read of the VS walk is checked as a read; the fault keeps the access's type.
      this.leaf("G", level, ppn, pte, f.pteHpa, forVsLevel === undefined ? access : "r", gpa);
      return (ppn + Math.floor(gpa / 4096) % 2 ** (9 * level)) * 4096 + (gpa % 4096);
    }
    throw new Error("unreachable");
  }

  private fetch(stage: Walk2Stage, level: number, index: number, pteHpa: number, pteGpa?: number, gpa?: number): Walk2Fetch {
    const pte = this.read(pteHpa);
    const ref = ++this.out.memoryReferences;
    const kind = pte === undefined || (pte & 1n) === 0n ? "invalid" : (pte & 0xan) === 0n ? "pointer" : "leaf";
    const f: Walk2Fetch = { type: "fetch", ref, stage, level, index, pteHpa, pte, flags: pte === undefined ? "--------" : pteFlags(pte), kind };
    if (pteGpa !== undefined) f.pteGpa = pteGpa;
    if (pte !== undefined && kind !== "invalid") f.target = Number((pte >> 10n) & 0xfffffffffffn) * 4096;
    this.out.steps.push(f);
    if (pte === undefined) {
      this.check(stage, `memory answers at hpa 0x${pteHpa.toString(16)}`, false);
      this.fail("access", stage, `no memory answers at hpa 0x${pteHpa.toString(16)}`);
    }
    if (kind === "invalid") {
      this.check(stage, "V = 1", false);
      this.fail(stage === "G" ? "guestPage" : "page", stage, `the level-${level} PTE is not valid (V = 0)`, gpa);
    }
    return f;
  }

  /** The format rules every valid PTE obeys: reserved bits clear, no W without R. */
  private pteFormat(stage: Walk2Stage, pte: bigint, gpa?: number): void {
    const kind = stage === "G" ? "guestPage" : "page";
    const reservedOk = pte >> 54n === 0n;
    if (!reservedOk) {
      this.check(stage, "reserved bits 63:54 are zero", false);
      this.fail(kind, stage, "reserved PTE bits 63:54 are set", gpa);
    }
    if ((pte & 6n) === 4n) {
      this.check(stage, "W is not set without R", false);
      this.fail(kind, stage, "W without R is a reserved encoding", gpa);
    }
  }

  /** A leaf's checks (alignment, U, rights) and its A/D state. */
  private leaf(stage: Walk2Stage, level: number, ppn: number, pte: bigint, pteHpa: number, access = this.req.access, gpa?: number): void {
    const { req } = this;
    const kind = stage === "G" ? "guestPage" : "page";
    const flags = Number(pte & 0xffn);
    const has = (bit: number) => (flags & bit) !== 0;
    const need = (what: string, ok: boolean, why: string) => {
      this.check(stage, what, ok);
      if (!ok) this.fail(kind, stage, why, gpa);
    };
    if (level > 0) {
      const span = 2 ** (9 * level);
      need(`the level-${level} superpage's PPN is aligned to ${level === 2 ? "1 GiB" : "2 MiB"}`, ppn % span === 0, "misaligned superpage");
    }
    if (stage === "G") {
      need("U = 1 (every G-stage access is a U-mode access)", has(16), "the G-stage leaf lacks U");
    } else if (req.priv === 0) {
      need("U = 1 (a VU-mode access)", has(16), "VU-mode may only reach U pages");
    } else if (has(16)) {
      if (access === "x") need("not executing a U page from VS-mode", false, "VS-mode never executes U pages");
      else need("SUM = 1 (a VS-mode access to a U page)", req.sum === true, "a VS-mode access to a U page needs vsstatus.SUM");
    }
    const mxr = stage === "G" ? req.hsMxr === true : req.vsMxr === true || req.hsMxr === true;
    const word = ACCESS_WORD[access];
    if (access === "r") {
      const ok = has(2) || (mxr && has(8));
      need(mxr ? "R = 1, or X = 1 with MXR (a read)" : "R = 1 (a read)", ok, `the ${stage}-stage leaf does not permit a ${word}`);
    } else {
      need(`${access === "w" ? "W" : "X"} = 1 (${word === "write" ? "a write" : "an execute"})`, has(access === "w" ? 4 : 8), `the ${stage}-stage leaf does not permit a ${word}`);
    }
    const a = has(64);
    const d = has(128);
    const setA = !a;
    const setD = access === "w" && !d;
    this.out.steps.push({ type: "ad", stage, pteHpa, a, d, wouldSet: setA && setD ? "A and D" : setA ? "A" : setD ? "D" : "" });
  }

  private check(stage: Walk2Stage, what: string, ok: boolean): void {
    this.out.steps.push({ type: "check", stage, what, ok });
  }

  private fail(kind: keyof typeof CAUSES, stage: Walk2Stage, why: string, gpa?: number): never {
    const cause = CAUSES[kind][this.req.access];
    const fault: Walk2Fault = { cause, name: NAMES[cause], stage, why };
    if (kind === "guestPage" && gpa !== undefined) fault.gpa = gpa;
    throw new Fault(fault);
  }
}

// ---- the REPL's text ----

const hex = (n: number | bigint) => `0x${(typeof n === "bigint" ? BigInt.asUintN(64, n) : n).toString(16)}`;
const PRIV_NAME = ["VU", "VS"];

/** The walk as an aligned trace for the REPL. */
export function formatWalk2(r: Walk2Result): string {
  const lines: string[] = [];
  const vs = r.vs.mode === "sv39" ? `vsatp Sv39 ASID ${r.vs.asid} root gpa ${hex(r.vs.rootGpa)}` : "vsatp Bare";
  const g = r.g.mode === "sv39x4" ? `hgatp Sv39x4 VMID ${r.g.vmid} root hpa ${hex(r.g.rootHpa)}` : "hgatp Bare";
  lines.push(`walk2 gva ${hex(r.gva)}: ${ACCESS_WORD[r.access]} from ${PRIV_NAME[r.priv]}-mode; ${vs}; ${g}`);
  if (r.error) return [...lines, `cannot walk: ${r.error}`].join("\n") + "\n";
  const head = `${"ref".padStart(4)}  ${"stage".padEnd(5)} ${"lvl".padEnd(3)} ${"index".padStart(5)}  ${"PTE address".padEnd(40)} ${"PTE".padEnd(18)}  ${"flags".padEnd(8)}  maps / next`;
  if (r.steps.some((s) => s.type === "fetch")) lines.push(head);
  let indent = "";
  for (const s of r.steps) {
    switch (s.type) {
      case "g-walk":
        indent = s.forVsLevel === undefined ? "" : "  ";
        lines.push(`${indent}G-stage walk of gpa ${hex(s.gpa)} (${s.forVsLevel === undefined ? "the access's guest-physical address" : `where the VS level-${s.forVsLevel} PTE lives`}):`);
        break;
      case "fetch": {
        if (s.stage === "VS") indent = "";
        const where = s.pteGpa !== undefined ? `gpa ${hex(s.pteGpa)} = hpa ${hex(s.pteHpa)}` : `hpa ${hex(s.pteHpa)}`;
        const pte = s.pte === undefined ? "(no memory)" : `0x${s.pte.toString(16).padStart(16, "0")}`;
        const space = s.stage === "VS" ? "gpa" : "hpa";
        const next = s.kind === "invalid" ? "invalid" : s.kind === "leaf" ? `page ${space} ${hex(s.target!)}` : `table ${space} ${hex(s.target!)}`;
        lines.push(`${String(s.ref).padStart(4)}  ${indent}${s.stage.padEnd(5 - indent.length)} ${String(s.level).padEnd(3)} ${String(s.index).padStart(5)}  ${where.padEnd(40)} ${pte.padEnd(18)}  ${s.flags}  ${next}`);
        break;
      }
      case "check":
        lines.push(`      ${indent}${s.ok ? "ok  " : "FAIL"} ${s.stage}: ${s.what}`);
        break;
      case "ad":
        lines.push(`      ${indent}A/D  ${s.stage}: A=${s.a ? 1 : 0} D=${s.d ? 1 : 0}${s.wouldSet ? `; the hardware walker sets ${s.wouldSet}` : ""}`);
        break;
    }
  }
  const refs = `${r.memoryReferences} memory reference${r.memoryReferences === 1 ? "" : "s"}`;
  if (r.fault) {
    const htval = r.fault.gpa !== undefined ? `, gpa ${hex(r.fault.gpa)} (htval ${hex(Math.floor(r.fault.gpa / 4))})` : "";
    lines.push(`fault: ${r.fault.name} (cause ${r.fault.cause}) at the ${r.fault.stage} stage${htval}: ${r.fault.why}; ${refs}`);
  } else {
    lines.push(`result: gva ${hex(r.gva)} → gpa ${hex(r.gpa!)} → hpa ${hex(r.hpa!)}; ${refs}`);
  }
  return lines.join("\n") + "\n";
}
