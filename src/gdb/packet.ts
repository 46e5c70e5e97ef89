/**
 * The framing of GDB's remote serial protocol: `$payload#cc`, where cc is the modulo-256 sum of the
 * payload's bytes in two hex digits, `+`/`-` acknowledgements, and the lone byte 0x03 a client sends
 * to interrupt a running target. Binary data (`X` packets, `qXfer` replies) escapes `$ # } *` as
 * `}` followed by the byte XOR 0x20. Payloads are handled as latin1 strings: one char per byte.
 */

export const INTERRUPT = 0x03;

export function checksum(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum;
}

/** The packet as it goes on the wire. */
export function frame(payload: string): string {
  return `$${payload}#${checksum(payload).toString(16).padStart(2, "0")}`;
}

const NEEDS_ESCAPE = new Set([0x23, 0x24, 0x7d, 0x2a]); // # $ } *

export function escapeBinary(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += NEEDS_ESCAPE.has(b) ? "}" + String.fromCharCode(b ^ 0x20) : String.fromCharCode(b);
  return out;
}

export function unescapeBinary(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out.push(c === 0x7d && i + 1 < text.length ? text.charCodeAt(++i) ^ 0x20 : c);
  }
  return Uint8Array.from(out);
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Bytes from hex digits; undefined when the text is not an even run of hex digits. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** One char per byte. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** Text as `O` packets and qRcmd carry it: its UTF-8 bytes in hex. */
export const hexText = (text: string) => toHex(new TextEncoder().encode(text));
export const textFromHex = (hex: string) => new TextDecoder().decode(fromHex(hex) ?? new Uint8Array());

/** What arrives from the client, one event at a time. */
export type Incoming =
  | { kind: "packet"; payload: string }
  /** A packet whose checksum did not match: the client resends it after our `-`. */
  | { kind: "corrupt" }
  | { kind: "ack" }
  | { kind: "nak" }
  | { kind: "interrupt" };

/** Splits the client's byte stream into events; bytes may arrive in any chunking. */
export class PacketReader {
  private pending = "";

  push(chunk: Uint8Array): Incoming[] {
    this.pending += latin1(chunk);
    const out: Incoming[] = [];
    for (;;) {
      const c = this.pending.charCodeAt(0);
      if (Number.isNaN(c)) break;
      if (c === 0x24) {
        const hash = this.pending.indexOf("#");
        if (hash < 0 || this.pending.length < hash + 3) break;
        const payload = this.pending.slice(1, hash);
        const sum = parseInt(this.pending.slice(hash + 1, hash + 3), 16);
        this.pending = this.pending.slice(hash + 3);
        out.push(sum === checksum(payload) ? { kind: "packet", payload } : { kind: "corrupt" });
        continue;
      }
      this.pending = this.pending.slice(1);
      if (c === 0x2b) out.push({ kind: "ack" });
      else if (c === 0x2d) out.push({ kind: "nak" });
      else if (c === INTERRUPT) out.push({ kind: "interrupt" });
      // Anything else between packets is line noise, which the protocol says to skip.
    }
    return out;
  }
}
