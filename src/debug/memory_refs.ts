import type { AddressSpace } from "../target/target";

/**
 * Memory references carry their address space: `va:0x80001000` (the guest's current virtual view)
 * or `pa:0x80001000` (guest-physical), and later `gva:`/`gpa:`/`hpa:`. A bare number is a virtual
 * address, which is what program counters and pointer registers hold.
 */
export interface MemoryRef {
  space: AddressSpace;
  addr: bigint;
}

const SPACES: readonly AddressSpace[] = ["va", "pa", "gva", "gpa", "hpa"];

export function parseMemoryRef(text: string): MemoryRef | undefined {
  const m = /^\s*(?:([a-z]+):)?\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const space = (m[1]?.toLowerCase() ?? "va") as AddressSpace;
  if (!SPACES.includes(space)) return undefined;
  const addr = BigInt(m[2]);
  if (addr >= 1n << 64n) return undefined;
  return { space, addr };
}

export function formatMemoryRef(ref: MemoryRef): string {
  return `${ref.space}:0x${BigInt.asUintN(64, ref.addr).toString(16)}`;
}

/** Splits `pa:EXPR` into the space and the rest, for commands that take an address expression. */
export function splitSpace(text: string): { space: AddressSpace; rest: string } {
  const m = /^\s*([a-z]+):(?!:)(.*)$/i.exec(text);
  if (m && SPACES.includes(m[1].toLowerCase() as AddressSpace)) return { space: m[1].toLowerCase() as AddressSpace, rest: m[2] };
  return { space: "va", rest: text };
}
