import type { WireDevice, WireDeviceNode } from "../../debug/custom_requests";

/** A device tree node with what changed since the previous stop. */
export interface MarkedNode {
  /** `<device id>/<label>/<label>…`: the identity a node keeps from one stop to the next. */
  key: string;
  label: string;
  value?: string;
  tooltip?: string;
  /** The memory it points to (a buffer): clicking the node opens the Memory panel there. */
  memoryReference?: string;
  /** Its value differs from the last stop's, or it is new under a device that existed then. */
  changed: boolean;
  /** Something below it changed (a collapsed group still shows it). */
  changedBelow: boolean;
  children: MarkedNode[];
}

/** Values by key: what the next comparison starts from. */
export type DeviceSnapshot = ReadonlyMap<string, string>;

/**
 * Compares a stop's devices with the previous stop's snapshot (none at the first stop: nothing is
 * changed then) and returns the marked trees and the new snapshot.
 */
export function markChanges(devices: readonly WireDevice[], previous: DeviceSnapshot | undefined): { roots: MarkedNode[]; snapshot: Map<string, string> } {
  const snapshot = new Map<string, string>();
  const known = (key: string) => previous !== undefined && [...previous.keys()].some((k) => k === key || k.startsWith(`${key}/`));
  const mark = (node: WireDeviceNode, parent: string, deviceKnown: boolean): MarkedNode => {
    const key = `${parent}/${node.label}`;
    const value = node.value ?? "";
    snapshot.set(key, value);
    const before = previous?.get(key);
    const children = (node.children ?? []).map((c) => mark(c, key, deviceKnown));
    const changed = previous !== undefined && deviceKnown && before !== value;
    const out: MarkedNode = { key, label: node.label, changed, changedBelow: children.some((c) => c.changed || c.changedBelow), children };
    if (node.value !== undefined) out.value = node.value;
    if (node.tooltip !== undefined) out.tooltip = node.tooltip;
    if (node.memoryReference !== undefined) out.memoryReference = node.memoryReference;
    return out;
  };
  const roots = devices.map((d) => {
    const deviceKnown = known(d.id);
    const children = d.nodes.map((n) => mark(n, d.id, deviceKnown));
    const root: MarkedNode = { key: d.id, label: d.label, value: `@ ${d.base}`, changed: false, changedBelow: children.some((c) => c.changed || c.changedBelow), children };
    return root;
  });
  return { roots, snapshot };
}
