/**
 * Random guests under fuzzing: instruction words (guest_cases.ts) run for a bounded number of steps
 * natively and under every VMM technique that keeps equivalence (EQUIVALENT_TECHNIQUES).
 *
 * The promise checked: no exception escapes; each run is deterministic (run twice, the same end);
 * every technique ends where native does (registers, pc, privilege, instructions retired, and the
 * bytes of guest RAM, where a store the VMM misplaced shows); and under a VMM no store the hart
 * executes lands in host RAM outside the guest's (the VMM's own memory, watched while the guest runs).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { VMM_BASE } from "../../src/hypervisor/vm";
import { readGuestImage, type GuestProgram } from "../../src/asm/guest_image";
import { createTarget } from "../../src/target/create_target";
import { EQUIVALENT_TECHNIQUES, type Technique } from "../../src/target/techniques";
import type { Target } from "../../src/target/target";
import { VmTarget } from "../../src/target/vm_target";
import { guestCase } from "./guest_cases";
import type { FuzzTarget, Verdict } from "./target";

export interface GuestInput {
  /** The instruction words, from the guest's entry on (after the set-up). */
  words: number[];
  /** Whether a trap handler that skips the trapping instruction is installed first. */
  handler: boolean;
  /** x1…x31 as the words begin. */
  registers: bigint[];
}

/** Each technique's end, as compared: one line per part. */
export type GuestReport = Partial<Record<Technique, Record<string, string>>>;

/** Steps (instructions and traps) each run may take. */
const STEPS = 3000;
const GUEST_RAM = 2 << 20;

export const guestTarget: FuzzTarget<GuestInput, GuestReport> = {
  run: runGuest,
  ciCases: 100,
  cases: () => guestCase,
  save(input, base) {
    writeFileSync(`${base}.S`, guestSource(input));
    writeFileSync(`${base}.json`, JSON.stringify(input, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));
    return [`${base}.S`, `${base}.json`];
  },
};

/**
 * The guest as assembly a person can run (`hyperstep run --technique … FILE.S`). The handler, when
 * there is one, skips 4 bytes from mepc and returns; it uses only mscratch, so the registers stay
 * the case's.
 */
export function guestSource(input: GuestInput): string {
  const lines = [".section .text", ".globl _start", "_start:"];
  if (input.handler) lines.push("  la t0, handler", "  csrw mtvec, t0", "  j setup", "  .balign 4", "handler:", "  csrw mscratch, t0", "  csrr t0, mepc", "  addi t0, t0, 4", "  csrw mepc, t0", "  csrr t0, mscratch", "  mret", "setup:");
  input.registers.forEach((v, i) => lines.push(`  li x${i + 1}, 0x${v.toString(16)}`));
  lines.push("  .balign 4", "words:");
  for (const w of input.words) lines.push(`  .word 0x${w.toString(16).padStart(8, "0")}`);
  return lines.join("\n") + "\n";
}

function runGuest(input: GuestInput): Verdict<GuestReport> {
  const image = readGuestImage("fuzz.S", new TextEncoder().encode(guestSource(input)));
  if (!image.ok) return { report: {}, problems: [`the case's source does not assemble: ${image.error}`] };
  const problems: string[] = [];
  const report: GuestReport = {};
  for (const technique of EQUIVALENT_TECHNIQUES) {
    const [first, second] = [runOnce(image.program, technique), runOnce(image.program, technique)];
    report[technique] = first.end;
    problems.push(...first.escapes.map((e) => `${technique}: ${e}`));
    const differs = partsDiffering(first.end, second.end);
    if (differs.length) problems.push(`${technique} is not deterministic: ${differs.join("; ")}`);
  }
  const native = report.native!;
  for (const technique of EQUIVALENT_TECHNIQUES.filter((t) => t !== "native")) {
    const differs = partsDiffering(native, report[technique]!);
    if (differs.length) problems.push(`${technique} ends differently from native: ${differs.join("; ")}`);
  }
  return { report, problems };
}

function runOnce(program: GuestProgram, technique: Technique): { end: Record<string, string>; escapes: string[] } {
  const created = createTarget(program, { technique, memoryBytes: GUEST_RAM, historyBytes: 0, uartOut: { write: () => {} }, uartIn: { read: () => -1 } });
  if (!created.ok) throw new Error(`${technique} refused the guest: ${created.error}`);
  const t = created.target;
  const escapes: string[] = [];
  const unwatch = t instanceof VmTarget ? watchVmmMemory(t, escapes) : undefined;
  const stop = t.run(STEPS);
  unwatch?.();
  return { end: endState(t, stop.kind), escapes };
}

/** Records each store the hart makes into host RAM below the guest's: the VMM's pools and tables. */
function watchVmmMemory(t: VmTarget, escapes: string[]): () => void {
  const vm = t.vm;
  return vm.board.watchWrites(VMM_BASE, vm.p2m.regions()[0].hpa - VMM_BASE, (pa, value, width) => {
    escapes.push(`a ${width}-byte store of 0x${value.toString(16)} landed at host 0x${pa.toString(16)}, outside guest RAM (pc 0x${t.pc.toString(16)})`);
  });
}

function endState(t: Target, stop: string): Record<string, string> {
  const ram = t.readMemory("pa", 0x8000_0000n, GUEST_RAM);
  return {
    stop,
    pc: `0x${t.pc.toString(16)}`,
    privilege: String(t.priv),
    instret: String(t.instret),
    registers: Array.from({ length: 31 }, (_, i) => `x${i + 1}=0x${t.getReg(i + 1).toString(16)}`).join(" "),
    ram: ram ? createHash("sha256").update(ram).digest("hex").slice(0, 16) : "unreadable",
  };
}

function partsDiffering(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} vs ${b[k]}`);
}
