/**
 * "Hyperstep: Open Memory at Address…": what the user typed, as a memory reference the adapter
 * understands (memory_refs.ts), and the URI under which VS Code serves a session's memory.
 */
const SPACES = ["va", "pa", "gva", "gpa", "hpa"] as const;

export type ParsedAddress = { ok: true; memoryReference: string } | { ok: false; message: string };

/** `gva:0x80001000`, `gpa 0x1000`, `hpa:4096`; a bare address is `va:` (the guest's current view). */
export function parseMemoryAddress(text: string): ParsedAddress {
  const m = /^\s*(?:([a-z]+)\s*[:\s]\s*)?(0x[0-9a-f_]+|[0-9][0-9_]*)\s*$/i.exec(text);
  if (!m) return { ok: false, message: `'${text.trim()}' is not an address: write a space and an address, such as gva:0x80001000 or hpa:0x88000000` };
  const space = (m[1] ?? "va").toLowerCase();
  if (!(SPACES as readonly string[]).includes(space)) return { ok: false, message: `'${m[1]}' is not an address space: use ${SPACES.join(", ")}` };
  const addr = BigInt(m[2].replace(/_/g, ""));
  if (addr >= 1n << 64n) return { ok: false, message: `${m[2]} does not fit in 64 bits` };
  return { ok: true, memoryReference: `${space}:0x${addr.toString(16)}` };
}

/**
 * VS Code's URI for a debug session's memory (DebugMemoryFileSystemProvider, src/vs/workbench/contrib/
 * debug/common/debugMemory.ts): `vscode-debug-memory://<session id>/<memory reference>/<name>.bin`,
 * with `?range=from:to` (byte offsets from the reference) to read or write a file's worth. Reads and
 * writes become readMemory and writeMemory requests.
 */
export function memoryUriParts(sessionId: string, memoryReference: string, range?: { from: number; to: number }): { scheme: string; authority: string; path: string; query: string } {
  return {
    scheme: "vscode-debug-memory",
    authority: sessionId,
    path: `/${encodeURIComponent(memoryReference)}/${encodeURIComponent(memoryReference.replace(":", "-"))}.bin`,
    query: range ? `?range=${range.from}:${range.to}` : "",
  };
}
