import type { DebugProtocol } from "@vscode/debugprotocol";
import type { Target } from "../target/target";
import { csrByName, CSRS } from "../isa/csrs";
import { CSR_FIELDS, formatField, summarize, type CsrField } from "../isa/csr_fields";
import { assignExpr, evaluateExpr, evaluateFieldValue, ExprError, parseExpression, type Assigned, type ExprEnv } from "./expressions";
import { formatMemoryRef } from "./memory_refs";
import { FP_ABI_NAMES } from "../isa/registers";
import { REGISTER_NAMES, formatFpRegister, formatHex, formatPrivilege } from "./registers";

/**
 * The CSR groups, in the order of the privileged spec's tables. A CSR the hart does not implement
 * is left out, and so is a group left empty: the H and VS CSRs (and mtval2, mtinst) appear only on a
 * hart with the H extension.
 */
const CSR_GROUPS: readonly [string, readonly string[]][] = [
  ["Machine status and trap setup", ["mstatus", "misa", "medeleg", "mideleg", "mie", "mtvec", "mcounteren", "menvcfg"]],
  ["Machine trap handling", ["mscratch", "mepc", "mcause", "mtval", "mip", "mtinst", "mtval2"]],
  ["Supervisor", ["sstatus", "sie", "stvec", "scounteren", "senvcfg", "sscratch", "sepc", "scause", "stval", "sip", "satp"]],
  ["Hypervisor (H extension)", [
    "hstatus", "hedeleg", "hideleg", "hie", "hip", "hvip", "hgatp", "htval", "htinst", "hcounteren", "htimedelta", "hgeie", "hgeip", "henvcfg",
  ]],
  ["Virtual supervisor (H extension: the guest's S-mode CSRs)", ["vsstatus", "vsie", "vsip", "vstvec", "vsscratch", "vsepc", "vscause", "vstval", "vsatp"]],
  ["Counters and time", ["mcycle", "minstret", "cycle", "time", "instret", "mcountinhibit"]],
  ["Memory protection (PMP)", ["pmpcfg0", "pmpcfg2", ...Array.from({ length: 16 }, (_, i) => `pmpaddr${i}`)]],
  ["Machine information", ["mvendorid", "marchid", "mimpid", "mhartid", "mconfigptr"]],
];

type Container =
  | { kind: "registers" }
  | { kind: "fp" }
  | { kind: "csrs" }
  | { kind: "csrGroup"; names: readonly string[] }
  | { kind: "csrFields"; csr: string }
  | { kind: "tlb" }
  | { kind: "children"; list: () => DebugProtocol.Variable[] };

/** Formats a 64-bit value: hex (padded) unless the client asked for decimal. */
export function formatValue(v: bigint, format?: DebugProtocol.ValueFormat): string {
  return format?.hex === false ? BigInt.asIntN(64, v).toString() : formatHex(v);
}

const TLB_FLAGS = "VRWXUGAD";
const SIZES = ["4K", "2M", "1G"];

export function tlbFlags(flags: number): string {
  return [...TLB_FLAGS].map((c, i) => ((flags >> i) & 1 ? c : "-")).join("");
}

/**
 * The Variables view: scopes for registers (with pc and the privilege mode), the floating-point
 * registers and fcsr (on a hart with F), CSRs grouped with their decoded fields, and the TLB, after
 * any scopes the caller puts first (a C frame's, from c_scopes.ts, whose children it keeps by
 * reference). References live until the guest runs again. Each belongs to the hart selected when it
 * was made (its thread's), which is selected again when the client reads or sets it.
 */
export class Variables {
  private refs: Container[] = [];
  private harts: number[] = [];

  constructor(
    private readonly target: () => Target,
    private readonly env: () => ExprEnv,
  ) {}

  /** Forgets every reference (the guest is about to run). */
  reset(): void {
    this.refs = [];
    this.harts = [];
  }

  /** The register scopes, after `first` (a C frame's Locals and Globals). */
  scopes(first: readonly DebugProtocol.Scope[] = []): DebugProtocol.Scope[] {
    const fp: DebugProtocol.Scope[] = this.target().getFpReg(0) === undefined ? []
      : [{ name: "Floating point", variablesReference: this.ref({ kind: "fp" }), namedVariables: 33, expensive: false }];
    return [
      ...first,
      { name: "Registers", presentationHint: "registers", variablesReference: this.ref({ kind: "registers" }), namedVariables: 33, expensive: false },
      ...fp,
      { name: "CSRs", variablesReference: this.ref({ kind: "csrs" }), namedVariables: this.csrGroups().length, expensive: false },
      { name: "TLB", variablesReference: this.ref({ kind: "tlb" }), expensive: true },
    ];
  }

  /** A reference whose variables `list` gives when the client asks (C values' children). */
  childrenRef(list: () => DebugProtocol.Variable[]): number {
    return this.ref({ kind: "children", list });
  }

  /** The reference for a CSR's fields (evaluate uses it for CSR results), or 0 when it has none. */
  fieldsRef(csr: string): number {
    return CSR_FIELDS.has(csr) ? this.ref({ kind: "csrFields", csr }) : 0;
  }

  has(ref: number): boolean {
    return this.refs[ref - 1] !== undefined;
  }

  variables(ref: number, format?: DebugProtocol.ValueFormat, start = 0, count = 0): DebugProtocol.Variable[] | undefined {
    const c = this.refs[ref - 1];
    if (!c) return undefined;
    this.target().selectedHart = this.harts[ref - 1];
    const all = this.list(c, format);
    return count > 0 ? all.slice(start, start + count) : all.slice(start);
  }

  /** Sets a register, CSR or CSR field; returns the new value's variable, or throws ExprError. */
  set(ref: number, name: string, value: string, format?: DebugProtocol.ValueFormat): { variable: DebugProtocol.Variable; assigned: Assigned } {
    const c = this.refs[ref - 1];
    if (!c) throw new ExprError(`unknown variables reference ${ref}`);
    this.target().selectedHart = this.harts[ref - 1];
    const env = this.env();
    let place: string;
    if (c.kind === "registers") {
      if (name === "privilege") throw new ExprError("the privilege mode changes only by traps and xRET; it cannot be set");
      place = name;
    } else if (c.kind === "csrGroup" && c.names.includes(name)) {
      place = name;
    } else if (c.kind === "csrFields") {
      const field = this.fieldsOf(c.csr).find((f) => f.name === name);
      if (!field) throw new ExprError(`${c.csr} has no field '${name}'`);
      const v = evaluateFieldValue(field, value, env);
      const assigned = assignExpr(parseExpression(`${c.csr}.${name}`).value, v, env);
      return { variable: this.list(c, format).find((x) => x.name === name)!, assigned };
    } else {
      throw new ExprError(`'${name}' cannot be set here`);
    }
    const expr = parseExpression(place).value;
    if (expr.k === "sym") throw new ExprError(`no register or CSR named '${name}'`);
    const assigned = assignExpr(expr, evaluateExpr(parseExpression(value).value, env), env);
    const variable = this.list(c, format).find((x) => x.name === name);
    if (!variable) throw new ExprError(`'${name}' is not in this scope`);
    return { variable, assigned };
  }

  private ref(c: Container): number {
    this.refs.push(c);
    this.harts.push(this.target().selectedHart);
    return this.refs.length;
  }

  private list(c: Container, format?: DebugProtocol.ValueFormat): DebugProtocol.Variable[] {
    const t = this.target();
    switch (c.kind) {
      case "registers": {
        const out: DebugProtocol.Variable[] = [this.register("pc", t.pc, format, "pc")];
        out.push({ name: "privilege", value: formatPrivilege(t.priv, t.virt), variablesReference: 0, evaluateName: "$priv", presentationHint: { attributes: ["readOnly"] } });
        for (let i = 1; i < 32; i++) out.push(this.register(REGISTER_NAMES[i], t.getReg(i), format, `x${i}`));
        return out;
      }
      case "fp": {
        const out = FP_ABI_NAMES.map((name, i): DebugProtocol.Variable => ({
          name, value: formatFpRegister(t.getFpReg(i)!), type: `f${i}`, variablesReference: 0,
          presentationHint: { attributes: ["readOnly"] },
        }));
        return [...out, this.csr("fcsr", t.readCsr(csrByName("fcsr")!.num)!, format)];
      }
      case "csrs":
        return this.csrGroups().map(([name, names]) => ({ name, value: "", variablesReference: this.ref({ kind: "csrGroup", names }) }));
      case "csrGroup":
        return c.names.map((n) => this.csr(n, t.readCsr(csrByName(n)!.num)!, format));
      case "csrFields": {
        const value = t.readCsr(csrByName(c.csr)!.num) ?? 0n;
        return this.fieldsOf(c.csr).map((f) => ({
          name: f.name,
          value: formatField(c.csr, f, value),
          type: `bits ${f.lsb + f.width - 1}:${f.lsb}`,
          evaluateName: `${c.csr}.${f.name}`,
          variablesReference: 0,
          presentationHint: { kind: "property" },
        }));
      }
      case "children":
        return c.list();
      case "tlb": {
        const entries = t.tlbEntries().sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : a.asid - b.asid));
        if (entries.length === 0) return [{ name: "(empty)", value: "no cached translations", variablesReference: 0 }];
        return entries.map((e) => ({
          name: `va 0x${e.va.toString(16)}${e.global ? "" : ` asid ${e.asid}`}`,
          value: `pa 0x${e.pa.toString(16)} ${SIZES[e.level]} ${tlbFlags(e.flags)}${e.global ? " global" : ""}`,
          variablesReference: 0,
          memoryReference: formatMemoryRef({ space: "pa", addr: e.pa }),
        }));
      }
    }
  }

  /** The groups with the CSRs this hart implements, empty groups left out. */
  private csrGroups(): [string, string[]][] {
    const t = this.target();
    return CSR_GROUPS.map(([name, names]): [string, string[]] => [name, names.filter((n) => t.readCsr(csrByName(n)!.num) !== undefined)])
      .filter(([, names]) => names.length > 0);
  }

  /** A CSR's fields on this hart: those of the H extension only when it has it. */
  private fieldsOf(csr: string): readonly CsrField[] {
    const hasH = this.target().virt !== undefined;
    return CSR_FIELDS.get(csr)!.filter((f) => hasH || !f.h);
  }

  private register(name: string, value: bigint, format: DebugProtocol.ValueFormat | undefined, xname: string): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name, value: formatValue(value, format), type: xname, evaluateName: name, variablesReference: 0 };
    if (this.target().readMemory("va", value, 1)) v.memoryReference = formatMemoryRef({ space: "va", addr: value });
    return v;
  }

  private csr(name: string, value: bigint, format?: DebugProtocol.ValueFormat): DebugProtocol.Variable {
    const summary = summarize(name, value);
    const spec = CSRS.find((s) => s.name === name);
    return {
      name,
      value: formatValue(value, format) + (summary ? `  ${summary}` : ""),
      type: spec ? `csr 0x${spec.num.toString(16)}: ${spec.description}` : "csr",
      evaluateName: name,
      variablesReference: this.fieldsRef(name),
    };
  }
}
