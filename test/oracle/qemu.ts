/**
 * Runs a guest ELF on qemu-system-riscv64's `virt` board, the reference Hyperstep's machine is checked against.
 *
 * The CPU model is trimmed to what Hyperstep's hart implements (RV64IMAFDC + Zicsr/Zifencei, M/S/U, Sv39, PMP):
 * QEMU 7.2's default `rv64` also has H, the B subsets, Sstc, Sscofpmf, the Sdtrig trigger CSRs (`debug`)
 * and a few page-table extensions, which would show up in misa, mideleg and in what counts as an illegal
 * instruction. QEMU_CPU_NOFP is the hart of `cpu: "rv64,f=false,d=false"`. `pmu-num=29` makes all of mhpmcounter3–31 exist, as the spec says they
 * should (privileged spec 1.12, 3.1.10); QEMU's default 16 makes 19–31 illegal.
 * QEMU_CPU_H is the same model with the hypervisor extension, for the H corpus (test/fixtures/guests-h).
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";

export const QEMU = "qemu-system-riscv64";
export const QEMU_CPU =
  "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false,svpbmt=false,svinval=false,svnapot=false," +
  "sscofpmf=false,debug=false,pmu-num=29";
export const QEMU_CPU_H = QEMU_CPU.replace("h=false", "h=true");
export const QEMU_CPU_NOFP = QEMU_CPU.replace("h=false", "h=false,f=false,d=false");

export class OracleMissingError extends Error {
  constructor(tool: string, pkg: string) {
    super(`${tool} is not installed; it is the test oracle (Debian package ${pkg})`);
  }
}

export interface QemuOptions {
  /** QEMU's board: `virt` (default), or `spike` for guests that end through HTIF's `tohost`. */
  machine?: "virt" | "spike";
  /** The hart has the H extension (QEMU_CPU_H). */
  hypervisor?: boolean;
  /** The hart has no F and D (QEMU_CPU_NOFP). */
  noFp?: boolean;
  /** RAM size as `-m` takes it, e.g. "256M"; default QEMU's 128M. */
  memory?: string;
  /** Deterministic time (mtime = instructions / 100); on for comparisons, off for speed measurements. */
  icount?: boolean;
  /** Write the per-instruction state trace to `onTrace` (implies single-stepping). */
  onTrace?: (trace: Readable) => Promise<void>;
  timeoutMs?: number;
  /**
   * Bytes for the guest's UART, sent once the guest has printed its first line: QEMU's UART drops
   * what arrives before the guest has set it up.
   */
  input?: string;
}

export interface QemuRun {
  /** The process exit status: the finisher's code (low 8 bits), or -1 when QEMU was killed. */
  exitCode: number;
  uart: string;
  timedOut: boolean;
  wallMs: number;
  stderr: string;
}

export function qemuArgs(elf: string, opts: QemuOptions, tracePath?: string): string[] {
  const cpu = opts.hypervisor ? QEMU_CPU_H : opts.noFp ? QEMU_CPU_NOFP : QEMU_CPU;
  const args = ["-machine", opts.machine ?? "virt", "-cpu", cpu, "-nographic", "-bios", "none", "-kernel", elf];
  if (opts.memory) args.push("-m", opts.memory);
  if (tracePath) args.push("-singlestep", "-d", "cpu,fpu,nochain", "-D", tracePath);
  if (opts.icount ?? true) args.push("-icount", "shift=0,sleep=off");
  return args;
}

/**
 * Runs `elf` to its finisher write (or the timeout, after which QEMU is killed). The trace goes through
 * a FIFO, so nothing of it lands on disk and QEMU waits while the consumer is busy.
 */
export async function runQemu(elf: string, opts: QemuOptions = {}): Promise<QemuRun> {
  if (!opts.onTrace) return spawnQemu(elf, opts, undefined);
  const dir = mkdtempSync(join(tmpdir(), "hyperstep-qemu-"));
  try {
    const fifo = join(dir, "trace");
    const made = spawnSync("mkfifo", [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr}`);
    return await spawnQemu(elf, opts, fifo);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnQemu(elf: string, opts: QemuOptions, fifo: string | undefined): Promise<QemuRun> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(QEMU, qemuArgs(elf, opts, fifo), { stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let uart = "";
    let stderr = "";
    let timedOut = false;
    let failed: unknown;
    child.stdout!.setEncoding("latin1").on("data", (d: string) => {
      uart += d;
      if (opts.input !== undefined && child.stdin?.writable && uart.includes("\n")) {
        child.stdin.end(opts.input, "latin1");
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const consumed = fifo && opts.onTrace
      ? opts.onTrace(createReadStream(fifo)).catch((e: unknown) => {
          failed = e;
          child.kill("SIGKILL");
        })
      : Promise.resolve();
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === "ENOENT" ? new OracleMissingError(QEMU, "qemu-system-misc") : e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - start;
      void consumed.then(() => {
        if (failed !== undefined) reject(failed);
        else resolve({ exitCode: code ?? -1, uart, timedOut, wallMs, stderr });
      });
    });
  });
}
