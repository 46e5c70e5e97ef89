import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { ElfError, parseElf } from "../../../src/asm/elf";
import { buildGuest } from "../../fixtures/elf/build";

/** A small seeded generator, so a failure names a reproducible iteration. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const BOUNDARY = [0n, 1n, 0x38n, 0x40n, 0x7fn, 0xffn, 0xffffn, 0x7fff_ffffn, 0xffff_ffffn, 1n << 53n, 0xffff_ffff_ffff_ffffn];

/** Mutates a copy of `good`: byte flips, boundary values in header fields, and truncation. */
function mutate(good: Uint8Array, rnd: () => number, fieldOffsets: number[]): Uint8Array {
  let b = good.slice();
  const view = new DataView(b.buffer);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = rnd();
    if (kind < 0.4) {
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    } else if (kind < 0.8) {
      // Header fields are where a parser is most easily led astray.
      const at = pick(fieldOffsets);
      const value = rnd() < 0.7 ? pick(BOUNDARY) : BigInt(Math.floor(rnd() * 2 ** 32));
      const width = pick([2, 4, 8]);
      if (at + width <= b.length) {
        if (width === 2) view.setUint16(at, Number(value & 0xffffn), true);
        else if (width === 4) view.setUint32(at, Number(value & 0xffff_ffffn), true);
        else view.setBigUint64(at, value, true);
      }
    } else {
      b = b.subarray(0, Math.floor(rnd() * b.length));
      return b;
    }
  }
  return b;
}

/** Offsets of every ELF header, program header and section header field of `bytes`. */
function fieldOffsets(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out: number[] = [];
  for (let o = 16; o < 64; o += 2) out.push(o);
  const phoff = Number(v.getBigUint64(32, true));
  for (let i = 0; i < v.getUint16(56, true); i++) for (let f = 0; f < 56; f += 4) out.push(phoff + i * 56 + f);
  const shoff = Number(v.getBigUint64(40, true));
  for (let i = 0; i < v.getUint16(60, true); i++) for (let f = 0; f < 64; f += 4) out.push(shoff + i * 64 + f);
  return out;
}

it("parseElf survives 6000 mutated and truncated ELFs: every outcome is an image or an ElfError", () => {
  const guests = ["htif_hello", "hello_uart"].map((n) => new Uint8Array(readFileSync(buildGuest(n))));
  const rnd = prng(20261121);
  let images = 0, errors = 0;
  const started = Date.now();
  for (let i = 0; i < 6000; i++) {
    const good = guests[i % guests.length];
    const bytes = mutate(good, rnd, fieldOffsets(good));
    let r;
    try {
      r = parseElf(bytes);
    } catch (e) {
      assert.fail(`iteration ${i}: parseElf threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    if (r instanceof ElfError) {
      assert.ok(r.message.length > 10, `iteration ${i}: an error message that says something`);
      errors++;
      continue;
    }
    images++;
    for (const seg of r.segments) {
      assert.ok(seg.data.length <= seg.memsz, `iteration ${i}: segment data fits its memory size`);
      assert.ok(Number.isSafeInteger(seg.paddr + seg.memsz), `iteration ${i}: segment addresses are safe integers`);
    }
  }
  assert.ok(images > 100 && errors > 1000, `both outcomes are exercised (images ${images}, errors ${errors})`);
  assert.ok(Date.now() - started < 20_000, "no mutation makes parsing slow");
});
