import { ABI_NAMES } from "../isa/registers";

/** ABI names of x0–x31, as GDB and objdump print them. */
export const REGISTER_NAMES: readonly string[] = ABI_NAMES;

const INDEX = new Map<string, number>([
  ...REGISTER_NAMES.map((n, i) => [n, i] as [string, number]),
  ...REGISTER_NAMES.map((_, i) => [`x${i}`, i] as [string, number]),
  ["fp", 8],
]);

/** The register number of an ABI name (`a0`), an x-name (`x10`) or `fp`; undefined otherwise. */
export function registerIndex(name: string): number | undefined {
  return INDEX.get(name);
}

export const PRIVILEGE_NAMES: Readonly<Record<number, string>> = { 0: "U", 1: "S", 3: "M" };

export function formatHex(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}
