import type { MarkedNode } from "./device_changes";

/** The command behind "Hyperstep: Open Memory at Address…", which takes a memory reference. */
export const OPEN_MEMORY_COMMAND = "hyperstep.openMemory";

/**
 * What clicking a line of the Devices view does: a line about guest memory (a buffer a descriptor
 * names) opens the Memory panel at its address; other lines do nothing.
 */
export function deviceNodeCommand(node: MarkedNode): { command: string; title: string; arguments: string[] } | undefined {
  if (node.memoryReference === undefined) return undefined;
  return { command: OPEN_MEMORY_COMMAND, title: `Open Memory at ${node.memoryReference}`, arguments: [node.memoryReference] };
}
