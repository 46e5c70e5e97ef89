/**
 * Popek and Goldberg's equivalence, as a test helper: one guest run natively and under
 * trap-and-emulate must give the same UART output, the same end, the same instruction count and
 * the same guest-visible state (pc, privilege, GPRs, CSRs).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGuestImage, type GuestProgram } from "../../../src/asm/guest_image";
import { CSR } from "../../../src/isa/csrs";
import type { StopReason } from "../../../src/machine/board";
import { createVirtBoard } from "../../../src/machine/virt";
import type { TechniqueSpec } from "../../../src/hypervisor/techniques/technique";
import { Vm, type VmOptions } from "../../../src/hypervisor/vm";
import { techniqueEntry, type Technique } from "../../../src/target/techniques";
import { VmTarget } from "../../../src/target/vm_target";

export const ROOT = resolve(__dirname, "../../..");

/** The corpus ELFs, built with riscv64-unknown-elf-gcc when missing (fails when gcc is missing). */
export function corpusElf(name: string): string {
  const elf = join(ROOT, "build/guests", name + ".elf");
  if (!existsSync(elf)) {
    const r = spawnSync("node", [join(ROOT, "scripts/build-guests.mjs")], { encoding: "utf8" });
    assert.equal(r.status, 0, `build-guests failed: ${r.stderr}`);
  }
  return elf;
}

export function loadGuest(file: string): GuestProgram {
  const r = readGuestImage(file, readFileSync(file), (p) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return undefined;
    }
  });
  if (!r.ok) assert.fail(`${file}: ${r.error} ${JSON.stringify(r.diagnostics ?? [])}`);
  return r.program;
}

export const COMPARED_CSRS = [
  "mstatus", "misa", "medeleg", "mideleg", "mie", "mip", "mtvec", "mscratch", "mepc", "mcause", "mtval", "mcounteren",
  "menvcfg", "mcountinhibit", "stvec", "sscratch", "sepc", "scause", "stval", "satp", "scounteren", "senvcfg",
  "sstatus", "sie", "sip", "pmpcfg0", "pmpaddr0", "mcycle", "minstret", "time", "fcsr",
] as const;

export interface EndState {
  stop: StopReason;
  uart: string;
  instret: bigint;
  pc: bigint;
  priv: number;
  x: bigint[];
  /** f0–f31 (F and D). */
  f: (bigint | undefined)[];
  csrs: Record<string, bigint | undefined>;
}

const MAX = 20_000_000;
const SLICE = 1_000_000;
/** What every guest gets on its UART input: a line and Ctrl-D, for the guests that read (uart-echo). */
export const INPUT = "hello, guest\r\u0004";

function input(text: string) {
  const bytes = [...new TextEncoder().encode(text)];
  return { read: () => bytes.shift() ?? -1 };
}

function tohostOf(p: GuestProgram): number | undefined {
  const s = p.symbols.find((x) => x.name === "tohost")?.address;
  return s === undefined ? undefined : Number(s);
}

export function runNative(p: GuestProgram, memoryBytes = 16 << 20, max = MAX): EndState {
  let uart = "";
  const b = createVirtBoard({ memoryBytes, uartOut: { write: (c) => (uart += String.fromCharCode(c)) }, uartIn: input(INPUT), tohost: tohostOf(p) });
  b.load(p);
  let stop: StopReason = { kind: "budget" };
  // At most `max` steps (instructions and traps): a guest caught in a trap loop retires nothing.
  for (let slice = 0; slice < max / SLICE; slice++) {
    b.uart.poll();
    stop = b.run(SLICE);
    if (stop.kind !== "budget") break;
  }
  const csrs: Record<string, bigint | undefined> = {};
  for (const c of COMPARED_CSRS) csrs[c] = b.hart.readCsr(CSR[c as keyof typeof CSR] ?? csrNum(c));
  const f = Array.from(b.hart.f);
  return { stop, uart, instret: b.instret, pc: b.hart.pc, priv: b.hart.priv, x: Array.from({ length: 32 }, (_, i) => b.hart.getReg(i)), f, csrs };
}

/** VM options as tests give them: the technique by name (default trap-and-emulate), or its strategy itself (`spec`). */
export type VmTestOptions = Omit<VmOptions, "technique"> & { technique?: Technique; spec?: TechniqueSpec };

/** The strategy of a VMM technique, by name. */
export function vmmTechnique(t: Technique = "trap-and-emulate"): TechniqueSpec {
  const runs = techniqueEntry(t).runs;
  if (typeof runs !== "object") throw new Error(`${t} is not a VMM technique`);
  return runs;
}

/** A VM of this technique (default trap-and-emulate), with a small RAM unless the options say otherwise. */
export function makeVm(opts: VmTestOptions = {}): Vm {
  return new Vm({ memoryBytes: 16 << 20, ...opts, technique: opts.spec ?? vmmTechnique(opts.technique) });
}

export function runVm(p: GuestProgram, opts: VmTestOptions = {}, max = MAX): EndState & { target: VmTarget } {
  let uart = "";
  const vm = makeVm({ uartOut: { write: (c) => (uart += String.fromCharCode(c)) }, uartIn: input(INPUT), tohost: tohostOf(p), ...opts });
  vm.load(p);
  const target = new VmTarget(vm, opts.technique ?? "trap-and-emulate", p.symbols);
  let stop: StopReason = { kind: "budget" };
  for (let slice = 0; slice < max / SLICE; slice++) {
    vm.pollInput();
    stop = vm.run(SLICE);
    if (stop.kind !== "budget") break;
  }
  const csrs: Record<string, bigint | undefined> = {};
  for (const c of COMPARED_CSRS) csrs[c] = target.readCsr(c);
  const f = Array.from({ length: 32 }, (_, i) => target.getFpReg(i));
  return { stop, uart, instret: vm.instret, pc: target.pc, priv: target.priv, x: Array.from({ length: 32 }, (_, i) => target.getReg(i)), f, csrs, target };
}

function csrNum(name: string): number {
  return { sie: 0x104, sip: 0x144 }[name] ?? -1;
}

export function assertEquivalent(file: string, program = loadGuest(file), opts: VmTestOptions = {}): { native: EndState; vm: ReturnType<typeof runVm> } {
  const native = runNative(program);
  const vm = runVm(program, opts);
  assert.deepEqual(vm.stop, native.stop, `${file}: how the run ended`);
  assert.equal(vm.uart, native.uart, `${file}: UART output`);
  assert.equal(vm.instret, native.instret, `${file}: instructions retired`);
  assert.equal(vm.pc, native.pc, `${file}: pc`);
  assert.equal(vm.priv, native.priv, `${file}: privilege`);
  assert.deepEqual(vm.x, native.x, `${file}: GPRs`);
  assert.deepEqual(vm.f, native.f, `${file}: f registers`);
  assert.deepEqual(vm.csrs, native.csrs, `${file}: CSRs`);
  return { native, vm };
}

/** A guest from assembly text, assembled by Hyperstep's assembler. */
export function asmGuest(source: string, name = "inline.S"): GuestProgram {
  const r = readGuestImage(join(ROOT, "build", name), new TextEncoder().encode(source));
  if (!r.ok) assert.fail(`${name}: ${r.error} ${JSON.stringify(r.diagnostics ?? [])}`);
  return r.program;
}

/**
 * Every sample-guests/<lesson>/<name>.S that boots as on the bare board (supervisor-boot needs
 * firmware, tiny-hypervisor a hart with the H extension, which no VMM's vCPU has, and paravirtual
 * is a kernel written for the VMM, which no bare board runs).
 */
export function sampleSources(): string[] {
  const dir = join(ROOT, "sample-guests");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .filter((d) => !["supervisor-boot", "tiny-hypervisor", "paravirtual"].includes(d.name))
    .flatMap((d) => readdirSync(join(dir, d.name)).filter((f) => f.endsWith(".S")).map((f) => join(dir, d.name, f)))
    .sort();
}
