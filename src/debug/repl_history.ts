import { evaluate, ExprError, type ExprEnv } from "./expressions";
import { splitSpace } from "./memory_refs";
import type { ReverseControl } from "./reverse";
import type { AddressSpace, Target } from "../target/target";

export const HISTORY_HELP = `  goto instr N         travel to the point where N instructions had retired (time travel)
  goto exit N          travel to just before VM exit #N
  lastwrite ADDR [LEN] travel to just before the most recent store to LEN bytes (default 8) at ADDR
                         (va: by today's page tables, pa:, or hpa: of guest RAM); the storing
                         instruction is then at pc
  history              how far back one can travel, and what the history holds
`;

/** A console command that moved the guest in time: the session reports a stop there. */
export interface Travel {
  result: string;
  travelled: boolean;
}

/** `goto`, `lastwrite` and `history`; undefined for any other command. Errors are ExprErrors. */
export function historyCommand(text: string, target: Target, reverse: ReverseControl, env: ExprEnv): Travel | undefined {
  const [cmd, ...words] = text.trim().split(/\s+/);
  if (cmd === "history" && words.length === 0) return { result: describeHistory(target), travelled: false };
  if (cmd === "goto") {
    const [what, n, ...extra] = words;
    const num = Number(n);
    if (extra.length > 0 || !Number.isSafeInteger(num) || num < 0 || (what !== "instr" && what !== "exit")) throw new ExprError("usage: goto instr N | goto exit N");
    if (!target.history.enabled) throw new ExprError("time travel is off (historyMiB is 0)");
    return { result: what === "instr" ? reverse.gotoInstruction(num) : reverse.gotoExit(num), travelled: true };
  }
  if (cmd === "lastwrite") {
    if (!target.history.enabled) throw new ExprError("time travel is off (historyMiB is 0)");
    const m = /^(\S+)(?:\s+(\S+))?$/.exec(text.trim().slice(cmd.length).trim());
    if (!m) throw new ExprError("usage: lastwrite ADDR [LEN]");
    const { space, rest } = splitSpace(m[1]);
    const addr = evaluate(rest, env);
    const length = m[2] === undefined ? 8 : Number(evaluate(m[2], env));
    if (!Number.isSafeInteger(length) || length < 1 || length > 4096) throw new ExprError("LEN must be 1 to 4096 bytes");
    const pa = physical(target, space, addr);
    const pc = reverse.lastWrite(pa, length);
    const what = `${length} byte${length > 1 ? "s" : ""} at pa 0x${pa.toString(16)}`;
    if (pc === undefined) return { result: `no store to ${what} in the recorded history`, travelled: false };
    return { result: `the last store to ${what}: the instruction at pc 0x${pc.toString(16)} (step ${target.history.position})`, travelled: true };
  }
  return undefined;
}

function physical(target: Target, space: AddressSpace, addr: bigint): bigint {
  if (!target.addressSpaces.includes(space)) throw new ExprError(`this target has no ${space}: address space (it has ${target.addressSpaces.join(", ")})`);
  if (space === "pa" || space === "gpa") return addr;
  if (space === "hpa") {
    // The guest's RAM seen from the host, as a paravirtual guest's PTEs name it (machine addresses).
    const gpa = target.vmm?.guestPhysicalOf(addr);
    if (gpa === undefined) throw new ExprError(`lastwrite watches the guest's memory: hpa 0x${addr.toString(16)} is not the guest's RAM`);
    return gpa;
  }
  const t = target.translate(addr, "w");
  if (!t.ok) throw new ExprError(`0x${addr.toString(16)} is not mapped for writing now: give its pa:`);
  return t.pa;
}

function describeHistory(target: Target): string {
  const s = target.history.stats();
  if (!s.enabled) return "time travel is off (historyMiB is 0)";
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `steps ${s.oldest.toLocaleString("en-US")} … ${s.newest.toLocaleString("en-US")} recorded; now at step ${s.position.toLocaleString("en-US")}`,
    `${s.snapshots} snapshot${s.snapshots === 1 ? "" : "s"}, ${mib(s.bytes)} of ${mib(s.budgetBytes)}`,
  ].join("\n");
}
