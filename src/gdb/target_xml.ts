import type { GdbRegister } from "./registers";

/**
 * The target description GDB reads with `qXfer:features:read:target.xml`: an RV64 hart with the
 * features gdb/features/riscv names (org.gnu.gdb.riscv.cpu, .fpu with F and D, .csr, .virtual),
 * each register with its number, so that GDB shows exactly the registers this hart has, as
 * `info all-registers`, `p $fa0` and `p $mstatus`. An f register is GDB's riscv_double union (the
 * value as a float and as a double), as QEMU describes it.
 */
export function targetXml(registers: readonly GdbRegister[]): string {
  const feature = (name: GdbRegister["feature"]) => {
    const list = registers.filter((r) => r.feature === name);
    if (list.length === 0) return undefined;
    const regs = list.map((r) => {
      const fpr = name === "fpu" && r.regnum < 65;
      const type = r.name === "pc" ? "code_ptr" : r.name === "sp" || r.name === "gp" || r.name === "tp" || r.name === "fp" ? "data_ptr" : fpr ? "riscv_double" : "int";
      const group = name === "cpu" ? "" : name === "fpu" ? ' group="float"' : ' group="system"';
      return `    <reg name="${r.name}" bitsize="64" regnum="${r.regnum}" type="${type}"${group}/>`;
    });
    const union = name === "fpu"
      ? ['    <union id="riscv_double">', '      <field name="float" type="ieee_single"/>', '      <field name="double" type="ieee_double"/>', "    </union>"]
      : [];
    return `  <feature name="org.gnu.gdb.riscv.${name}">\n${[...union, ...regs].join("\n")}\n  </feature>`;
  };
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    "<target>",
    "  <architecture>riscv:rv64</architecture>",
    feature("cpu"),
    feature("fpu"),
    feature("csr"),
    feature("virtual"),
    "</target>",
    "",
  ].filter((line) => line !== undefined).join("\n");
}
