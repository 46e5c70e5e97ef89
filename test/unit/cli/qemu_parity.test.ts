import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { runProgram, type RunIo } from "../../../src/cli/run";
import { buildGuest } from "../../fixtures/elf/build";

/**
 * Runs a guest on QEMU, the oracle: `virt` for UART/finisher guests, `spike` for HTIF ones. Input is
 * sent after a pause: QEMU takes stdin as soon as it starts, and a byte that lands before the guest
 * resets its UART FIFO is lost there (Hyperstep leaves input in stdin until the guest looks).
 */
function qemu(elf: string, machine: "virt" | "spike", input: string): Promise<{ stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn("qemu-system-riscv64", ["-machine", machine, "-nographic", "-bios", "none", "-kernel", elf]);
    let stdout = "";
    child.stdout.setEncoding("latin1").on("data", (d: string) => (stdout += d));
    const kill = setTimeout(() => child.kill(), 20_000);
    const send = setTimeout(() => child.stdin.end(input), 300);
    child.on("error", (e) => reject(new Error(`qemu-system-riscv64 could not run: ${e.message}`)));
    child.on("close", (status) => {
      clearTimeout(kill);
      clearTimeout(send);
      resolve({ stdout, status });
    });
  });
}

async function hyperstep(elf: string, input: string) {
  const program = await loadProgram(elf);
  if (program instanceof ProgramError) assert.fail(program.message);
  const out: number[] = [];
  const bytes = [...Buffer.from(input)];
  const io: RunIo = {
    out: { write: (b) => out.push(b) }, input: { read: () => bytes.shift() ?? -1 }, log: () => {}, flush: () => {},
    inputOpen: () => bytes.length > 0, waitForInput: async () => {}, breathe: async () => {}, interrupted: () => false, now: () => performance.now(),
  };
  const r = await runProgram(program, { memoryBytes: 128 << 20, traceTraps: false, maxInstructions: 10_000_000 }, io);
  return { stdout: Buffer.from(out).toString("latin1"), status: r.exitCode };
}

describe("the virt devices match QEMU on the same guests (stdout and exit status)", () => {
  const cases: [string, "virt" | "spike", string][] = [
    ["hello_uart", "virt", ""],
    ["echo", "virt", "ping."],
    ["uart_irq", "virt", "pong."],
    ["trap_ecall", "virt", ""],
    ["htif_hello", "spike", ""],
  ];
  for (const [name, machine, input] of cases) {
    it(`${name} (qemu -machine ${machine})`, async () => {
      const elf = buildGuest(name);
      const expected = await qemu(elf, machine, input);
      assert.deepEqual(await hyperstep(elf, input), expected);
    });
  }
});
