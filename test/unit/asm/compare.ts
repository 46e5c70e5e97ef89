/** Compares Hyperstep's assembly of a valid source with GNU's, section by section; returns the differences. */
import { assemble } from "../../../src/asm/assemble";
import { gnuAssemble } from "./gnu";

export function compareWithGnu(name: string, source: string, march?: string, extra: Record<string, string> = {}): string[] {
  const files: Record<string, string> = { [name]: source, ...extra };
  const ours = assemble(name, (p) => files[p], { march });
  const gnu = gnuAssemble(name, source, march, extra);
  const diffs: string[] = [];
  if (!gnu.ok) {
    // The corpus and the generator only produce valid programs; a rejection is a bad test input.
    diffs.push(`GNU rejects the source (Hyperstep ${ours.errors.length ? "does too" : "accepts it"}):\n${gnu.stderr}`);
    return diffs;
  }
  if (ours.errors.length > 0) {
    diffs.push(`Hyperstep rejects what GNU accepts: ${ours.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join("; ")}`);
    return diffs;
  }
  const names = new Set([...gnu.sections.map((s) => s.name), ...ours.sections.map((s) => s.name)]);
  for (const n of names) {
    const g = gnu.sections.find((s) => s.name === n);
    const h = ours.sections.find((s) => s.name === n);
    if (!g || !h) {
      diffs.push(`section ${n}: ${g ? "missing in Hyperstep" : "not produced by GNU"}`);
      continue;
    }
    if (g.addr !== h.addr) diffs.push(`section ${n}: address 0x${h.addr.toString(16)}, GNU 0x${g.addr.toString(16)}`);
    if (g.size !== h.size) diffs.push(`section ${n}: size ${h.size}, GNU ${g.size}`);
    if (!g.nobits) {
      const len = Math.min(g.data.length, h.data.length);
      for (let i = 0; i < len; i++) {
        if (g.data[i] !== h.data[i]) {
          const at = i & ~3;
          const hex = (d: Uint8Array) => Array.from(d.subarray(at, at + 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
          diffs.push(`section ${n}: first difference at 0x${(g.addr + BigInt(i)).toString(16)}: ours ${hex(h.data)} GNU ${hex(g.data)}`);
          break;
        }
      }
    }
  }
  if (ours.program!.entry !== gnu.entry) diffs.push(`entry 0x${ours.program!.entry.toString(16)}, GNU 0x${gnu.entry.toString(16)}`);
  for (const s of ours.symbols) {
    const g = gnu.symbols.get(s.name);
    if (g !== undefined && g !== s.address) diffs.push(`symbol ${s.name}: 0x${s.address.toString(16)}, GNU 0x${g.toString(16)}`);
  }
  return diffs;
}
