/**
 * "Did you mean `mtvec`?" for a misspelt CSR name: the CSR of the editor's and the debugger's table
 * (CSRS, RV64) closest by edit distance, if it is close enough to be a typo rather than another word.
 */
import { CSRS } from "./csrs";

const CANDIDATES = CSRS.filter((c) => !c.rv32Only).map((c) => c.name);

/**
 * Edits (insert, delete, substitute, or swap two neighbours) that turn `a` into `b`: the optimal
 * string alignment distance, so that `mstatsu` is one typo away from `mstatus`, not two.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The CSR name `word` most likely meant, or undefined. Case is not a typo (CSR names are lower
 * case, so `MTVEC` suggests `mtvec`); past that, one edit per three letters (so none for `sp`, a
 * register), and of equally close names the first in the table (the spec's order: common ones first).
 */
export function suggestCsr(word: string): string | undefined {
  const w = word.toLowerCase();
  const allowed = Math.floor(w.length / 3);
  let best: { name: string; distance: number } | undefined;
  for (const name of CANDIDATES) {
    const distance = editDistance(w, name);
    if (distance <= allowed && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
