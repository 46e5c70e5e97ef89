import type { DeviceState } from "../../device";
import { hex, yes } from "../format";
import type { Clint } from "./model";

export function clintView(c: Clint): DeviceState {
  const mtime = c.mtime();
  return {
    id: "clint",
    label: "CLINT",
    base: BigInt(c.base),
    nodes: [
      { label: "mtime", value: `${hex(mtime, 1)} (${mtime})`, tooltip: `advances once every ${c.instructionsPerTick} retired instructions` },
      { label: "mtimecmp", value: c.mtimecmp === (1n << 64n) - 1n ? `${hex(c.mtimecmp, 1)} (never)` : `${hex(c.mtimecmp, 1)} (${c.mtimecmp})` },
      { label: "MTIP", value: yes(c.mtip()), tooltip: "mtime ≥ mtimecmp" },
      { label: "msip", value: c.msip ? "1" : "0", tooltip: "machine software interrupt pending (drives MSIP)" },
    ],
  };
}
