/**
 * Completion items for guest assembly, from the ISA table (mnemonics, CSRs) and the register names
 * the assembler accepts. Pure (no `vscode` import); extension.ts turns the items into CompletionItems.
 *
 * What is offered depends on where the cursor is: at the start of a statement, mnemonics (and
 * directives after a '.'); in the operands, registers, plus CSR names for the CSR instructions.
 */
import { ABI_NAMES, FP_ABI_NAMES } from "../isa/registers";
import { CSRS } from "../isa/csrs";
import { mnemonicDoc, PSEUDO_INSTRUCTIONS } from "../isa/docs";
import { COMPRESSED, INSTRUCTIONS } from "../isa/instructions";

export type AsmItemKind = "mnemonic" | "register" | "csr" | "directive";

export interface AsmCompletion {
  label: string;
  kind: AsmItemKind;
  /** One line, shown beside the label. */
  detail: string;
  /** Markdown. */
  documentation: string;
}

const DIRECTIVES = [
  "text", "data", "rodata", "bss", "section", "globl", "global", "local", "align", "p2align", "balign", "byte", "half",
  "short", "word", "dword", "quad", "ascii", "asciz", "string", "zero", "space", "fill", "equ", "set", "option",
  "macro", "endm", "rept", "endr", "irp", "include", "type", "size", "file",
];

function mnemonicItems(): AsmCompletion[] {
  const names = [...new Set([...INSTRUCTIONS.map((s) => s.name), ...COMPRESSED.map((s) => s.name), ...PSEUDO_INSTRUCTIONS])];
  const ext = new Map<string, string>([...INSTRUCTIONS, ...COMPRESSED].map((s) => [s.name, s.ext]));
  return names.map((name) => {
    const doc = mnemonicDoc(name);
    const kind = ext.has(name) ? `${ext.get(name)} instruction` : "pseudo-instruction";
    return {
      label: name,
      kind: "mnemonic" as const,
      detail: `${name} ${doc?.syntax ?? ""}`.trim() + ` (${kind})`,
      documentation: mnemonicMarkdown(name) ?? "",
    };
  });
}

/** The hover and completion text of a mnemonic, or undefined when it is not one. */
export function mnemonicMarkdown(name: string): string | undefined {
  const doc = mnemonicDoc(name);
  if (!doc) return undefined;
  const spec = [...INSTRUCTIONS, ...COMPRESSED].find((s) => s.name === name.toLowerCase().replace(/\.(?:aqrl|aq|rl)$/, ""));
  const head = "`" + `${name.toLowerCase()} ${doc.syntax}`.trim() + "`";
  const origin = spec ? `${spec.ext === "Priv" ? "privileged" : spec.ext} instruction` : "pseudo-instruction";
  const expands = doc.expands ? `\n\nExpands to \`${doc.expands}\`.` : "";
  return `${head} — ${origin}\n\n${doc.summary}${expands}`;
}

const PRIVILEGE = ["U", "S", "HS/VS (hypervisor)", "M"];

/** The hover and completion text of a CSR name, or undefined when it is not one. */
export function csrMarkdown(name: string): string | undefined {
  const spec = CSRS.find((c) => c.name === name.toLowerCase());
  if (!spec) return undefined;
  const access = ((spec.num >> 10) & 3) === 3 ? "read-only" : "read/write";
  const rv32 = spec.rv32Only ? " (RV32 only)" : "";
  return `\`${spec.name}\` — CSR 0x${spec.num.toString(16).padStart(3, "0")}, ${PRIVILEGE[(spec.num >> 8) & 3]} and above, ${access}${rv32}\n\n${spec.description}.`;
}

const REGISTER_ROLES: Record<string, string> = {
  zero: "hard-wired zero", ra: "return address", sp: "stack pointer", gp: "global pointer", tp: "thread pointer",
  t: "temporary (caller-saved)", s: "saved register (callee-saved)", a: "function argument / return value",
};

const FP_ROLES: Record<string, string> = {
  ft: "floating-point temporary (caller-saved)", fs: "floating-point saved register (callee-saved)",
  fa: "floating-point argument / return value",
};

/** The hover and completion text of an f register (f0–f31 or an ABI name), or undefined. */
function fpRegisterMarkdown(n: string): string | undefined {
  const index = /^f([0-9]|[12][0-9]|3[01])$/.test(n) ? Number(n.slice(1)) : FP_ABI_NAMES.indexOf(n);
  if (index < 0) return undefined;
  const abi = FP_ABI_NAMES[index]!;
  return `\`f${index}\` / \`${abi}\` — ${FP_ROLES[abi.slice(0, 2)]} (F and D)`;
}

/** The hover and completion text of a register name, or undefined when it is not one. */
export function registerMarkdown(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.startsWith("f") && n !== "fp") return fpRegisterMarkdown(n);
  const index = n === "fp" ? 8 : /^x([0-9]|[12][0-9]|3[01])$/.test(n) ? Number(n.slice(1)) : ABI_NAMES.indexOf(n);
  if (index < 0) return undefined;
  const abi = ABI_NAMES[index]!;
  const role = REGISTER_ROLES[abi] ?? REGISTER_ROLES[abi[0]!]!;
  const extra = index === 8 ? "; also fp, the frame pointer" : index === 10 || index === 11 ? "; a0/a1 also return values" : "";
  return `\`x${index}\` / \`${abi}\` — ${role}${extra}`;
}

const MNEMONICS = mnemonicItems();
const REGISTERS: AsmCompletion[] = [
  ...ABI_NAMES, "fp", ...ABI_NAMES.map((_, i) => `x${i}`), ...FP_ABI_NAMES, ...FP_ABI_NAMES.map((_, i) => `f${i}`),
].map((label) => ({
  label, kind: "register" as const, detail: registerMarkdown(label)!.replace(/`/g, ""), documentation: registerMarkdown(label)!,
}));
const CSR_ITEMS: AsmCompletion[] = CSRS.filter((c) => !c.rv32Only).map((c) => ({
  label: c.name, kind: "csr" as const, detail: `CSR 0x${c.num.toString(16).padStart(3, "0")}: ${c.description}`, documentation: csrMarkdown(c.name)!,
}));
const DIRECTIVE_ITEMS: AsmCompletion[] = DIRECTIVES.map((d) => ({ label: `.${d}`, kind: "directive" as const, detail: "assembler directive", documentation: "" }));

/** The statement part of a line before the cursor, after any labels, or undefined inside a comment or string. */
function statementBefore(linePrefix: string): string | undefined {
  if (/(?:#|\/\/)/.test(linePrefix.replace(/"(?:\\.|[^"\\])*"?/g, '""'))) return undefined;
  if ((linePrefix.match(/"/g)?.length ?? 0) % 2 === 1) return undefined;
  return linePrefix.replace(/^\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+):\s*)*/, "");
}

/** What to offer for a line whose text before the cursor is `linePrefix`. */
export function completionsAt(linePrefix: string): AsmCompletion[] {
  const stmt = statementBefore(linePrefix);
  if (stmt === undefined) return [];
  const m = /^(\S+)\s+/.exec(stmt);
  if (!m) return stmt.startsWith(".") ? DIRECTIVE_ITEMS : MNEMONICS;
  const mnemonic = m[1]!.toLowerCase();
  if (mnemonic.startsWith(".")) return [];
  return mnemonic.startsWith("csr") ? [...CSR_ITEMS, ...REGISTERS] : REGISTERS;
}
