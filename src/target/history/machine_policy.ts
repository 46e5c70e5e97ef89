import { ExitRecord } from "../../hypervisor/exits";
import type { Hart } from "../../machine/hart/hart";
import type { StatePolicy } from "./object_state";

/**
 * Properties that belong to the debugger or to a cache, wherever they sit: the trap hook and exit
 * filter the debugger sets; the hart's code page being run and whether it stopped inside a block
 * (dropped on restore); its scratch outputs of out-of-line helpers, which nothing reads before
 * writing; the board's reservation watches, which live among the harts' watches (rebuilt on restore).
 */
const IGNORED_KEYS: ReadonlySet<string> = new Set([
  "onTrap", "exitFilter", "cpBlk", "cpBase", "cpRam", "cpOff", "midBlock", "fw", "fimm", "vlo", "vhi", "reservationWatches",
]);

/**
 * What of a machine is state: everything reachable from its root except the harts' caches and the
 * debugger's hooks, RAM (kept page by page instead) and the host's ends of the console. RAM's marks
 * of the pages written are not state either: they only grow, and a restore must see every page ever
 * written, also those written after the snapshot it restores (ram_pages.ts).
 */
export function machinePolicy(harts: readonly Hart[], outside: readonly object[]): StatePolicy {
  const opaque = new Set<object>(outside);
  for (const h of harts) {
    for (const o of h.derivedObjects()) opaque.add(o);
    opaque.add(h.bus.ram.bytes);
    opaque.add(h.bus.ram.bytes.buffer);
    opaque.add(h.bus.ram.written);
  }
  return { opaque, ignoredKeys: IGNORED_KEYS, immutable: (o) => o instanceof ExitRecord };
}
