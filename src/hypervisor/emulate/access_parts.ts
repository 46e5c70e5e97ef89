import { signedNumber } from "../../isa/u64";
import type { Bus } from "../../machine/bus";
import { Acc, markAccessed, type GuestTranslated } from "../mm/guest_walk";
import type { Vm } from "../vm";

/**
 * The parts of a load or store the VMM emulates: one per guest-virtual page it touches. The guest's
 * hardware splits a misaligned access that crosses a page there (mem.ts, resolveParts): each part is
 * translated through the guest's own table (setting its A/D) and checked against its PMP on its own,
 * the first part first, and a fault names the part's first address. The exit's guest-physical
 * address is only where the hardware stopped; redoing the whole access there would send the second
 * part to the physically next page and lose the first.
 */
export interface AccessPart {
  va: number;
  gpa: number;
  size: number;
}

export type Parts = { ok: true; parts: AccessPart[] } | { ok: false; cause: number; va: number; why: string };

const ACCESS_FAULT = [5, 7, 1];

/**
 * Splits the `size`-byte access at guest-virtual `va` and checks each part with `pmp(gpa, size)`.
 * The page of `known.va` is already translated (to `known.gpa`, through `known.t` when the guest
 * translates); any other page is walked here.
 */
export function accessParts(vm: Vm, va: number, size: number, acc: Acc, known: { va: number; gpa: number; t?: GuestTranslated }, pmp: (gpa: number, size: number) => boolean): Parts {
  const first = 4096 - (va & 4095);
  const bounds = first >= size ? [{ va, size }] : [{ va, size: first }, { va: va + first, size: size - first }];
  const knownPage = Math.floor(known.va / 4096);
  const parts: AccessPart[] = [];
  for (const b of bounds) {
    let gpa: number;
    let walked: GuestTranslated | undefined;
    if (Math.floor(b.va / 4096) === knownPage) {
      gpa = known.gpa - (known.gpa & 4095) + (b.va & 4095);
      walked = known.t;
    } else {
      const tr = vm.translate(b.va, acc, false);
      if (!tr.ok) return { ok: false, cause: tr.cause, va: b.va, why: tr.cause === ACCESS_FAULT[acc] ? "the guest's page-table walk reads a PTE outside guest RAM, or one its PMP forbids" : "the guest's own table forbids this page's part" };
      gpa = tr.gpa;
      walked = tr;
    }
    // A (and D for a store) in the guest's leaf, as its hardware sets them before the PMP check.
    if (walked) markAccessed(vm, walked, acc);
    if (!pmp(gpa, b.size)) return { ok: false, cause: ACCESS_FAULT[acc], va: b.va, why: "the guest's PMP forbids the access" };
    parts.push({ va: b.va, gpa, size: b.size });
  }
  return { ok: true, parts };
}

/** The guest-virtual address a load or store computes (rs1 + imm), as a number. */
export function effectiveVa(rs1Value: bigint, imm: number): number {
  return signedNumber(BigInt.asUintN(64, rs1Value + BigInt(imm)));
}

/** Loads the parts (a split access byte by byte, as the hart does); the value, or the va of the byte nothing answered. */
export function loadParts(bus: Bus, parts: AccessPart[]): { value: bigint } | { failedVa: number } {
  if (parts.length === 1) {
    const p = parts[0];
    const value = bus.load(p.gpa, p.size as 1 | 2 | 4 | 8);
    return value === undefined ? { failedVa: p.va } : { value };
  }
  let value = 0n, shift = 0n;
  for (const p of parts) {
    for (let k = 0; k < p.size; k++, shift += 8n) {
      const byte = bus.load(p.gpa + k, 1);
      if (byte === undefined) return { failedVa: p.va + k };
      value |= byte << shift;
    }
  }
  return { value };
}

/**
 * Stores `value` into the parts (a split access byte by byte); the va of the byte nothing took, or
 * undefined. Each part that reached RAM is the guest's store for data breakpoints and `lastwrite`.
 */
export function storeParts(vm: Vm, parts: AccessPart[], value: bigint): number | undefined {
  const bus = vm.devices.bus;
  let shift = 0n;
  for (const p of parts) {
    if (parts.length === 1) {
      if (!bus.store(p.gpa, p.size as 1 | 2 | 4 | 8, BigInt.asUintN(p.size * 8, value))) return p.va;
    } else {
      for (let k = 0; k < p.size; k++, shift += 8n) {
        if (!bus.store(p.gpa + k, 1, (value >> shift) & 0xffn)) return p.va + k;
      }
    }
    const hpa = vm.p2m.toHpa(p.gpa, p.size);
    if (hpa >= 0) vm.storedForGuest(hpa, p.size);
  }
  return undefined;
}
