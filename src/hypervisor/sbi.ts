/**
 * The minimal SBI the VMM offers a guest that boots straight into S-mode (launch option
 * `boot: "supervisor"`): what OpenSBI would be on a real board, reduced to console, timer and
 * shutdown, reached by `ecall` from (virtual) S-mode. RISC-V SBI specification 2.0: a7 holds the
 * extension id, a6 the function id, a0–a5 the arguments; calls return an error in a0 and a value in
 * a1, except the legacy extensions (0x00–0x08), which return only a0. DBCN offers writes only:
 * console input goes through the legacy getchar.
 */

export interface SbiPlatform {
  putchar(byte: number): void;
  /** The next received byte, or −1 when none is waiting. */
  getchar(): number;
  /** Programs the next timer event (absolute `time`) and clears the pending supervisor timer interrupt. */
  setTimer(time: bigint): void;
  shutdown(code: number): void;
  /** Guest-physical bytes for DBCN console writes; null when they are not guest RAM. */
  readGuest(gpa: number, length: number): Uint8Array | null;
}

export interface SbiCall {
  eid: bigint;
  fid: bigint;
  /** a0–a5. */
  args: readonly bigint[];
}

export interface SbiResult {
  /** Registers to write back: a0 always, a1 unless the call is a legacy one. */
  a0: bigint;
  a1?: bigint;
  /** What the call was, for the exit record: "TIME.set_timer(0x1234)". */
  call: string;
  /** The call ended the guest (shutdown); the caller must not resume it. */
  halted: boolean;
}

const SUCCESS = 0n;
const ERR_NOT_SUPPORTED = -2n;
const ERR_INVALID_PARAM = -3n;

/** SBI 2.0; implementation id 0 is BBL's, so Hyperstep reports an unregistered one. */
const SPEC_VERSION = 2n << 24n;
const IMPL_ID = 0x4859n; // "HY"
const IMPL_VERSION = 1n;

const EID = {
  legacySetTimer: 0x00n, legacyPutchar: 0x01n, legacyGetchar: 0x02n, legacyShutdown: 0x08n,
  base: 0x10n, time: 0x54494d45n, srst: 0x53525354n, dbcn: 0x4442434en,
} as const;
const SUPPORTED = new Set<bigint>(Object.values(EID));

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const hex = (v: bigint) => `0x${u64(v).toString(16)}`;

export function sbiCall(c: SbiCall, p: SbiPlatform): SbiResult {
  const [a0, a1, a2] = c.args;
  const ok = (call: string, value = 0n): SbiResult => ({ a0: SUCCESS, a1: value, call, halted: false });
  const err = (call: string, e: bigint): SbiResult => ({ a0: u64(e), a1: 0n, call, halted: false });
  switch (c.eid) {
    case EID.legacySetTimer:
      p.setTimer(u64(a0));
      return { a0: 0n, call: `legacy set_timer(${hex(a0)})`, halted: false };
    case EID.legacyPutchar:
      p.putchar(Number(a0 & 0xffn));
      return { a0: 0n, call: `legacy console_putchar(${charName(a0)})`, halted: false };
    case EID.legacyGetchar: {
      const b = p.getchar();
      return { a0: u64(BigInt(b)), call: `legacy console_getchar() = ${b}`, halted: false };
    }
    case EID.legacyShutdown:
      p.shutdown(0);
      return { a0: 0n, call: "legacy shutdown()", halted: true };
    case EID.base:
      return base(c.fid, a0, ok, err);
    case EID.time:
      if (c.fid !== 0n) return err(`TIME function ${c.fid}`, ERR_NOT_SUPPORTED);
      p.setTimer(u64(a0));
      return ok(`TIME.set_timer(${hex(a0)})`);
    case EID.srst: {
      if (c.fid !== 0n) return err(`SRST function ${c.fid}`, ERR_NOT_SUPPORTED);
      const type = u64(a0), reason = u64(a1);
      if (type > 2n) return err(`SRST.system_reset(${type}, ${reason})`, ERR_INVALID_PARAM);
      // Reason 1 is "system failure": the guest's way of saying it failed, so the exit code says so too.
      p.shutdown(reason === 1n ? 1 : 0);
      return { a0: SUCCESS, a1: 0n, call: `SRST.system_reset(${["shutdown", "cold reboot", "warm reboot"][Number(type)]}, reason ${reason})`, halted: true };
    }
    case EID.dbcn:
      return dbcn(c.fid, a0, a1, a2, p, ok, err);
  }
  return err(`extension ${hex(c.eid)} function ${c.fid}`, ERR_NOT_SUPPORTED);
}

function base(fid: bigint, a0: bigint, ok: (call: string, v?: bigint) => SbiResult, err: (call: string, e: bigint) => SbiResult): SbiResult {
  switch (fid) {
    case 0n: return ok("BASE.get_spec_version", SPEC_VERSION);
    case 1n: return ok("BASE.get_impl_id", IMPL_ID);
    case 2n: return ok("BASE.get_impl_version", IMPL_VERSION);
    case 3n: return ok(`BASE.probe_extension(${hex(a0)})`, SUPPORTED.has(u64(a0)) ? 1n : 0n);
    case 4n: case 5n: case 6n: return ok(["BASE.get_mvendorid", "BASE.get_marchid", "BASE.get_mimpid"][Number(fid) - 4], 0n);
  }
  return err(`BASE function ${fid}`, ERR_NOT_SUPPORTED);
}

function dbcn(
  fid: bigint, a0: bigint, a1: bigint, a2: bigint, p: SbiPlatform,
  ok: (call: string, v?: bigint) => SbiResult, err: (call: string, e: bigint) => SbiResult,
): SbiResult {
  switch (fid) {
    case 0n: {
      // The buffer is guest-physical: base_addr_lo in a1, base_addr_hi in a2.
      const gpa = Number(u64(a1) | (u64(a2) << 32n));
      const n = Number(u64(a0) > 4096n ? 4096n : u64(a0));
      const bytes = p.readGuest(gpa, n);
      if (!bytes) return err(`DBCN.console_write(${a0}, ${hex(a1)})`, ERR_INVALID_PARAM);
      bytes.forEach((b) => p.putchar(b));
      return ok(`DBCN.console_write(${n} bytes at GPA ${hex(BigInt(gpa))})`, BigInt(n));
    }
    case 2n:
      p.putchar(Number(a0 & 0xffn));
      return ok(`DBCN.console_write_byte(${charName(a0)})`);
  }
  return err(`DBCN function ${fid}`, ERR_NOT_SUPPORTED);
}

function charName(v: bigint): string {
  const b = Number(v & 0xffn);
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `0x${b.toString(16)}`;
}
