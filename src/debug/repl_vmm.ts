import { disassemble } from "../asm/disasm";
import { EXIT_REASON_IDS, type ExitReason, type VmExit } from "../hypervisor/exits";
import type { PteView, Sv39Walk } from "../hypervisor/page_tables";
import { evaluate, ExprError, type ExprEnv } from "./expressions";
import type { SymbolTable } from "./symbols";
import type { Target } from "../hypervisor/target";
import { NO_VMM, vmmOf } from "./vmm";

/** The debug console's VMM commands: `exits [reason] [n]`, `stats`, `shadow <gva>`. */
export const VMM_HELP = `  exits [REASON] [N]   the last N VM exits (default 20), newest last: seq, reason, pc, instruction, what the VMM did, cycles
  stats                exits and modelled cycles by reason, exits per million instructions, slowdown against native
  shadow GVA           the guest's walk, the p2m step and the shadow walk of one address, side by side
`;
export const VMM_COMMANDS = ["exits", "stats", "shadow"];

interface VmmContext {
  target: Target;
  env: ExprEnv;
  symbols: SymbolTable;
}

const hex = (v: bigint | number) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

function instructionText(e: VmExit): string {
  return e.instruction ? disassemble(e.instruction.bits, e.pc).text.replace(/\t/g, " ") : "—";
}

export function exitsCommand(words: string[], ctx: VmmContext): string {
  const vmm = vmmOf(ctx.target);
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
  const lines = page.exits.map((e) => {
    const sym = ctx.symbols.describe(e.pc);
    return `#${String(e.seq).padEnd(6)} ${e.reason.padEnd(17)} ${hex(e.pc)}${sym ? ` <${sym}>` : ""}  ${instructionText(e).padEnd(22)} ${e.action}  (${e.cycles} cycles)`;
  });
  if (total > page.exits.length) lines.unshift(`(the last ${page.exits.length} of ${total}${page.dropped ? `; ${page.dropped} dropped from the log` : ""})`);
  return lines.join("\n");
}

export function statsCommand(ctx: VmmContext): string {
  const vmm = vmmOf(ctx.target);
  if (!vmm) return NO_VMM;
  const s = vmm.stats();
  const lines = [`${"reason".padEnd(18)}${"count".padStart(10)}${"cycles".padStart(14)}`];
  for (const r of s.byReason) lines.push(`${r.reason.padEnd(18)}${String(r.count).padStart(10)}${String(r.cycles).padStart(14)}`);
  lines.push(`${"total".padEnd(18)}${String(s.exits).padStart(10)}${String(s.exitCycles).padStart(14)}`);
  lines.push(
    `guest instructions: ${s.guestInstructions}`,
    `exits per million instructions: ${s.exitsPerMillionInstructions.toFixed(1)}`,
    `modelled cycles: ${s.virtualizedCycles} virtualized against ${s.nativeCycles} native (1 per instruction): slowdown ×${s.slowdown.toFixed(2)}`,
    `shadow tables: ${s.shadow.roots} roots, ${s.shadow.entries} entries (${s.shadow.stale} stale), ${s.shadow.writeProtectedPages} write-protected guest pages`,
  );
  return lines.join("\n");
}

function walkLines(w: Sv39Walk | undefined, space: string): string[] {
  if (!w) return [];
  return w.steps.map((p: PteView) => `L${p.level}[${p.index}] ${space}:${hex(p.pteAddr)} = ${hex(p.pte)} ${p.flags}`);
}

export function shadowCommand(rest: string, ctx: VmmContext): string {
  const vmm = vmmOf(ctx.target);
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
