import type { DeviceNode } from "../../device";
import { hex } from "../format";
import { BALLOON_PAGE, type VirtioBalloon } from "./balloon";

/** The most page runs the view lists. */
const RUNS_SHOWN = 32;

const kib = (pages: number) => `${(pages * BALLOON_PAGE) / 1024} KiB`;

/** Consecutive pages as runs [first GPA, pages], in order. */
export function pageRuns(gpas: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const gpa of gpas) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] * BALLOON_PAGE === gpa) last[1]++;
    else runs.push([gpa, 1]);
  }
  return runs;
}

function runNodes(runs: [number, number][]): DeviceNode[] {
  const shown: DeviceNode[] = runs.slice(0, RUNS_SHOWN).map(([gpa, n]) => ({
    label: hex(gpa, 8), value: n === 1 ? "1 page" : `${n} pages, to ${hex(gpa + n * BALLOON_PAGE - 1, 8)}`, address: gpa,
  }));
  if (runs.length > RUNS_SHOWN) shown.push({ label: "…", value: `${runs.length - RUNS_SHOWN} more runs` });
  return shown;
}

/** The balloon's lines in the Devices view: the host's target, the driver's `actual`, the pages it holds, its latest requests. */
export function balloonViewNodes(b: VirtioBalloon): DeviceNode[] {
  const pages = b.pages();
  const runs = pageRuns(pages);
  const log = b.requests();
  return [
    { label: "num_pages (target)", value: `${b.targetPages} (${kib(b.targetPages)})`, tooltip: "the pages the host wants in the balloon (config offset 0)" },
    { label: "actual", value: `${b.actual} (${kib(b.actual)})`, tooltip: "the pages the driver says the balloon holds (config offset 4, written by the driver)" },
    {
      label: "pages in the balloon",
      value: `${pages.length} (${kib(pages.length)})`,
      tooltip: "the pages the driver gave on inflateq and has not taken back on deflateq",
      children: runNodes(runs),
    },
    {
      label: "requests",
      value: log.length === 0 ? "none yet" : `${log[log.length - 1].n} (latest ${log.length} shown)`,
      tooltip: "each chain the driver gave: frame numbers in it, and pages that entered or left the balloon",
      children: [...log].reverse().map((r) => ({
        label: `#${r.n} ${r.op}`,
        value: `${r.pfns} frame number${r.pfns === 1 ? "" : "s"}${r.first === undefined ? "" : ` from ${hex(r.first, 8)}`}, ${r.moved} page${r.moved === 1 ? "" : "s"} ${r.op === "inflate" ? "in" : "out"}`,
      })),
    },
  ];
}
