import type { AddressWalk, WalkPart, WalkPartStep } from "../target/target";
import type { ShadowWalkView } from "../target/vmm_view";
import { pteFlags } from "../target/walk_view";

/** The console's text of walks: `walk2`'s aligned trace of a two-stage walk, and `shadow`'s two columns. */

const hex = (v: number | bigint) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** Where a PTE leads: the next table, the page it maps (in the stage's output space), or nowhere. */
function leadsTo(s: WalkPartStep): string {
  if ((s.pte & 1n) === 0n) return "invalid";
  const target = hex(((s.pte >> 10n) & ((1n << 44n) - 1n)) << 12n);
  return (s.pte & 0xen) === 0n ? `table ${s.space} ${target}` : `page ${s.stage === "vs" ? "gpa" : s.space} ${target}`;
}

/**
 * `walk2 <gva>`: the hart's two-stage walk as an aligned trace, every PTE numbered in the order the
 * hardware reads it, each G-stage walk headed by what it locates, and what the walker found.
 */
export function twoStageText(w: AddressWalk): string {
  const part = w.parts[0];
  const lines = [`walk2 gva ${hex(w.va)}: ${w.title}`];
  if (w.note) lines.push(`(${w.note})`);
  if (part.steps.length) lines.push(`${"ref".padStart(4)}  ${"stage".padEnd(5)} ${"lvl".padEnd(3)} ${"index".padStart(5)}  ${"PTE address".padEnd(40)} ${"PTE".padEnd(18)}  ${"flags".padEnd(8)}  maps / next`);
  let indent = "";
  for (const s of part.steps) {
    if (s.begins) {
      indent = s.begins.purpose.startsWith("where") ? "  " : "";
      lines.push(`${indent}G-stage walk of gpa ${hex(s.begins.gpa)} (${s.begins.purpose}):`);
    }
    if (s.stage === "vs") indent = "";
    const where = s.hpa !== undefined ? `${s.space} ${hex(s.pteAddr)} = hpa ${hex(s.hpa)}` : `${s.space} ${hex(s.pteAddr)}`;
    const stage = s.stage.toUpperCase();
    lines.push(`${String(s.ref).padStart(4)}  ${indent}${stage.padEnd(5 - indent.length)} ${String(s.level).padEnd(3)} ${String(s.index).padStart(5)}  ${where.padEnd(40)} ${`0x${s.pte.toString(16).padStart(16, "0")}`.padEnd(18)}  ${pteFlags(s.pte)}  ${leadsTo(s)}`);
    for (const n of s.notes) lines.push(`      ${indent}${n}`);
  }
  const refs = `${w.references} memory reference${w.references === 1 ? "" : "s"}`;
  lines.push(part.ok ? `result: gva ${hex(w.va)} → ${part.end}; ${refs}` : `fault: ${part.end}; ${refs}`);
  return lines.join("\n");
}

function pteLines(part: WalkPart): string[] {
  return part.steps.map((s) => `L${s.level}[${s.index}] ${s.space}:${hex(s.pteAddr)} = ${hex(s.pte)} ${pteFlags(s.pte)}`);
}

/** `shadow <gva>`: the guest's walk beside the walk the hart makes through the shadow, then what comes of it. */
export function shadowText(v: ShadowWalkView, w: AddressWalk): string {
  const [guest, hart] = w.parts;
  const left = [guest.title, ...pteLines(guest), `→ ${guest.end}`];
  const right = [hart.title, ...pteLines(hart), hart.ok ? `→ ${hart.end}` : `→ stops: ${hart.end}`];
  const width = Math.max(...left.map((l) => l.length)) + 3;
  const rows = Array.from({ length: Math.max(left.length, right.length) }, (_, i) => `${(left[i] ?? "").padEnd(width)}${right[i] ?? ""}`.trimEnd());
  const p2m = v.guest.gpa === undefined ? "p2m: —" : v.hpaFromP2m !== undefined ? `p2m: gpa ${hex(v.guest.gpa)} → hpa ${hex(v.hpaFromP2m)}` : `p2m: gpa ${hex(v.guest.gpa)} has no host memory (emulated device or nothing)`;
  const agreement = v.consistent ? "consistent: the shadow maps what the guest table and the p2m say (or nothing yet)"
    : v.shadow.stale ? "stale: the shadow entry disagrees with the guest's table until the guest's sfence.vma"
      : "INCONSISTENT: the shadow maps elsewhere than the guest table and the p2m say";
  return [`gva ${hex(v.gva)} in context ${v.context}`, ...rows, p2m, agreement, `result: ${w.result.text}`].join("\n");
}
