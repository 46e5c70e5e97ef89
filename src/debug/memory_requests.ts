import type { DebugProtocol } from "@vscode/debugprotocol";
import { ExprError } from "./expressions";
import { parseMemoryRef, type MemoryRef } from "./memory_refs";
import type { Program } from "./program";
import { formatHex } from "./registers";

const PAGE = 4096n;
/** Larger reads are refused: the memory view asks for a few KiB at a time. */
const MAX_READ = 1 << 20;

function reference(text: string, offset: number | undefined, program: Program): MemoryRef {
  const ref = parseMemoryRef(text);
  if (!ref) throw new ExprError(`'${text}' is not a memory reference: use va:0x…, pa:0x… or an address`);
  if (!program.target.addressSpaces.includes(ref.space)) {
    throw new ExprError(`the ${ref.space} address space does not exist under the ${program.target.technique} technique (it has ${program.target.addressSpaces.join(", ")})`);
  }
  return { space: ref.space, addr: BigInt.asUintN(64, ref.addr + BigInt(offset ?? 0)) };
}

/**
 * `readMemory`: the readable bytes from the start, then how many unreadable bytes follow. When the
 * start itself is unreadable, the answer is no data and the length of the unreadable stretch (up to
 * the next readable page), so the memory view can skip it.
 */
export function readMemory(args: DebugProtocol.ReadMemoryArguments, program: Program): DebugProtocol.ReadMemoryResponse["body"] {
  if (!Number.isSafeInteger(args.count) || args.count < 0) throw new ExprError(`count must be a non-negative integer, not ${args.count}`);
  if (args.count > MAX_READ) throw new ExprError(`at most ${MAX_READ} bytes can be read at once`);
  const ref = reference(args.memoryReference, args.offset, program);
  const t = program.target;
  const chunks: Uint8Array[] = [];
  let done = 0;
  while (done < args.count) {
    const a = ref.addr + BigInt(done);
    const n = Math.min(args.count - done, Number(PAGE - (a % PAGE)));
    const bytes = a + BigInt(n) <= 1n << 64n ? t.readMemory(ref.space, a, n) : null;
    if (!bytes) break;
    chunks.push(bytes);
    done += n;
  }
  const body: DebugProtocol.ReadMemoryResponse["body"] = { address: formatHex(ref.addr) };
  if (done > 0) body.data = Buffer.concat(chunks).toString("base64");
  if (done < args.count) {
    let bad = 0;
    while (done + bad < args.count) {
      const a = ref.addr + BigInt(done + bad);
      if (bad > 0 && t.readMemory(ref.space, a, 1)) break;
      bad += Math.min(args.count - done - bad, Number(PAGE - (a % PAGE)));
    }
    body.unreadableBytes = bad;
  }
  return body;
}

/** `writeMemory`: all or nothing unless `allowPartial`, then page by page until one fails. */
export function writeMemory(args: DebugProtocol.WriteMemoryArguments, program: Program): { ref: MemoryRef; written: number } {
  const ref = reference(args.memoryReference, args.offset, program);
  const data = Buffer.from(args.data, "base64");
  if (data.length === 0) return { ref, written: 0 };
  const t = program.target;
  if (t.writeMemory(ref.space, ref.addr, data)) return { ref, written: data.length };
  if (!args.allowPartial) throw new ExprError(`cannot write ${data.length} bytes at ${args.memoryReference}${args.offset ? `+${args.offset}` : ""}: not all of it is writable RAM`);
  let written = 0;
  while (written < data.length) {
    const a = ref.addr + BigInt(written);
    const n = Math.min(data.length - written, Number(PAGE - (a % PAGE)));
    if (!t.writeMemory(ref.space, a, data.subarray(written, written + n))) break;
    written += n;
  }
  return { ref, written };
}

/**
 * `disassemble`: exactly `instructionCount` instructions, with symbols and source lines. Both it and
 * `instructionOffset` are at most MAX_DISASSEMBLE (request_args.ts), which bounds the decoding.
 */
export function disassembleRequest(args: DebugProtocol.DisassembleArguments, program: Program): DebugProtocol.DisassembledInstruction[] {
  const ref = reference(args.memoryReference, args.offset, program);
  const lines = program.disasm.window(ref.addr, args.instructionOffset ?? 0, args.instructionCount, ref.space);
  const out: DebugProtocol.DisassembledInstruction[] = [];
  let lastFile: string | undefined;
  for (const l of lines) {
    const insn: DebugProtocol.DisassembledInstruction = {
      address: formatHex(l.address),
      instructionBytes: l.bytes,
      instruction: l.unreadable ? "(no memory here)" : l.text.replace(/\t/g, " "),
    };
    if (l.unreadable) insn.presentationHint = "invalid";
    if (l.label && args.resolveSymbols !== false) insn.symbol = l.label;
    const where = ref.space === "va" ? program.lines.lineOf(l.address) : undefined;
    if (where) {
      if (where.file !== lastFile) insn.location = program.source(where.file);
      insn.line = where.line;
      lastFile = where.file;
    }
    out.push(insn);
  }
  // Before address 0 there is nothing: pad at the front so the count is exact, as the protocol asks.
  while (out.length < args.instructionCount) out.unshift({ address: formatHex(0n), instruction: "(no memory here)", presentationHint: "invalid" });
  return out;
}
