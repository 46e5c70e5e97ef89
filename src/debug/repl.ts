import { EXIT_REASON_IDS } from "../target/vmm_vocabulary";
import type { Target } from "../target/target";
import type { DeviceNode } from "../target/inspect";
import { causeName } from "../isa/causes";
import { CSR, CSRS } from "../isa/csrs";
import { CSR_FIELDS, summarize } from "../isa/csr_fields";
import type { Disassembler } from "./disassembly";
import { assignExpr, evaluate, evaluateExpr, ExprError, parseExpression, type Assigned, type ExprEnv } from "./expressions";
import { formatMemoryRef, splitSpace } from "./memory_refs";
import { PRIVILEGE_NAMES, REGISTER_NAMES, formatHex, formatPrivilege } from "./registers";
import type { SymbolTable } from "./symbols";
import { tlbFlags } from "./variables";
import { HISTORY_HELP } from "./repl_history";
import { BALLOON_HELP, balloonCommand } from "./repl_balloon";
import { cFirst, type ParsedC } from "./c_expr/in_frame";
import { formatScalar } from "./c_expr/format";
import { VMM_COMMANDS, VMM_HELP, exitsCommand, hypercallsCommand, pvCommand, shadowCommand, sharingCommand, hostCommand, swapCommand, statsCommand, tcCommand, walk2Command } from "./repl_vmm";

export const HELP = `Hyperstep debug console. Commands:
  EXPR                 evaluate an expression (see below); also p EXPR, p/x, p/d, p/u, p/t, p/c
  LHS = EXPR           set a register, pc, CSR, CSR field or memory: a0 = 5, mstatus.MPP = 1, *(u32*)0x80001000 = 7
  x/NFU ADDR           examine memory (GDB style): N units, F format, U unit size
                         F: x hex, d signed, u unsigned, o octal, t binary, c char, a address, i instruction, s string
                         U: b byte, h halfword (2), w word (4), g giant (8); e.g. x/8xw sp, x/4i pc, x/s greeting
                         ADDR may start with pa: (guest-physical) or va: (virtual, the default)
  info registers [R…]  general registers (or the named ones), pc and the privilege mode
  info csrs            every implemented CSR, with decoded fields
  info tlb             the TLB's cached translations (which may be stale until sfence.vma)
  info devices [ID]    the devices' state as the Devices view shows it (e.g. info devices virtio0: its queues and requests)
  walk VA [r|w|x]      walk the page tables for VA the way the hart would now, level by level
  disas [ADDR] [N]     disassemble N instructions (default 12) from ADDR (default pc)
${VMM_HELP}${BALLOON_HELP}${HISTORY_HELP}  help                 this text

Expressions are 64-bit integers:
  a0 x10 fp pc         registers by ABI or x-name
  mstatus satp         CSRs by name; mstatus.MPP, satp.MODE … their fields
  _start buffer        symbols (a label's value is its address)
  $priv $instret $cause $tval $epc   privilege, instructions retired, and the last trap's cause, tval and pc
  $virt                V on a hart with the H extension (1 in VS- and VU-mode)
  42 0x2a 0b101 'A'    numbers and characters
  *(u32*)(sp+8) *p     memory loads through the guest's translation (u8 … u64, i8 … i64; * alone is u64)
  (i32)a0              truncate and extend
  + - * / % << >> & | ^ ~ ! == != < <= > >= && ||  with C precedence; / % and comparisons are signed

In a C function (an ELF built with -g), expressions are C first, on the frame's variables:
  p->state  s.pos.x  buf[3]  *p  &x  (struct trapframe *)p->trapframe  sizeof(struct proc)  n + 1 < limit
  x/s p->name  x/3xg tf    x, walk and disas take C addresses too
What is not C (sp + 8, mstatus.MPP, $priv, a0 = 5) is read as above.
`;

export interface ReplResult {
  result: string;
  /** Set when the command changed guest state. */
  changed?: Assigned;
  /** For an expression naming a CSR with fields: expandable. */
  csr?: string;
  /** For a value that is a readable address. */
  memoryReference?: string;
  /** For a C value with children (a struct, an array, a pointer's pointee). */
  variablesReference?: number;
}

export interface ReplContext {
  target: Target;
  env: ExprEnv;
  symbols: SymbolTable;
  disasm: Disassembler;
  /** In a C frame, C expressions (c_expr/in_frame.ts), read before the machine's language. */
  c?: (text: string) => ParsedC;
}

const UNIT_BYTES: Record<string, number> = { b: 1, h: 2, w: 4, g: 8 };

/** The GDB-like debug console. Errors are thrown as ExprError with a message for the user. */
export class Repl {
  private lastFormat = "x";
  private lastUnit = "w";

  run(line: string, ctx: ReplContext): ReplResult {
    const text = line.trim();
    if (text === "" || text === "help" || text === "?") return { result: HELP };
    const [cmd, ...restWords] = text.split(/\s+/);
    const rest = text.slice(cmd.length).trim();
    if (cmd === "x" || cmd.startsWith("x/")) return { result: this.examine(cmd, rest, ctx) };
    if (cmd === "info" || cmd === "i") return { result: this.info(restWords, ctx) };
    if (cmd === "walk") return { result: walk(rest, ctx) };
    if (cmd === "disas" || cmd === "disassemble") return { result: disas(restWords, ctx) };
    if (cmd === "exits") return { result: exitsCommand(restWords, ctx) };
    if (cmd === "stats" && rest === "") return { result: statsCommand(ctx) };
    if (cmd === "shadow") return { result: shadowCommand(rest, ctx) };
    if (cmd === "walk2") return { result: walk2Command(rest, ctx) };
    if (cmd === "tc") return { result: tcCommand(rest, ctx) };
    if (cmd === "hypercalls") return { result: hypercallsCommand(restWords, ctx) };
    if (cmd === "pv" && rest === "") return { result: pvCommand(ctx) };
    if (cmd === "iommu" && rest === "") return { result: iommuCommand(ctx) };
    if (cmd === "sharing" && rest === "") return { result: sharingCommand(ctx) };
    if (cmd === "host" && rest === "") return { result: hostCommand(ctx) };
    if (cmd === "swap" && rest === "") return { result: swapCommand(ctx) };
    if (cmd === "balloon") return { result: balloonCommand(rest, ctx.target) };
    if (cmd === "p" || cmd === "print" || /^p(rint)?\/[xdutc]$/.test(cmd)) return this.print(rest, cmd.split("/")[1] ?? "", ctx);
    return this.print(text, "", ctx);
  }

  private print(text: string, fmt: string, ctx: ReplContext): ReplResult {
    return cFirst(ctx.c, text, (c): ReplResult => {
      if (fmt === "") {
        const v = c.evaluate();
        return { result: v.value, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      }
      const scalar = c.scalar();
      if (!scalar) throw new ExprError(`p/${fmt} formats integers and pointers only`);
      return { result: formatScalar(scalar.bits, scalar.size, fmt) };
    }, () => this.machinePrint(text, fmt, ctx));
  }

  private machinePrint(text: string, fmt: string, ctx: ReplContext): ReplResult {
    const { target, value } = parseExpression(text);
    const v = evaluateExpr(value, ctx.env);
    if (target) {
      const changed = assignExpr(target, v, ctx.env);
      const now = evaluateExpr(target, ctx.env);
      return { result: describe(now, fmt, ctx), changed };
    }
    const out: ReplResult = { result: describe(v, fmt, ctx) };
    if (value.k === "csr" && CSR_FIELDS.has(value.name)) {
      out.csr = value.name;
      if (!fmt) out.result = `0x${v.toString(16)}  ${summarize(value.name, v)}`;
    }
    if (ctx.target.readMemory("va", v, 1)) out.memoryReference = formatMemoryRef({ space: "va", addr: v });
    return out;
  }

  private examine(cmd: string, rest: string, ctx: ReplContext): string {
    const m = /^x(?:\/(\d*)([xduotcais]?)([bhwg]?)([xduotcais]?))?$/.exec(cmd);
    if (!m) throw new ExprError(`'${cmd}' is not x/NFU: N a count, F one of x d u o t c a i s, U one of b h w g`);
    if (!rest) throw new ExprError("x needs an address, e.g. x/4xw sp");
    const count = m[1] ? Number(m[1]) : 1;
    if (count > 4096) throw new ExprError("x shows at most 4096 units at a time");
    const format = m[2] || m[4] || this.lastFormat;
    let unit = m[3] || (format === "a" ? "g" : format === "c" ? "b" : this.lastUnit);
    this.lastFormat = format;
    if (format !== "i" && format !== "s") this.lastUnit = unit;
    const { space, rest: addrText } = splitSpace(rest);
    const addr = address(addrText, ctx);
    if (format === "i") {
      if (space !== "va") throw new ExprError("x/i disassembles virtual addresses; use va: or no prefix");
      return disasLines(addr, count, ctx);
    }
    if (format === "s") return strings(space, addr, count, ctx);
    if (format === "c") unit = "b";
    const size = UNIT_BYTES[unit];
    const bytes = ctx.target.readMemory(space, addr, count * size);
    if (!bytes) throw new ExprError(`cannot read ${count * size} bytes at ${formatMemoryRef({ space, addr })}: not all of it is readable memory`);
    const perLine = Math.max(1, 16 / size / (format === "t" ? 2 : 1));
    const lines: string[] = [];
    for (let i = 0; i < count; i += perLine) {
      const a = addr + BigInt(i * size);
      const sym = space === "va" ? ctx.symbols.describe(a) : undefined;
      const cells: string[] = [];
      for (let k = i; k < Math.min(count, i + perLine); k++) {
        let v = 0n;
        for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[k * size + b]);
        cells.push(formatUnit(v, format, size, ctx));
      }
      lines.push(`${space === "va" ? "" : space + ":"}0x${a.toString(16)}${sym ? ` <${sym}>` : ""}:\t${cells.join("\t")}`);
    }
    return lines.join("\n");
  }

  private info(words: string[], ctx: ReplContext): string {
    const what = words[0] ?? "";
    if ("registers".startsWith(what) && what.length >= 1) return infoRegisters(words.slice(1), ctx);
    if (what === "csrs" || what === "csr") return infoCsrs(ctx);
    if (what === "tlb") return infoTlb(ctx);
    if (what === "devices") return infoDevices(words.slice(1), ctx);
    throw new ExprError(`info ${what}: choose registers, csrs, tlb or devices`);
  }
}

/** The IOMMU of a device passed through to the guest, as the Devices view shows it. */
function iommuCommand(ctx: ReplContext): string {
  if (!ctx.target.deviceStates?.().some((d) => d.id === "iommu")) return 'iommu shows the IOMMU of a device passed through to the guest (deviceModel "passthrough"); this run has none';
  return infoDevices(["iommu"], ctx);
}

/** The Devices view as indented text: every device, or the one whose id is given. */
function infoDevices(words: string[], ctx: ReplContext): string {
  const all = ctx.target.deviceStates?.() ?? [];
  const chosen = words.length ? all.filter((d) => words.includes(d.id)) : all;
  if (chosen.length === 0) throw new ExprError(`info devices: no device ${words.join(", ")}; the devices are ${all.map((d) => d.id).join(", ")}`);
  const lines: string[] = [];
  const walk = (nodes: readonly DeviceNode[], depth: number) => {
    for (const n of nodes) {
      lines.push(`${"  ".repeat(depth)}${n.label}${n.value === undefined ? "" : `: ${n.value}`}`);
      if (n.children) walk(n.children, depth + 1);
    }
  };
  for (const d of chosen) {
    lines.push(`${d.label} (${d.id}) at 0x${d.base.toString(16)}`);
    walk(d.nodes, 1);
  }
  return lines.join("\n");
}

/** An address operand (`x`, `walk`, `disas`): in a C frame C first (`x/s p->name`), else the machine's expression. */
function address(text: string, ctx: ReplContext): bigint {
  return cFirst(ctx.c, text, (c) => c.address(), () => evaluate(text, ctx.env));
}

function describe(v: bigint, fmt: string, ctx: ReplContext): string {
  switch (fmt) {
    case "x": return "0x" + v.toString(16);
    case "d": return BigInt.asIntN(64, v).toString();
    case "u": return v.toString();
    case "t": return v.toString(2);
    case "c": return JSON.stringify(String.fromCharCode(Number(v & 0xffn)));
  }
  const sym = ctx.symbols.describe(v);
  const signed = BigInt.asIntN(64, v);
  const near = sym && ctx.symbols.at(v) && v - ctx.symbols.at(v)!.address < 0x10000n ? ` <${sym}>` : "";
  return `0x${v.toString(16)} (${signed})${near}`;
}

function formatUnit(v: bigint, format: string, size: number, ctx: ReplContext): string {
  switch (format) {
    case "d": return BigInt.asIntN(size * 8, v).toString();
    case "u": return v.toString();
    case "o": return "0" + v.toString(8);
    case "t": return v.toString(2).padStart(size * 8, "0");
    case "c": return `${v} ${JSON.stringify(String.fromCharCode(Number(v)))}`;
    case "a": {
      const sym = ctx.symbols.describe(v);
      return "0x" + v.toString(16) + (sym ? ` <${sym}>` : "");
    }
    default: return "0x" + v.toString(16).padStart(size * 2, "0");
  }
}

function strings(space: "va" | "pa" | "gva" | "gpa" | "hpa", start: bigint, count: number, ctx: ReplContext): string {
  const out: string[] = [];
  let a = start;
  for (let n = 0; n < count; n++) {
    let s = "";
    const at = a;
    for (let i = 0; i < 4096; i++, a++) {
      const b = ctx.target.readMemory(space, a, 1);
      if (!b) {
        if (s === "" && i === 0) throw new ExprError(`cannot read memory at 0x${a.toString(16)}`);
        break;
      }
      if (b[0] === 0) { a++; break; }
      s += String.fromCharCode(b[0]);
    }
    out.push(`0x${at.toString(16)}:\t${JSON.stringify(s)}`);
  }
  return out.join("\n");
}

function infoRegisters(names: string[], ctx: ReplContext): string {
  const t = ctx.target;
  const row = (name: string, v: bigint) => `${name.padEnd(10)}${formatHex(v)}  ${BigInt.asIntN(64, v)}`;
  if (names.length > 0) return names.map((n) => row(n, evaluate(n, ctx.env))).join("\n");
  const lines = [row("pc", t.pc) + (ctx.symbols.describe(t.pc) ? `  <${ctx.symbols.describe(t.pc)}>` : ""), `${"privilege".padEnd(10)}${formatPrivilege(t.priv, t.virt)}`];
  for (let i = 1; i < 32; i++) lines.push(row(`${REGISTER_NAMES[i]}`.padEnd(4) + ` x${i}`, t.getReg(i)));
  return lines.join("\n");
}

function infoCsrs(ctx: ReplContext): string {
  const lines: string[] = [];
  for (const spec of CSRS) {
    const v = ctx.target.readCsr(spec.num);
    if (v === undefined || spec.rv32Only) continue;
    if (v === 0n && /^(pmpaddr|mhpm|hpm)/.test(spec.name)) continue;
    const s = summarize(spec.name, v);
    lines.push(`${spec.name.padEnd(14)}${formatHex(v)}${s ? "  " + s : ""}`);
  }
  lines.push("(zero pmpaddr and hpm counters are not shown)");
  return lines.join("\n");
}

function infoTlb(ctx: ReplContext): string {
  const entries = ctx.target.tlbEntries();
  if (entries.length === 0) return "The TLB is empty.";
  const sizes = ["4K", "2M", "1G"];
  const lines = [`${entries.length} cached translation${entries.length > 1 ? "s" : ""}:`, "  va                  pa                  size asid   flags"];
  for (const e of entries.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0))) {
    lines.push(`  0x${e.va.toString(16).padStart(16, "0")}  0x${e.pa.toString(16).padStart(16, "0")}  ${sizes[e.level]}   ${e.global ? "global" : String(e.asid).padEnd(6)} ${tlbFlags(e.flags)}`);
  }
  return lines.join("\n");
}

const ACCESS_NAMES = { r: "read", w: "write", x: "execute" } as const;

function walk(rest: string, ctx: ReplContext): string {
  const m = /^(.*?)(?:\s+([rwx]))?$/.exec(rest.trim());
  if (!m || !m[1]) throw new ExprError("walk needs a virtual address, e.g. walk 0x80001000 or walk sp w");
  const access = (m[2] ?? "r") as "r" | "w" | "x";
  const va = address(m[1], ctx);
  const t = ctx.target;
  const satp = t.readCsr(CSR.satp) ?? 0n;
  const lines = [`walk of va 0x${va.toString(16)} for a ${ACCESS_NAMES[access]} at ${PRIVILEGE_NAMES[t.priv]}-mode; satp = ${formatHex(satp)} (${summarize("satp", satp)})`];
  const r = t.translate(va, access);
  for (const s of r.steps) {
    const pte = s.pte;
    const flags = Number(pte & 0xffn);
    const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
    const leaf = (flags & 0xe) !== 0;
    const what = (flags & 1) === 0 ? "invalid (V = 0)" : leaf ? `leaf ${tlbFlags(flags)} → page at pa 0x${(ppn << 12n).toString(16)}` : `→ next table at pa 0x${(ppn << 12n).toString(16)}`;
    lines.push(`  level ${s.level}: PTE at pa 0x${s.pteAddr.toString(16)} = ${formatHex(pte)}  ${what}`);
  }
  if (r.ok) {
    lines.push(r.translated ? `  result: va 0x${va.toString(16)} → pa 0x${r.pa.toString(16)}` : `  no translation at this privilege (M-mode or satp.MODE = Bare): pa = va = 0x${r.pa.toString(16)}`);
  } else {
    lines.push(`  result: ${causeName(r.cause)} (cause ${r.cause})`);
  }
  const vpn = BigInt.asUintN(64, va) >> 12n;
  const cached = t.tlbEntries().find((e) => e.va >> 12n === vpn);
  if (cached) {
    const pa = cached.pa + (va & 0xfffn);
    const agrees = r.ok && r.pa === pa;
    lines.push(`  TLB: cached → pa 0x${pa.toString(16)} ${tlbFlags(cached.flags)}${agrees ? " (agrees with the tables)" : " (STALE: the tables now say otherwise; sfence.vma would drop it)"}`);
  } else {
    lines.push("  TLB: not cached");
  }
  return lines.join("\n");
}

function disas(words: string[], ctx: ReplContext): string {
  let count = 12;
  let addrText = words.join(" ");
  const last = words.at(-1);
  if (words.length > 1 && last && /^\d+$/.test(last)) {
    count = Number(last);
    addrText = words.slice(0, -1).join(" ");
  }
  const addr = addrText ? address(addrText, ctx) : ctx.target.pc;
  return disasLines(addr, Math.min(count, 1000), ctx);
}

function disasLines(addr: bigint, count: number, ctx: ReplContext): string {
  const pc = ctx.target.pc;
  const out: string[] = [];
  for (const l of ctx.disasm.forward(addr, count)) {
    if (l.label) out.push(`${formatHex(l.address)} <${l.label}>:`);
    const sym = ctx.symbols.describe(l.address);
    const marker = l.address === pc ? "=> " : "   ";
    out.push(`${marker}0x${l.address.toString(16)}${sym ? ` <${sym}>` : ""}:\t${l.bytes.padEnd(9)}\t${l.unreadable ? "(unreadable)" : l.text}`);
  }
  return out.join("\n");
}

const COMMANDS = ["help", "print", "x/", "info registers", "info csrs", "info tlb", "info devices", "walk", "disas", ...VMM_COMMANDS, "balloon"];

/** Completion candidates for the text before the cursor. */
export function complete(text: string, column: number, ctx: { symbols: SymbolTable; convenience: Iterable<string> }): { label: string; start: number; length: number; type: string }[] {
  const before = text.slice(0, column);
  const m = /[A-Za-z_$.][A-Za-z0-9_$.]*$/.exec(before);
  const word = m ? m[0] : "";
  const start = before.length - word.length;
  const out: { label: string; start: number; length: number; type: string }[] = [];
  const add = (label: string, type: string) => {
    if (label.startsWith(word) && label !== word) out.push({ label, start, length: word.length, type });
  };
  if (/^\s*info\s+\S*$/.test(before)) {
    for (const s of ["registers", "csrs", "tlb"]) add(s, "keyword");
    return out;
  }
  if (/^\s*exits\s+\S*$/.test(before)) {
    for (const r of EXIT_REASON_IDS) add(r, "keyword");
    return out;
  }
  if (before.trim() === word) for (const c of COMMANDS) add(c, "keyword");
  for (const r of REGISTER_NAMES) add(r, "variable");
  add("pc", "variable");
  for (const c of CSRS) if (!c.rv32Only) add(c.name, "property");
  const dot = word.indexOf(".");
  if (dot > 0) for (const f of CSR_FIELDS.get(word.slice(0, dot)) ?? []) add(`${word.slice(0, dot)}.${f.name}`, "field");
  for (const c of ctx.convenience) add("$" + c, "value");
  for (const s of ctx.symbols.all) add(s.name, "function");
  return out;
}
