/**
 * Guest fuzz cases: a run of instruction words, each random or a valid instruction of src/isa with
 * random operand fields (32-bit or a pair of compressed ones), the mix varying from case to case.
 * Registers start as addresses around guest RAM, its page boundaries and the devices, so that loads
 * and stores often land somewhere rather than all faulting. Optionally a trap handler that skips the
 * faulting instruction keeps the run going past the first trap.
 */
import { COMPRESSED, INSTRUCTIONS } from "../../src/isa/instructions";
import type { GuestInput } from "./guest_target";
import { below, pick, type Rng } from "./prng";

const MAX_WORDS = 256;
/** Where the case's data lies: past the code, so that ordinary stores do not rewrite it. */
const DATA = 0x8010_0000n;
const STARTS: ((rng: Rng) => bigint)[] = [
  () => 0n,
  (rng) => BigInt(below(rng, 4096)),
  (rng) => DATA + BigInt(below(rng, 64) * 4096 - 8 + below(rng, 16)),
  (rng) => DATA + BigInt(below(rng, 1 << 16)),
  () => 0x1000_0000n, // UART
  () => 0x0200_0000n, // CLINT
  () => 0x0c00_0000n, // PLIC
  () => 0x0010_0000n, // finisher
  (rng) => 0x8000_0000n + BigInt(below(rng, 4 << 20)),
  () => 0xffff_ffff_ffff_fff8n,
  (rng) => BigInt.asUintN(64, BigInt(Math.floor(rng() * 2 ** 32)) << 32n | BigInt(Math.floor(rng() * 2 ** 32))),
];

function u32(rng: Rng): number {
  return Math.floor(rng() * 2 ** 32) >>> 0;
}

function validWord(rng: Rng): number {
  const spec = pick(rng, INSTRUCTIONS);
  return (spec.match | (u32(rng) & ~spec.mask)) >>> 0;
}

function validCompressedPair(rng: Rng): number {
  const half = () => {
    const spec = pick(rng, COMPRESSED);
    return (spec.match | (u32(rng) & ~spec.mask)) & 0xffff;
  };
  return (half() | (half() << 16)) >>> 0;
}

export function guestCase(rng: Rng): GuestInput {
  const valid = rng();
  const compressed = rng() * 0.3;
  const words = Array.from({ length: 1 + below(rng, MAX_WORDS) }, () => {
    const r = rng();
    return r < compressed ? validCompressedPair(rng) : r < valid ? validWord(rng) : u32(rng);
  });
  return {
    words,
    handler: rng() < 0.8,
    registers: Array.from({ length: 31 }, () => pick(rng, STARTS)(rng)),
  };
}
