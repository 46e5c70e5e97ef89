/** Where the GDB server listens: always the loopback interface, since the protocol has no authentication. */
export interface GdbAddress {
  host: "127.0.0.1";
  /** 0: any free port (the server says which). */
  port: number;
}

/**
 * QEMU's `-gdb` device syntax: `tcp::1234` or `tcp:127.0.0.1:1234` (also `tcp:localhost:1234`), or a
 * bare port. Returns why not otherwise.
 */
export function parseGdbAddress(text: string): GdbAddress | string {
  const m = /^(?:tcp:(?:(127\.0\.0\.1|localhost)?:)?)?(\d{1,5})$/.exec(text);
  if (!m) {
    return /^tcp:[^:]+:\d+$/.test(text)
      ? `the GDB server listens on 127.0.0.1 only (anyone who reaches it controls the guest): use tcp::PORT, not '${text}'`
      : `'${text}' is not tcp::PORT (as QEMU's -gdb tcp::1234) or a port number`;
  }
  const port = Number(m[2]);
  if (port > 65535) return `port ${port} is beyond 65535`;
  return { host: "127.0.0.1", port };
}
