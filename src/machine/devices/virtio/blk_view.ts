import type { DeviceNode } from "../../device";
import type { VirtioBlk } from "./blk";

const TYPES: Record<number, string> = { 0: "read", 1: "write", 4: "flush", 8: "get-id" };
const STATUSES: Record<number, string> = { 0: "OK", 1: "IOERR", 2: "UNSUPP" };

export const blkRequestType = (t: number) => TYPES[t] ?? `type ${t}`;
export const blkStatus = (s: number) => STATUSES[s] ?? String(s);

/** The block device's lines in the Devices view: its disk, and its latest requests (newest first). */
export function blkViewNodes(blk: VirtioBlk): DeviceNode[] {
  const b = blk.backend;
  const log = blk.requests();
  return [
    { label: "disk", value: b.description, children: [
      { label: "capacity", value: `${blk.sectors} sectors (${b.size} bytes)` },
      { label: "read-only", value: b.readOnly ? "yes" : "no" },
    ] },
    {
      label: "requests",
      value: log.length === 0 ? "none yet" : `${log[log.length - 1].n} (latest ${log.length} shown)`,
      tooltip: "sector, length and status of each request, newest first",
      children: [...log].reverse().map((r) => ({
        label: `#${r.n} ${blkRequestType(r.type)}`,
        value: `${r.type === 0 || r.type === 1 ? `sector ${r.sector}, ${r.bytes} bytes, ` : ""}${blkStatus(r.status)}`,
      })),
    },
  ];
}
