import { disassemble } from "../asm/disasm";
import { NO_VMM } from "./vmm";
import { EXIT_REASON_IDS, formatWalk2, type ExitReason, type VmExit } from "../target/vmm_vocabulary";
import type { PteView, Sv39Walk } from "../hypervisor/mm/page_tables";
import { describeEnd, type TechniqueComparison, type TechniqueRun } from "../target/technique_comparison";
import { evaluate, ExprError, type ExprEnv } from "./expressions";
import type { SymbolTable } from "./symbols";
import type { Target } from "../target/target";
import { table, wrap } from "./console_text";

/** The debug console's VMM commands: `exits [reason] [n]`, `stats`, `shadow <gva>`, `walk2 <gva>`. */
export const VMM_HELP = `  exits [REASON] [N]   the last N VM exits (default 20), newest last: number, reason, pc, instruction,
                         then what the VMM did and its modelled cycles
  stats                exits and modelled cycles by reason, exits per million instructions, slowdown against native,
                         and the same guest run afresh under the other techniques up to the same instruction count
  shadow GVA           the guest's walk, the p2m step and the shadow walk of one address, side by side (trap-and-emulate)
  walk2 GVA [r|w|x]    the two-stage walk of one address (hardware-assisted): every PTE fetched, VS and G stage,
                         its address, the permission checks, A/D, and the count of memory references
  hypercalls [NAME] [N] the last N hypercalls (paravirtual) with their arguments and results, or those of
                         one NAME (mmu_update, mmuext_op, console_io, …)
  pv                   the paravirtual interface: start info, shared info (pending and masked events),
                         the address space, the pinned page tables, the trap vector and event callback
`;
export const VMM_COMMANDS = ["exits", "stats", "shadow", "walk2", "hypercalls", "pv"];

interface VmmContext {
  target: Target;
  env: ExprEnv;
  symbols: SymbolTable;
}

const EXIT_HEAD = "exit";

const hex = (v: bigint | number) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

function instructionText(e: VmExit): string {
  return e.instruction ? disassemble(e.instruction.bits, e.pc).text.replace(/\t/g, " ") : "—";
}

export function exitsCommand(words: string[], ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  let reason: ExitReason | undefined;
  let n = 20;
  for (const w of words) {
    if (/^\d+$/.test(w)) n = Number(w);
    else if ((EXIT_REASON_IDS as readonly string[]).includes(w)) reason = w as ExitReason;
    else throw new ExprError(`exits: '${w}' is neither a count nor an exit reason (${EXIT_REASON_IDS.join(", ")})`);
  }
  const total = vmm.exits({ reasons: reason ? [reason] : undefined, count: 0 }).total;
  const page = vmm.exits({ reasons: reason ? [reason] : undefined, start: Math.max(0, total - n), count: n });
  if (page.exits.length === 0) return reason ? `no '${reason}' exits yet` : "no VM exits yet";
  return exitRows(page.exits, total, page.dropped, ctx);
}

/** Exits as the console shows them: two lines an exit, so that a row fits. */
function exitRows(exits: readonly VmExit[], total: number, dropped: number, ctx: VmmContext): string {
  // Where it happened, then what the VMM did.
  const seqWidth = Math.max(EXIT_HEAD.length, ...exits.map((e) => String(e.seq).length));
  // As wide as the reasons shown, not the longest there is: a row must fit an 80-column console.
  const reasonWidth = Math.max("reason".length, ...exits.map((e) => e.reason.length));
  const below = " ".repeat(seqWidth + 2);
  const lines = wrap(`${EXIT_HEAD.padStart(seqWidth)}  ${"reason".padEnd(reasonWidth)}  guest pc and instruction, then what the VMM did`, below + " ".repeat(reasonWidth + 2));
  for (const e of exits) {
    const sym = ctx.symbols.describe(e.pc);
    const where = `${String(e.seq).padStart(seqWidth)}  ${e.reason.padEnd(reasonWidth)}  ${hex(e.pc)}${sym ? ` <${sym}>` : ""}  ${instructionText(e)}`;
    lines.push(...wrap(where, below + " ".repeat(reasonWidth + 2)), ...wrap(`${below}${e.action}  (${e.cycles} cycles)`, below));
  }
  if (total > exits.length) lines.unshift(`(the last ${exits.length} of ${total}${dropped ? `; ${dropped} dropped from the log` : ""})`);
  return lines.join("\n");
}

/** `hypercalls [NAME] [N]`: the last N hypercalls (paravirtual), or those of one name, e.g. mmu_update. */
export function hypercallsCommand(words: string[], ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  let name: string | undefined;
  let n = 20;
  for (const w of words) {
    if (/^\d+$/.test(w)) n = Number(w);
    else name = w;
  }
  const reasons = EXIT_REASON_IDS.filter((r) => r.startsWith("hypercall-") || r === "pv-violation");
  const all = vmm.exits({ reasons, count: Number.MAX_SAFE_INTEGER });
  const calls = all.exits.filter((e) => e.details.hypercall !== undefined && (name === undefined || e.details.hypercall.startsWith(`${name}(`)));
  if (calls.length === 0) return name ? `no ${name} hypercalls yet` : `no hypercalls yet (the guest runs under ${vmm.technique})`;
  return exitRows(calls.slice(-n), calls.length, all.dropped, ctx);
}

/** `pv`: what a paravirtualized guest shares with the VMM. */
export function pvCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const pv = vmm.paravirtualState();
  if (!pv) return `pv shows the paravirtual interface, but this VM runs ${vmm.technique}`;
  const tables = (level: number) => pv.tables.filter((t) => t.level === level).map((t) => hex(t.mfn)).join(" ") || "—";
  const ports = (bits: bigint) => (bits === 0n ? "none" : [...bits.toString(2)].reverse().flatMap((b, i) => (b === "1" ? [String(i)] : [])).join(" "));
  return [
    `start info at ${hex(pv.startInfoVa)}: ${pv.nrPages} frames from machine frame ${hex(pv.firstMfn)} (mfn = ${hex(pv.firstMfn)} + pfn)`,
    `shared info at ${hex(pv.sharedInfoVa)}: pending ports ${ports(pv.pending)}, masked ${ports(pv.mask)}, time ${hex(pv.time)}`,
    `address space: root ${hex(pv.rootMfn)}, ASID ${pv.asid}`,
    `pinned roots (level 2): ${tables(2)}`,
    `pinned level-1 tables:  ${tables(1)}`,
    `pinned level-0 tables:  ${tables(0)}`,
    `spare page-table frames: ${tables(-1)}`,
    `trap vector ${hex(pv.trapVector)}, event callback ${hex(pv.callback)}, timer ${pv.timerPort === undefined ? "not bound" : `on port ${pv.timerPort}`}`,
  ].join("\n");
}

export function statsCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const s = vmm.stats();
  const lines = table([
    ["reason", "count", "cycles"],
    ...s.byReason.map((r) => [r.reason, String(r.count), String(r.cycles)]),
    ["total", String(s.exits), String(s.exitCycles)],
  ]);
  lines.push(
    "",
    `guest instructions: ${s.guestInstructions}`,
    `exits per million instructions: ${s.exitsPerMillionInstructions.toFixed(1)}`,
    `modelled cycles: ${s.virtualizedCycles} virtualized against ${s.nativeCycles} native (1 per instruction): slowdown ×${s.slowdown.toFixed(2)}`,
    `shadow tables: ${s.shadow.roots} roots, ${s.shadow.entries} entries (${s.shadow.stale} stale), ${s.shadow.writeProtectedPages} write-protected guest pages`,
  );
  const c = vmm.compareTechniques();
  if (c) lines.push("", ...comparisonLines(c));
  return lines.flatMap((l) => wrap(l, "  ")).join("\n");
}

const perMillion = (r: TechniqueRun) => (r.instructions > 0n ? (r.exits * 1e6) / Number(r.instructions) : 0);
const slowdown = (r: TechniqueRun) => (r.instructions > 0n ? r.modelledCycles / Number(r.instructions) : 1);

/**
 * The same guest under each technique up to the same instruction count. One column per technique
 * (at most three run), one row per measure, then the exits by reason: a row per technique would be
 * seven numbers wide, too wide for the console.
 */
function comparisonLines(c: TechniqueComparison): string[] {
  const lines = [c.capped
    ? `compared over the first ${c.instructions} instructions only (capped; this VM has run further, so compare the rates, not the totals):`
    : `compared over the same ${c.instructions} instructions, the same guest run afresh under each technique:`];
  const row = (label: string, cell: (r: TechniqueRun) => string) => [label, ...c.runs.map(cell)];
  const reasons = [...new Set(c.runs.flatMap((r) => r.byReason.map((b) => b.reason)))];
  lines.push(...table([
    row("", (r) => r.technique),
    row("", (r) => (r.current ? "(this VM)" : "")),
    row("instructions", (r) => String(r.instructions)),
    row("exits", (r) => String(r.exits)),
    row("exits/M instr", (r) => perMillion(r).toFixed(1)),
    row("exit cycles", (r) => String(r.exitCycles)),
    row("modelled cycles", (r) => String(r.modelledCycles)),
    row("slowdown", (r) => `×${slowdown(r).toFixed(2)}`),
    ...(reasons.length > 0 ? [[], row("exits by reason", () => ""), ...reasons.map((reason) =>
      row(reason, (r) => String(r.byReason.find((b) => b.reason === reason)?.count ?? 0)))] : []),
  ]));
  for (const r of c.runs) if (r.end.kind !== "goal") lines.push(`${r.technique} ended (${describeEnd(r.end)}) before reaching ${c.instructions} instructions`);
  for (const u of c.unavailable) lines.push(`${u.technique}: not run: ${u.why}`);
  return lines;
}

const WALK2_ACCESS = /^(.*?)(?:\s+([rwx]))?$/;

/** `walk2 <gva> [r|w|x]`: the two-stage walk under hardware assistance; elsewhere, where to look instead. */
export function walk2Command(rest: string, ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return "no VMM: the guest runs natively, with one stage of translation; use `walk <va>` for its page-table walk";
  const m = WALK2_ACCESS.exec(rest.trim());
  if (!m || !m[1]) throw new ExprError("walk2 needs a guest-virtual address, e.g. walk2 0x40000000 or walk2 sp w");
  const view = vmm.twoStageWalk(evaluate(m[1], ctx.env), (m[2] ?? "r") as "r" | "w" | "x");
  if (!view) {
    return `walk2 shows the two-stage walk of hardware assistance, but this VM runs ${vmm.technique}: the hart walks the VMM's shadow table. ` +
      "Use `shadow <gva>` for the guest's walk, the p2m step and the shadow walk side by side, or `walk <va>` for the guest's own walk.";
  }
  const note = view.fromMachineMode
    ? "the vCPU is in virtual M-mode, which runs trap-and-emulated (on a shadow of its physical view), not in VS-mode: walking as its S-mode would, with the same vsatp\n"
    : "";
  return (note + formatWalk2(view.walk)).trimEnd();
}

function walkLines(w: Sv39Walk | undefined, space: string): string[] {
  if (!w) return [];
  return w.steps.map((p: PteView) => `L${p.level}[${p.index}] ${space}:${hex(p.pteAddr)} = ${hex(p.pte)} ${p.flags}`);
}

export function shadowCommand(rest: string, ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  if (!rest) throw new ExprError("shadow needs a guest-virtual address, e.g. shadow 0x80001000 or shadow sp");
  const v = vmm.shadowWalk(evaluate(rest, ctx.env));
  const guestHead = v.guest.paging ? "guest table (GVA → GPA)" : "guest: no translation (satp Bare or M-mode): GPA = GVA";
  const left = [guestHead, ...walkLines(v.guest.walk, "gpa")];
  left.push(v.guest.gpa !== undefined ? `→ gpa ${hex(v.guest.gpa)}` : `→ guest fault (cause ${v.guest.fault})`);
  const right = [`shadow (${v.shadow.rootKey}) at hpa ${hex(v.shadow.rootHpa)} (GVA → HPA)`, ...walkLines(v.shadow.walk, "hpa")];
  right.push(v.shadow.present ? `→ hpa ${hex(v.shadow.walk.pa!)}${v.shadow.stale ? " (STALE until sfence.vma)" : ""}` : "→ not filled (the next access is a hidden page fault)");
  const width = Math.max(...left.map((l) => l.length)) + 3;
  const rows = Array.from({ length: Math.max(left.length, right.length) }, (_, i) => `${(left[i] ?? "").padEnd(width)}${right[i] ?? ""}`.trimEnd());
  const p2m = v.guest.gpa === undefined ? "p2m: —" : v.hpaFromP2m !== undefined ? `p2m: gpa ${hex(v.guest.gpa)} → hpa ${hex(v.hpaFromP2m)}` : `p2m: gpa ${hex(v.guest.gpa)} has no host memory (emulated device or nothing)`;
  return [`gva ${hex(v.gva)} in context ${v.context}`, ...rows, p2m,
    v.consistent ? "consistent: the shadow maps what the guest table and the p2m say (or nothing yet)" : "INCONSISTENT: the shadow maps elsewhere than the guest table and the p2m say"].join("\n");
}
