import type { GdbRegister } from "./registers";

/**
 * The target description GDB reads with `qXfer:features:read:target.xml`: an RV64 hart with the
 * features gdb/features/riscv names (org.gnu.gdb.riscv.cpu, .csr, .virtual), each register with
 * its number, so that GDB shows exactly the CSRs this hart has, as `info all-registers` and
 * `p $mstatus`.
 */
export function targetXml(registers: readonly GdbRegister[]): string {
  const feature = (name: GdbRegister["feature"]) => {
    const regs = registers.filter((r) => r.feature === name).map((r) => {
      const type = r.name === "pc" ? "code_ptr" : r.name === "sp" || r.name === "gp" || r.name === "tp" || r.name === "fp" ? "data_ptr" : "int";
      return `    <reg name="${r.name}" bitsize="64" regnum="${r.regnum}" type="${type}"${name === "cpu" ? "" : ' group="system"'}/>`;
    });
    return `  <feature name="org.gnu.gdb.riscv.${name}">\n${regs.join("\n")}\n  </feature>`;
  };
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    "<target>",
    "  <architecture>riscv:rv64</architecture>",
    feature("cpu"),
    feature("csr"),
    feature("virtual"),
    "</target>",
    "",
  ].join("\n");
}
