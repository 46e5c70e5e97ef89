import { disassemble } from "../asm/disasm";
import { NO_VMM } from "./vmm";
import { EXIT_REASON_IDS, type ExitReason, type VmExit } from "../target/vmm_vocabulary";
import { describeEnd, type TechniqueComparison, type TechniqueRun } from "../target/technique_comparison";
import { shadowAddressWalk } from "../target/shadow_walk";
import { tcRowWhy, tcStatsText } from "../target/tc_text";
import { fpuSwitchText } from "../target/fpu_text";
import type { HostedVmStats, VmStats } from "../target/vmm_view";
import { OWNER_TEXT } from "../target/host_map";
import { twoStageAddressWalk } from "../target/walk_view";
import { evaluate, ExprError, type ExprEnv } from "./expressions";
import type { SymbolTable } from "./symbols";
import type { MmuAccess, Target } from "../target/target";
import { table, wrap } from "./console_text";
import { shadowText, twoStageText } from "./walk_text";
import { hostingText, vcpusText } from "../target/hosting";
import { balloonRunsText } from "./repl_balloon";

/** The debug console's VMM commands: `exits [reason] [n]`, `stats`, `shadow <gva>`, `walk2 <gva>`, `tc [gva]`. */
export const VMM_HELP = `  exits [REASON] [N]   the last N VM exits (default 20), newest last: number, reason, pc, instruction,
                         then what the VMM did and its modelled cycles
  stats                exits and modelled cycles by reason, exits per million instructions, slowdown against native,
                         and the same guest run afresh under the other techniques up to the same instruction count
  shadow GVA [r|w|x]   the guest's walk and the walk the hart makes through the shadow, side by side, and what the
                         access comes to: an address, a stale entry, a hidden page fault, an emulated device (trap-and-emulate)
  walk2 GVA [r|w|x]    the two-stage walk of one address (hardware-assisted, or the H extension natively): every PTE
                         the hart reads, VS and G stage, its address, what it checked, A/D, and the count of memory references
  tc [GVA]             binary translation: the translation cache's statistics, and the translated block that covers
                         GVA (default: the pc), guest code beside its translation, each rewrite and chain named
  tc stats             binary translation: the translation cache's statistics alone
  hypercalls [NAME] [N] the last N hypercalls (paravirtual) with their arguments and results, or those of
                         one NAME (mmu_update, mmuext_op, console_io, …)
  pv                   the paravirtual interface: start info, shared info (pending and masked events),
                         the address space, the pinned page tables, the trap vector and event callback
  iommu                pass-through: the IOMMU's registers, its latest faults and translations (IOVA → HPA)
  sharing              host memory: frames by owner, guest pages backed, and content-based page sharing's
                         pages shared, frames they share, memory saved and copy-on-write breaks
  host                 the host's RAM frame by frame as the VMM hands it out: its pools, the guest's pages
                         (with their GPAs), shared frames (with every page on them) and free frames; then
                         the guest pages in the balloon, whose frames went back to free, and those swapped out
  swap                 hypervisor swapping: the swap area used and its size, swap-outs and swap-ins, and the
                         guest pages swapped out
`;
export const VMM_COMMANDS = ["exits", "stats", "shadow", "walk2", "tc", "hypercalls", "pv", "iommu", "sharing", "host", "swap"];

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

const kib = (bytes: number) => `${(bytes / 1024).toLocaleString("en-US")} KiB`;

/** Runs `host` lists before it says how many more there are. */
const HOST_RUNS_SHOWN = 48;

/** `host`: the host's RAM as runs of frames by owner, with the guest pages behind them. */
export function hostCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const runs = vmm.hostMap();
  const hex = (n: number) => `0x${n.toString(16)}`;
  const span = (from: number, frames: number) => (frames === 1 ? hex(from) : `${hex(from)}–${hex(from + frames * 4096 - 1)}`);
  const frames = runs.reduce((n, r) => n + r.frames, 0);
  const lines = runs.slice(0, HOST_RUNS_SHOWN).map((r) => {
    // With several VMs, each guest page and pool says whose it is.
    const whose = r.vms && r.owner !== "shared" ? `${r.vms[0]}: ` : "";
    const page = (gpa: number, i: number) => (r.vms ? `${r.vms[i]} ` : "") + hex(gpa);
    const what = r.owner === "guest" ? `${whose}guest RAM, GPA ${span(r.gpas[0], r.frames)}`
      : r.owner === "shared" ? `shared by ${r.gpas.length} guest page${r.gpas.length === 1 ? "" : "s"}: GPA ${r.gpas.slice(0, 4).map(page).join(", ")}${r.gpas.length > 4 ? ", …" : ""}`
        : `${whose}${OWNER_TEXT[r.owner]}`;
    return `  ${span(r.hpa, r.frames).padEnd(23)} ${r.frames.toLocaleString("en-US").padStart(7)}  ${what}`;
  });
  const more = runs.length - HOST_RUNS_SHOWN;
  const swap = vmm.hostMemory().swap;
  return [
    `host RAM ${span(runs[0].hpa, frames)}: ${frames.toLocaleString("en-US")} frames of 4 KiB, in ${runs.length} runs by owner`,
    ...lines,
    ...(more > 0 ? [`  … ${more} more runs`] : []),
    ...balloonLines(ctx.target),
    ...(swap ? [`swap area (the host's disk): ${swappedText(swap.swapped)}`] : []),
  ].join("\n");
}

/** Swapped-out pages listed before "…". */
const SWAPPED_SHOWN = 8;

/** The guest pages in the swap area, in a line. */
function swappedText(gpas: readonly number[]): string {
  if (gpas.length === 0) return "no guest page swapped out";
  const list = gpas.slice(0, SWAPPED_SHOWN).map((g) => `0x${g.toString(16)}`).join(", ");
  return `${gpas.length} guest page${gpas.length === 1 ? "" : "s"} swapped out: GPA ${list}${gpas.length > SWAPPED_SHOWN ? ", …" : ""}`;
}

/** `swap`: hypervisor swapping's figures. */
export function swapCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const m = vmm.hostMemory();
  const s = m.swap;
  if (!s) return "hypervisor swapping is off (launch attributes hostMemory and hostSwap)";
  return [
    `swap area: ${kib(s.usedBytes)} of ${kib(s.sizeBytes)} used (${s.pagesOut} of ${s.sizeBytes / 4096} pages)`,
    `guest pages: ${m.backedPages} of ${m.guestPages} in host frames (${m.frames.free} free), ${s.pagesOut} swapped out`,
    `swap-outs: ${s.swapOuts}; swap-ins: ${s.swapIns} (${s.vmmSwapIns} by the VMM's own accesses)`,
    swappedText(s.swapped),
  ].join("\n");
}

/** Below the runs: the guest pages in the balloon (the frames they had are among the free ones, until a page is touched again). */
function balloonLines(target: Target): string[] {
  const s = target.balloon?.status();
  if (!s) return [];
  const freed = s.vmm ? `; ${s.vmm.framesFreed.toLocaleString("en-US")} host frames freed by inflating so far` : "";
  if (s.pages.length === 0) return [`ballooned: no guest pages${freed}`];
  return [`ballooned: ${s.pages.length.toLocaleString("en-US")} guest pages (${kib(s.pages.length * 4096)}), GPA ${balloonRunsText(s.pages)}${freed}`];
}

/** `sharing`: where host memory went, and what content-based page sharing saved. */
export function sharingCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const m = vmm.hostMemory();
  const f = m.frames;
  const lines = [
    `host frames: ${f.guest} guest, ${f.shared} shared, ${f["shadow-pool"] + f["technique-pool"] + f["io-pool"]} the VMM's pools, ${f.free} free`,
    `guest pages: ${m.backedPages} of ${m.guestPages} backed${m.swap ? `, ${m.swap.pagesOut} swapped out` : ""}`,
  ];
  const s = m.sharing;
  if (!s) return [...lines, "page sharing is off (launch attribute pageSharing: { scanPagesPerTick: N })"].join("\n");
  return [
    ...lines,
    `page sharing: ${s.scanPagesPerTick} pages scanned per 10,000 guest steps, ${s.scanned} hashed so far`,
    `${s.pagesShared} guest pages share ${s.sharedFrames} host frame${s.sharedFrames === 1 ? "" : "s"}: ${kib(s.bytesSaved)} saved`,
    `${s.copies} copy-on-write break${s.copies === 1 ? "" : "s"}`,
  ].join("\n");
}

const bound = (port: number | undefined) => (port === undefined ? "not bound" : `on port ${port}`);

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
    `trap vector ${hex(pv.trapVector)}, event callback ${hex(pv.callback)}, timer ${bound(pv.timerPort)}, console ${bound(pv.consolePort)}`,
  ].join("\n");
}

/** The end of a run in the console: what virtualizing it cost, since `stats` cannot be asked any more. */
export function endOfRunCost(s: VmStats): string {
  const top = [...s.byReason].filter((r) => r.count > 0).sort((a, b) => b.count - a.count);
  const reasons = top.slice(0, 3).map((r) => `${r.reason} ${r.count}`).join(", ") + (top.length > 3 ? `, ${top.length - 3} more reasons` : "");
  return `after ${s.guestInstructions} instructions: ${s.exits} exits${reasons ? ` (${reasons})` : ""}, ${s.exitCycles} cycles in the VMM, ` +
    `×${s.slowdown.toFixed(2)} the native cost. The VM Exits view keeps this run's exits until the next session starts.`;
}

export function statsCommand(ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const s = vmm.stats();
  const selected = s.vms?.find((v) => v.selected);
  const lines = s.vms ? [...hostedVmsLines(s.vms), "", `${selected?.name} (the selected thread's VM):`] : [];
  lines.push(...table([
    ["reason", "count", "cycles"],
    ...s.byReason.map((r) => [r.reason, String(r.count), String(r.cycles)]),
    ["total", String(s.exits), String(s.exitCycles)],
  ]));
  lines.push(
    "",
    `guest instructions: ${s.guestInstructions}`,
    `exits per million instructions: ${s.exitsPerMillionInstructions.toFixed(1)}`,
    `modelled cycles: ${s.virtualizedCycles} virtualized against ${s.nativeCycles} native (1 per instruction): slowdown ×${s.slowdown.toFixed(2)}`,
    hostingText(s),
    ...vcpusText(s),
    `shadow tables: ${s.shadow.roots} roots, ${s.shadow.entries} entries (${s.shadow.stale} stale), ${s.shadow.writeProtectedPages} write-protected guest pages`,
  );
  if (s.tc) lines.push(tcStatsText(s.tc));
  lines.push(`FPU switching (${s.fpu.policy}): ${fpuSwitchText(s.fpu)}`);
  const c = vmm.compareTechniques();
  if (c) lines.push("", ...comparisonLines(c));
  return lines.flatMap((l) => wrap(l, "  ")).join("\n");
}

/** Several VMs on the host: a row for each, and their total. */
function hostedVmsLines(vms: readonly HostedVmStats[]): string[] {
  const sum = (f: (v: HostedVmStats) => number | bigint) => vms.reduce((n, v) => n + Number(f(v)), 0);
  return table([
    ["VM", "instructions", "exits", "exit cycles", "world switches"],
    ...vms.map((v) => [v.name, String(v.instructions), String(v.exits), String(v.exitCycles), String(v.worldSwitches)]),
    ["all VMs", String(sum((v) => v.instructions)), String(sum((v) => v.exits)), String(sum((v) => v.exitCycles)), String(sum((v) => v.worldSwitches))],
  ]);
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

const WITH_ACCESS = /^(.*?)(?:\s+([rwx]))?$/;

/** An address and an optional access (r, w, x; default r) from a command's arguments. */
function addressAndAccess(rest: string, ctx: VmmContext, usage: string): [bigint, MmuAccess] {
  const m = WITH_ACCESS.exec(rest.trim());
  if (!m || !m[1]) throw new ExprError(usage);
  return [evaluate(m[1], ctx.env), (m[2] ?? "r") as MmuAccess];
}

/** `walk2 <gva> [r|w|x]`: the hart's two-stage walk (the H extension); elsewhere, where to look instead. */
export function walk2Command(rest: string, ctx: VmmContext): string {
  const [gva, access] = addressAndAccess(rest, ctx, "walk2 needs a guest-virtual address, e.g. walk2 0x40000000 or walk2 sp w");
  const target = ctx.target;
  const walk = target.twoStageWalk?.(gva, access);
  if (walk) return twoStageText(twoStageAddressWalk(walk, {}, target.vmm ? "hpa" : "pa"));
  if (!target.vmm) return "the hart has no H extension, so one stage of translation: use `walk <va>` for its page-table walk";
  return `walk2 shows the two-stage walk of hardware assistance, but this VM runs ${target.technique}: the hart walks the VMM's shadow table. ` +
    "Use `shadow <gva>` for the guest's walk and the shadow walk side by side, or `walk <va>` for the guest's own walk.";
}

/** `shadow <gva> [r|w|x]`: the guest's walk and the shadow walk the hart makes, and what comes of the access. */
export function shadowCommand(rest: string, ctx: VmmContext): string {
  const target = ctx.target;
  if (!target.vmm) return NO_VMM;
  const [gva, access] = addressAndAccess(rest, ctx, "shadow needs a guest-virtual address, e.g. shadow 0x80001000 or shadow sp w");
  const two = target.twoStageWalk?.(gva, access);
  if (two && !two.note) return "the guest runs in VS/VU-mode, on no shadow: the hart walks its own table over the G stage. Use `walk2 <gva>`.";
  if (target.vmm.paravirtualState()) return "direct paging: no shadow, the hart walks the guest's own tables of machine frames. Use `walk <va>`, and `pv` for the pinned tables.";
  const view = target.vmm.shadowWalk(gva, access);
  return shadowText(view, shadowAddressWalk(view));
}

/** `tc [gva]`: the TC's statistics and the translated block that covers `gva` (default: the pc), beside its guest code; `tc stats`: the statistics alone. */
export function tcCommand(rest: string, ctx: VmmContext): string {
  const vmm = ctx.target.vmm;
  if (!vmm) return NO_VMM;
  const tc = vmm.stats().tc;
  if (!tc) return `tc shows binary translation's translation cache, but this VM runs ${vmm.technique}`;
  const head = tcStatsText(tc);
  if (rest === "stats") return wrap(head, "  ").join("\n");
  const pc = rest === "" ? ctx.target.pc : evaluate(rest, ctx.env);
  const block = vmm.tcBlock(pc);
  if (!block) return `${wrap(head, "  ").join("\n")}\nno translated block covers ${hex(pc)} (guest user code runs directly; kernel code is translated when it first runs)`;
  const sym = ctx.symbols.describe(BigInt(block.guestPc));
  const text = (bits: number, pc: number) => disassemble(bits, BigInt(pc)).text.replace(/\t/g, " ");
  const runs = (n: number) => (n === 1 ? "once" : `${n} times`);
  const rows = block.rows.map((r, i) => [
    r.guest ? hex(r.guestPc) : "", r.guest ? text(r.guest.bits, r.guestPc) : `(→ ${hex(r.guestPc)})`,
    // The first row's count is the block's, in the heading; a transfer's target inside the block has its own.
    text(r.tcBits, r.tcVa), i > 0 && r.runs !== undefined ? `${tcRowWhy(r)}; ran ${runs(r.runs)}` : tcRowWhy(r),
  ]);
  return [
    ...wrap(head, "  "), "",
    ...wrap(`block at guest ${hex(block.guestPc)}${sym ? ` <${sym}>` : ""}, in the TC at ${hex(block.rows[0].tcVa)} (shadow context ${block.context}), run ${runs(block.runs)}:`, "  "),
    ...table([["guest", "", "TC instruction", "how"], ...rows], 4),
  ].join("\n");
}
