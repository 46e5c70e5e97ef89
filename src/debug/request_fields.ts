import { ExprError } from "./expressions";

/** Reading the fields of a custom request's arguments (custom_requests.ts), and writing 64-bit values into its body. */

export function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

export function field(args: unknown, name: string): unknown {
  return args !== null && typeof args === "object" ? (args as Record<string, unknown>)[name] : undefined;
}

export function intArg(args: unknown, name: string, min: number, max: number, fallback: number): number {
  const v = field(args, name);
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ExprError(`'${name}' must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return v;
}
