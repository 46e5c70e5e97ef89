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

/** With the H extension S-mode is HS-mode, and V=1 makes S and U the guest's VS and VU. */
const H_PRIVILEGE_NAMES: Readonly<Record<number, string>> = { ...PRIVILEGE_NAMES, 1: "HS" };
const VIRTUAL_PRIVILEGE_NAMES: Readonly<Record<number, string>> = { 0: "VU", 1: "VS" };

/**
 * The privilege mode's name: U, S or M on a hart without the H extension (`virt` undefined);
 * U, HS, M, VU or VS on one with it. "?" for an encoding that names no mode.
 */
export function privilegeName(priv: number, virt?: boolean): string {
  const names = virt === undefined ? PRIVILEGE_NAMES : virt ? VIRTUAL_PRIVILEGE_NAMES : H_PRIVILEGE_NAMES;
  return names[priv] ?? "?";
}

/** The privilege as the Variables view shows it: `S (1)`, and with the H extension `VS (1, V=1)`. */
export function formatPrivilege(priv: number, virt?: boolean): string {
  return `${privilegeName(priv, virt)} (${priv}${virt === undefined ? "" : `, V=${virt ? 1 : 0}`})`;
}

export function formatHex(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

const fpView = new DataView(new ArrayBuffer(8));

/**
 * An f register as the Variables view shows it: a NaN-boxed single as a float (`1.5f`), anything else
 * as a double, then the raw 64 bits. NaNs show their payload through the bits.
 */
export function formatFpRegister(bits: bigint): string {
  const raw = BigInt.asUintN(64, bits);
  if (raw >> 32n === 0xffffffffn) {
    fpView.setUint32(0, Number(raw & 0xffffffffn));
    return `${numberText(fpView.getFloat32(0))}f (single) ${formatHex(raw)}`;
  }
  fpView.setBigUint64(0, raw);
  return `${numberText(fpView.getFloat64(0))} ${formatHex(raw)}`;
}

function numberText(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}
