import type { DeviceNode, DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { Clint } from "./model";

const NEVER = (1n << 64n) - 1n;

/** mtime, then each hart's mtimecmp, MTIP and msip (grouped per hart when there are several). */
export function clintView(c: Clint): DeviceState {
  const mtime = c.mtime();
  const hart = (n: number): DeviceNode[] => {
    const cmp = c.mtimecmps[n];
    return [
      { label: "mtimecmp", value: cmp === NEVER ? `${hex(cmp, 1)} (never)` : `${hex(cmp, 1)} (${cmp})` },
      { label: "MTIP", value: yes(c.mtip(n)), tooltip: "mtime ≥ mtimecmp" },
      { label: "msip", value: c.msips[n] ? "1" : "0", tooltip: "machine software interrupt pending (drives MSIP)" },
    ];
  };
  const harts = Array.from({ length: c.harts }, (_, n) => n);
  return {
    id: "clint",
    label: "CLINT",
    base: BigInt(c.base),
    nodes: [
      { label: "mtime", value: `${hex(mtime, 1)} (${mtime})`, tooltip: `advances once every ${c.instructionsPerTick} retired instructions` },
      ...(c.harts === 1 ? hart(0) : harts.map((n): DeviceNode => ({ label: `hart ${n}`, value: c.msips[n] ? "msip set" : "", children: hart(n) }))),
    ],
  };
}
