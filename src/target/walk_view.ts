import { EXCEPTIONS } from "../isa/causes";
import type { MmuAccess, Walk, WalkStep } from "../machine/hart/mmu";
import type { TwoStageWalk } from "../hypervisor/techniques/technique";
import type { AddressSpace, AddressWalk, WalkPart, WalkPartStep } from "./target";

/**
 * The hart's own walks (machine/hart/mmu.ts: every PTE read, each leaf's verdict, why a walk stopped)
 * told for the debugger: annotated steps, the G-stage walks a two-stage walk is made of, and what the
 * access comes to. The walker decides; this only says what it found, for `hyperstep/walk`, the Page
 * Tables panel and the console's `walk2` and `shadow`.
 */

/** How to tell one of the hart's walks. */
export interface HartWalkContext {
  access: MmuAccess;
  /** The privilege the S/VS stage checked leaves at (0 U, 1 S), and whether with V=1. */
  priv: number;
  virt: boolean;
  /** With V=1: vsatp is Bare, so the G stage translates the address itself. */
  vsBare?: boolean;
  /** SUM and MXR as the S/VS stage applied them. */
  sum: boolean;
  mxr: boolean;
  /** The tree ids that hold each stage's tables. */
  trees: { s?: string; vs?: string; g?: string };
  /** Where S-stage and G-stage tables live: `pa` on the bare board, `hpa` under a VMM. */
  space: AddressSpace;
}

const STAGE = { s: "S", vs: "VS", g: "G" } as const;
const ACCESS_WORD: Record<MmuAccess, string> = { r: "read", w: "write", x: "execute" };
const hex = (v: number | bigint) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** A PTE's low eight bits as "VRWXUGAD", "-" for each clear bit. */
export function pteFlags(pte: bigint | number): string {
  const f = Number(BigInt(pte) & 0xffn);
  let s = "";
  for (let i = 0; i < 8; i++) s += (f >> i) & 1 ? "VRWXUGAD"[i] : "-";
  return s;
}

export function modeName(priv: number, virt: boolean): string {
  return `${virt ? "V" : ""}${priv === 0 ? "U" : priv === 1 ? "S" : "M"}-mode`;
}

/** "load page fault (cause 13)": the spec's name of an exception. */
export function causeText(cause: number): string {
  const d = EXCEPTIONS.find((e) => e.code === cause)?.description ?? `exception ${cause}`;
  return `${d[0].toLowerCase()}${d.slice(1)} (cause ${cause})`;
}

/** One stage's root CSR as the console and the panel name it: "vsatp Sv39 ASID 1 root gpa 0x80001000". */
export function rootText(name: "satp" | "vsatp" | "hgatp", value: bigint, tableSpace: AddressSpace): string {
  const v = BigInt.asUintN(64, value);
  if (v >> 60n !== 8n) return `${name} Bare`;
  const g = name === "hgatp";
  const id = Number((v >> 44n) & (g ? 0x3fffn : 0xffffn));
  const root = (v & (g ? 0xffffffffffcn : 0xfffffffffffn)) << 12n;
  return `${name} ${g ? "Sv39x4 VMID" : "Sv39 ASID"} ${id} root ${tableSpace} ${hex(root)}`;
}

function lastOf<T>(list: readonly T[], test: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i])) return list[i];
  return undefined;
}

/** A walk being told: its context, and which of its G-stage PTEs translate the access's own GPA. */
class Telling {
  /** The other G-stage PTEs locate VS-stage PTEs: implicit reads, checked as reads. */
  readonly ofAccess = new Set<WalkStep>();

  constructor(readonly w: Walk, readonly ctx: HartWalkContext) {
    let vsDone = ctx.vsBare === true;
    for (const s of w.steps) {
      if (s.stage === "vs" && s.permits) vsDone = true;
      else if (s.stage === "g" && vsDone) this.ofAccess.add(s);
    }
  }

  /** The access a leaf was checked for. */
  accessAt(s: WalkStep): MmuAccess {
    return s.stage === "g" && !this.ofAccess.has(s) ? "r" : this.ctx.access;
  }

  /** Why a walk stopped, in a sentence. */
  stopText(): string {
    const stop = this.w.stop;
    if (!stop) return "the walk failed";
    const at = stop.pteAddr === undefined ? "" : ` at ${stop.stage === "vs" ? "hpa" : this.ctx.space} ${hex(stop.pteAddr)}`;
    const pte = `the level-${stop.level} PTE${at}`;
    switch (stop.why) {
      case "va-range": return "the address is not sign-extended from bit 38, as Sv39 requires";
      case "pa-range": return "untranslated, it is not a physical address";
      case "gpa-range": return "the guest-physical address has bits set above bit 40 (Sv39x4 takes 41 bits)";
      case "pmp": return `PMP denies reading ${pte}`;
      case "no-memory": return `${pte} is not in RAM, where page tables must be (an access fault)`;
      case "invalid": return `${pte} is not valid (V = 0)`;
      case "reserved": return `${pte} is reserved (bits 63:54 set, or W without R)`;
      case "no-leaf": return `${pte} points to a further table, and there is no level below 0`;
      case "misaligned": return `${pte} is a superpage whose PPN is not aligned to its size`;
      case "permission": {
        const leaf = lastOf(this.w.steps, (s) => s.permits === false);
        return leaf ? this.refusal(leaf) : `${pte} does not permit the access`;
      }
    }
  }

  /** Why a leaf the walker refused does not permit the access, from its flags and the rules it applied. */
  refusal(s: WalkStep): string {
    const f = Number(s.pte & 0xffn);
    const has = (bit: number) => (f & bit) !== 0;
    const g = s.stage === "g";
    const access = this.accessAt(s);
    const { priv, virt, sum } = this.ctx;
    const what = `the ${STAGE[s.stage]}-stage leaf`;
    if (g && !has(16)) return `${what} lacks U: every G-stage access counts as a U-mode access`;
    if (!g && priv === 0 && !has(16)) return `${what} lacks U: ${modeName(0, virt)} may only use U pages`;
    if (!g && priv === 1 && has(16) && access === "x") return `${what} is a U page: ${modeName(1, virt)} never executes U pages`;
    if (!g && priv === 1 && has(16) && !sum) return `${what} is a U page: ${modeName(1, virt)} reaches it only with SUM = 1`;
    if (access === "r") return `${what} permits no read (R = 0${has(8) ? ", and MXR = 0 does not let X stand for it" : ""})`;
    return `${what} permits no ${ACCESS_WORD[access]} (${access === "w" ? "W" : "X"} = 0)`;
  }

  notes(s: WalkStep): string[] {
    const out: string[] = [];
    const stage = STAGE[s.stage];
    if (s.permits === true) {
      const who = s.stage === "g" ? "as a U-mode access (U = 1)" : `from ${modeName(this.ctx.priv, this.ctx.virt)}`;
      const f = Number(s.pte & 0xffn);
      const sets = s.sets ? `; the hardware walker sets ${s.sets === 0xc0 ? "A and D" : s.sets === 0x40 ? "A" : "D"}` : "";
      out.push(`ok   ${stage}: the leaf permits a ${ACCESS_WORD[this.accessAt(s)]} ${who}`, `A/D  ${stage}: A=${(f >> 6) & 1} D=${(f >> 7) & 1}${sets}`);
    } else if (s.permits === false) {
      out.push(`FAIL ${stage}: ${this.refusal(s)}`);
    }
    const stop = this.w.stop;
    if (stop && stop.why !== "permission" && s === this.w.steps.at(-1) && stop.pteAddr === s.pteAddr && stop.stage === s.stage) out.push(`FAIL ${stage}: ${this.stopText()}`);
    return out;
  }

  /** "store/AMO guest-page fault (cause 23) at the G stage, gpa 0x10000000 (htval 0x4000000): …". */
  faultText(): string {
    const w = this.w;
    const cause = Number(w.fault);
    const stage = w.stop && this.ctx.virt ? ` at the ${STAGE[w.stop.stage]} stage` : "";
    const gpa = cause === 20 || cause === 21 || cause === 23 ? lastOf(w.steps, (s) => s.stage === "g")?.gpaWalked ?? w.gpa : undefined;
    const htval = gpa === undefined ? "" : `, gpa ${hex(gpa)} (htval ${hex(Math.floor(gpa / 4))})`;
    return `${causeText(cause)}${stage}${htval}: ${this.stopText()}`;
  }

  part(title: string): WalkPart {
    const { w, ctx } = this;
    let vsLevel = 2;
    const steps = w.steps.map((s, i): WalkPartStep => {
      const vs = s.stage === "vs";
      const step: WalkPartStep = {
        stage: s.stage, level: s.level, index: s.index, tree: ctx.trees[s.stage],
        pteAddr: BigInt(vs ? s.gpa! : s.pteAddr), space: vs ? "gpa" : ctx.space, pte: s.pte, ref: i + 1, notes: this.notes(s),
      };
      if (vs) {
        step.hpa = BigInt(s.pteAddr);
        vsLevel = s.level - 1;
      }
      if (s.stage === "g" && s.level === 2 && s.gpaWalked !== undefined) {
        step.begins = { gpa: BigInt(s.gpaWalked), purpose: this.ofAccess.has(s) ? "the access's guest-physical address" : `where the VS level-${vsLevel} PTE lives` };
      }
      return step;
    });
    const ok = w.fault === undefined;
    const via = ctx.virt && w.gpa !== undefined ? `gpa ${hex(w.gpa)} → ` : "";
    return { by: "hart", title, steps, ok, end: ok ? `${via}${ctx.space} ${hex(w.pa!)}` : this.faultText() };
  }
}

/** The hart's walk as a WalkPart: each PTE with its stage, tree, reference number and what was found there. */
export function hartPart(w: Walk, ctx: HartWalkContext, title: string): WalkPart {
  return new Telling(w, ctx).part(title);
}

/** Why the hart's walk faulted, with the cause and the stage. */
export function faultText(w: Walk, ctx: HartWalkContext): string {
  return new Telling(w, ctx).faultText();
}

/** The two-stage walk of a guest access as an AddressWalk: the hart's order, a G-stage walk before each VS PTE. */
export function twoStageAddressWalk(t: TwoStageWalk, trees: HartWalkContext["trees"], space: AddressSpace): AddressWalk {
  const ctx: HartWalkContext = { access: t.access, priv: t.priv, virt: true, vsBare: t.vsatp >> 60n !== 8n, sum: t.sum, mxr: t.vsMxr || t.hsMxr, trees, space };
  const title = twoStageTitle(t, space);
  const part = hartPart(t.walk, ctx, title);
  const w = t.walk;
  const result: AddressWalk["result"] = w.fault === undefined
    ? { kind: "translated", text: `${space} ${hex(w.pa!)} (gpa ${hex(w.gpa!)})`, addr: BigInt(w.pa!), space }
    : { kind: "fault", text: faultText(w, ctx) };
  return { va: t.gva, access: t.access, title, note: t.note, parts: [part], references: w.steps.length, result };
}

/** "read from VS-mode; vsatp Sv39 ASID 1 root gpa 0x…; hgatp Sv39x4 VMID 1 root hpa 0x…" */
export function twoStageTitle(t: TwoStageWalk, space: AddressSpace): string {
  return `${ACCESS_WORD[t.access]} from ${modeName(t.priv, true)}; ${rootText("vsatp", t.vsatp, "gpa")}; ${rootText("hgatp", t.hgatp, space)}`;
}
