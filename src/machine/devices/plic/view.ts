import type { DeviceNode, DeviceState } from "../../device";
import { yes } from "../format";
import type { PlicState } from "./model";

const list = (xs: readonly number[]) => (xs.length ? xs.join(", ") : "none");

export function plicView(s: PlicState, base: number): DeviceState {
  // With one hart the contexts are its M and S modes; with several, the hart is named too.
  const many = s.contexts.length > 2;
  const mode = (c: PlicState["contexts"][number]) => `${many ? `hart ${c.hart} ` : ""}${c.mode}-mode`;
  const priority = new Map(s.priorities.map((p) => [p.source, p.priority]));
  // Sources worth a row: any with a priority, a raised line, a pending or claimed request, or an enable.
  const sources = new Set<number>([...priority.keys(), ...s.levels, ...s.pending, ...s.claimed, ...s.contexts.flatMap((c) => c.enabled)]);
  const source = (n: number): DeviceNode => ({
    label: `source ${n}${n === 10 ? " (UART)" : ""}`,
    value: `priority ${priority.get(n) ?? 0}${s.pending.includes(n) ? ", pending" : ""}${s.claimed.includes(n) ? ", claimed" : ""}`,
    children: [
      { label: "priority", value: String(priority.get(n) ?? 0) },
      { label: "line", value: s.levels.includes(n) ? "high" : "low" },
      { label: "pending", value: yes(s.pending.includes(n)) },
      { label: "claimed", value: yes(s.claimed.includes(n)) },
      ...s.contexts.map((c) => ({ label: `enabled for ${mode(c)}`, value: yes(c.enabled.includes(n)) })),
    ],
  });
  return {
    id: "plic",
    label: "PLIC",
    base: BigInt(base),
    nodes: [
      { label: "sources", value: `${sources.size} in use`, children: [...sources].sort((a, b) => a - b).map(source) },
      ...s.contexts.map((c, i): DeviceNode => ({
        label: `context ${i} (${mode(c)})`,
        value: `threshold ${c.threshold}${c.asserted ? ", asserted" : ""}`,
        children: [
          { label: "threshold", value: String(c.threshold) },
          { label: "enabled", value: list(c.enabled) },
          { label: "claimable", value: c.best ? `source ${c.best}` : "none", tooltip: "what a claim would return now" },
          { label: `${c.mode === "M" ? "MEIP" : "SEIP"} asserted`, value: yes(c.asserted) },
        ],
      })),
      { label: "claimed", value: list(s.claimed), tooltip: "claimed and not yet completed" },
    ],
  };
}
