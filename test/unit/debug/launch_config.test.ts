import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, DEFAULT_HISTORY_MIB, DEFAULT_MEMORY_BYTES, parseLaunchConfig } from "../../../src/debug/launch_config";
import { parseMemorySize } from "../../../src/machine/memory_size";
import { DEFAULT_RNG_SEED } from "../../../src/machine/devices/virtio/rng";

function fieldOf(raw: unknown): string {
  try {
    parseLaunchConfig(raw);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.ok(e.message.includes(`'${e.field}'`), "the message names the field");
    return e.field;
  }
  assert.fail("expected the configuration to be rejected");
}

test("a minimal configuration gets the documented defaults", () => {
  const c = parseLaunchConfig({ program: "guest.S" });
  assert.deepEqual(c, { program: "guest.S", stopOnEntry: false, memoryBytes: DEFAULT_MEMORY_BYTES, technique: "native", maxInstructions: undefined, cwd: undefined, args: [], nonTrappingSensitive: [], boot: "machine", march: undefined, cpu: { model: "rv64", h: false, f: true, d: true }, gdbServer: undefined, historyMiB: DEFAULT_HISTORY_MIB, disk: undefined, rngSeed: undefined, hosting: "native", hostMemoryBytes: undefined, pageSharing: undefined, hostSwapBytes: undefined, fpuSwitch: "lazy", virtioConsole: false, balloon: false, deviceModels: { vm: "emulated", perDevice: {} }, smp: 1, icountShift: 0 });
  assert.equal(DEFAULT_HISTORY_MIB, 512);
});

test("gdbServer is a TCP port, 0 for any free one", () => {
  assert.equal(parseLaunchConfig({ program: "g.S", gdbServer: 1234 }).gdbServer, 1234);
  assert.equal(parseLaunchConfig({ program: "g.S", gdbServer: 0 }).gdbServer, 0);
  for (const bad of [-1, 65536, 1.5, "1234", true]) assert.equal(fieldOf({ program: "g.S", gdbServer: bad }), "gdbServer", String(bad));
});

test("every field is read", () => {
  const c = parseLaunchConfig({ program: "g.elf", stopOnEntry: true, memory: "64M", technique: "native", maxInstructions: 1000, cwd: "/w", args: ["x"], historyMiB: 0 });
  assert.equal(c.historyMiB, 0);
  assert.equal(c.memoryBytes, 64 * 1024 * 1024);
  assert.equal(c.stopOnEntry, true);
  assert.equal(c.maxInstructions, 1000);
  assert.equal(c.cwd, "/w");
  assert.deepEqual(c.args, ["x"]);
});

test("bad fields are rejected with the field named", () => {
  assert.equal(fieldOf({}), "program");
  assert.equal(fieldOf({ program: "" }), "program");
  assert.equal(fieldOf({ program: 42 }), "program");
  assert.equal(fieldOf(null), "(arguments)");
  assert.equal(fieldOf({ program: "a.S", technique: "magic" }), "technique");
  assert.equal(fieldOf({ program: "a.S", technique: 3 }), "technique");
  assert.equal(fieldOf({ program: "a.S", stopOnEntry: "yes" }), "stopOnEntry");
  assert.equal(fieldOf({ program: "a.S", memory: "lots" }), "memory");
  assert.equal(fieldOf({ program: "a.S", memory: true }), "memory");
  assert.equal(fieldOf({ program: "a.S", maxInstructions: -1 }), "maxInstructions");
  assert.equal(fieldOf({ program: "a.S", maxInstructions: 1.5 }), "maxInstructions");
  assert.equal(fieldOf({ program: "a.S", args: "x" }), "args");
  assert.equal(fieldOf({ program: "a.S", cwd: 7 }), "cwd");
  assert.equal(fieldOf({ program: "a.S", historyMiB: -1 }), "historyMiB");
  assert.equal(fieldOf({ program: "a.S", historyMiB: 1.5 }), "historyMiB");
  assert.equal(fieldOf({ program: "a.S", historyMiB: "512M" }), "historyMiB");
});

test("pageSharing: a scan rate, under a VMM technique only", () => {
  assert.deepEqual(parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", pageSharing: { scanPagesPerTick: 64 } }).pageSharing, { scanPagesPerTick: 64 });
  for (const bad of [{}, { scanPagesPerTick: 0 }, { scanPagesPerTick: 1.5 }, 64]) assert.equal(fieldOf({ program: "g.S", technique: "trap-and-emulate", pageSharing: bad }), "pageSharing", JSON.stringify(bad));
  assert.equal(fieldOf({ program: "g.S", pageSharing: { scanPagesPerTick: 64 } }), "pageSharing");
});

test("hostMemory: a size, under a VMM technique only", () => {
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", hostMemory: "12M" }).hostMemoryBytes, 12 << 20);
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "hardware-assisted", hostMemory: 9 << 20 }).hostMemoryBytes, 9 << 20);
  assert.equal(fieldOf({ program: "g.S", technique: "trap-and-emulate", hostMemory: "lots" }), "hostMemory");
  assert.equal(fieldOf({ program: "g.S", hostMemory: "12M" }), "hostMemory");
});

test("hostSwap: a size, with hostMemory under a VMM technique only", () => {
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "hardware-assisted", hostMemory: "9M", hostSwap: "4M" }).hostSwapBytes, 4 << 20);
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", hostMemory: "9M", hostSwap: 8192 }).hostSwapBytes, 8192);
  assert.throws(() => parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", hostMemory: "9M", hostSwap: "plenty" }), /'hostSwap' must be a whole number of 4 KiB pages between 4K and 4G, such as "4M"; got "plenty"/);
  assert.throws(() => parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", hostSwap: "4M" }), /'hostSwap' is where the VMM pages guest memory out when host memory runs out: it needs hostMemory/);
  assert.equal(fieldOf({ program: "g.S", hostMemory: "9M", hostSwap: "4M" }), "hostMemory");
});

test("fpuSwitch: lazy by default, eager when asked, and only under a VMM", () => {
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate" }).fpuSwitch, "lazy");
  assert.equal(parseLaunchConfig({ program: "g.S", technique: "hardware-assisted", fpuSwitch: "eager" }).fpuSwitch, "eager");
  assert.throws(() => parseLaunchConfig({ program: "g.S", technique: "trap-and-emulate", fpuSwitch: "sometimes" }), /'fpuSwitch' must be one of "lazy", "eager"; got "sometimes"/);
  assert.equal(fieldOf({ program: "g.S", technique: "trap-and-emulate", fpuSwitch: 1 }), "fpuSwitch");
  assert.throws(() => parseLaunchConfig({ program: "g.S", fpuSwitch: "lazy" }), /'fpuSwitch' is how a VMM switches the guest's floating-point state: it needs a VMM technique, not "native"/);
});

test("every technique of the catalog is built and accepted", () => {
  for (const technique of ["binary-translation", "paravirtual"]) assert.equal(parseLaunchConfig({ program: "a.S", technique }).technique, technique);
  assert.equal(parseLaunchConfig({ program: "a.S", technique: "trap-and-emulate" }).technique, "trap-and-emulate");
});

test("nonTrappingSensitive is checked and needs trap-and-emulate", () => {
  const tae = { program: "a.S", technique: "trap-and-emulate" };
  assert.deepEqual(parseLaunchConfig(tae).nonTrappingSensitive, []);
  assert.deepEqual(parseLaunchConfig({ ...tae, nonTrappingSensitive: ["sstatus-read", "sstatus-read"] }).nonTrappingSensitive, ["sstatus-read"]);
  assert.equal(fieldOf({ ...tae, nonTrappingSensitive: ["popf"] }), "nonTrappingSensitive");
  assert.equal(fieldOf({ ...tae, nonTrappingSensitive: "sstatus-read" }), "nonTrappingSensitive");
  assert.equal(fieldOf({ program: "a.S", nonTrappingSensitive: ["sstatus-write"] }), "nonTrappingSensitive");
});

test("memory sizes", () => {
  assert.equal(parseMemorySize("128M"), 128 * 1024 * 1024);
  assert.equal(parseMemorySize("128MiB"), 128 * 1024 * 1024);
  assert.equal(parseMemorySize("4k"), 4096);
  assert.equal(parseMemorySize("1G"), 1024 ** 3);
  assert.equal(parseMemorySize(65536), 65536);
  assert.equal(parseMemorySize("1000"), undefined, "not a whole page");
  assert.equal(parseMemorySize("0"), undefined);
  assert.equal(parseMemorySize("8G"), undefined, "over the 4 GiB limit");
  assert.equal(parseMemorySize("-4K"), undefined);
  assert.equal(parseMemorySize("12X"), undefined);
});

test("march picks the architecture for assembly, and a bad one is named", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", march: "rv64ima_zicsr_zifencei" }).march, "rv64ima_zicsr_zifencei");
  assert.equal(fieldOf({ program: "a.S", march: "banana" }), "march");
  assert.throws(() => parseLaunchConfig({ program: "a.S", march: "banana" }), /'march' architecture 'banana' is not understood.*the default is "rv64imafdc_zicsr_zifencei"/);
  assert.equal(fieldOf({ program: "a.S", march: 64 }), "march");
});

test("virtioConsole is a boolean; deviceModel a model or an object of device models", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", virtioConsole: true }).virtioConsole, true);
  assert.equal(fieldOf({ program: "a.S", virtioConsole: "yes" }), "virtioConsole");
  assert.deepEqual(parseLaunchConfig({ program: "a.S", technique: "trap-and-emulate", deviceModel: "split" }).deviceModels, { vm: "split", perDevice: {} });
  assert.deepEqual(parseLaunchConfig({ program: "a.S", technique: "trap-and-emulate", deviceModel: { "virtio-console": "split" } }).deviceModels, { vm: "emulated", perDevice: { "virtio-console": "split" } });
  for (const deviceModel of ["passthrough", "fast", 3, ["split"], { "virtio-net": "split" }]) assert.equal(fieldOf({ program: "a.S", technique: "trap-and-emulate", deviceModel }), "deviceModel", JSON.stringify(deviceModel));
});

test("balloon is a boolean, refused under paravirtual and with deviceModel passthrough", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", balloon: true }).balloon, true);
  assert.equal(parseLaunchConfig({ program: "a.S", technique: "hardware-assisted", balloon: true }).balloon, true);
  assert.equal(fieldOf({ program: "a.S", balloon: "yes" }), "balloon");
  assert.equal(fieldOf({ program: "a.S", technique: "paravirtual", balloon: true }), "balloon");
  assert.equal(fieldOf({ program: "a.S", technique: "trap-and-emulate", disk: "d.img", deviceModel: "passthrough", balloon: true }), "balloon");
  assert.equal(parseLaunchConfig({ program: "a.S", technique: "paravirtual", balloon: false }).balloon, false);
});

test("rng is true (the default seed), false, or a 32-bit seed", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", rng: true }).rngSeed, DEFAULT_RNG_SEED);
  assert.equal(parseLaunchConfig({ program: "a.S", rng: false }).rngSeed, undefined);
  assert.equal(parseLaunchConfig({ program: "a.S", rng: 0 }).rngSeed, 0);
  assert.equal(parseLaunchConfig({ program: "a.S", rng: 0xffff_ffff }).rngSeed, 0xffff_ffff);
  for (const rng of [-1, 1.5, 2 ** 32, "yes", {}]) assert.equal(fieldOf({ program: "a.S", rng }), "rng", JSON.stringify(rng));
});

test("icountShift is QEMU's -icount shift, a whole number from 0 to 10, under any technique", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", icountShift: 6, technique: "trap-and-emulate" }).icountShift, 6);
  for (const icountShift of [-1, 11, 2.5, "6"]) assert.equal(fieldOf({ program: "a.S", icountShift }), "icountShift", JSON.stringify(icountShift));
  assert.throws(() => parseLaunchConfig({ program: "a.S", icountShift: 11 }),
    /^Error: launch configuration: 'icountShift' must be a whole number from 0 to 10, as QEMU's -icount shift=N, not 11$/);
});

test("smp is a whole number of harts from 1 to 8; several vCPUs under trap-and-emulate, binary-translation and hardware-assisted, booting in M-mode", () => {
  assert.equal(parseLaunchConfig({ program: "a.S", smp: 3 }).smp, 3);
  assert.equal(parseLaunchConfig({ program: "a.S", smp: 3, technique: "trap-and-emulate" }).smp, 3);
  assert.equal(parseLaunchConfig({ program: "a.S", smp: 2, technique: "hardware-assisted" }).smp, 2);
  for (const smp of [0, 9, 1.5, "3"]) assert.equal(fieldOf({ program: "a.S", smp }), "smp", JSON.stringify(smp));
  assert.equal(parseLaunchConfig({ program: "a.S", smp: 3, technique: "binary-translation" }).smp, 3);
  assert.throws(() => parseLaunchConfig({ program: "a.S", smp: 2, technique: "paravirtual" }),
    /^Error: launch configuration: 'smp' is 2: the paravirtual interface is for one vCPU/);
  assert.throws(() => parseLaunchConfig({ program: "a.S", smp: 2, technique: "trap-and-emulate", boot: "supervisor" }),
    /^Error: launch configuration: 'smp' is 2: a guest that boots in S-mode has the VMM as its SBI firmware, which has no HSM, IPI or RFENCE extension yet/);
});

test("disk is a path or { path, readOnly, snapshot }, checked field by field", () => {
  assert.deepEqual(parseLaunchConfig({ program: "a.S", disk: "fs.img" }).disk, { path: "fs.img", readOnly: false, snapshot: false });
  assert.deepEqual(parseLaunchConfig({ program: "a.S", disk: { path: "fs.img", snapshot: true } }).disk, { path: "fs.img", readOnly: false, snapshot: true });
  assert.deepEqual(parseLaunchConfig({ program: "a.S", disk: { path: "fs.img", readOnly: true } }).disk, { path: "fs.img", readOnly: true, snapshot: false });
  for (const disk of ["", 3, [], { readOnly: true }, { path: "" }, { path: "a", readOnly: "yes" }, { path: "a", ro: true }]) {
    assert.equal(fieldOf({ program: "a.S", disk }), "disk", JSON.stringify(disk));
  }
  assert.throws(() => parseLaunchConfig({ program: "a.S", disk: { path: "a", ro: true } }), /unknown field 'ro'/);
});
