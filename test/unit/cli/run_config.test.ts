import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigRunCommand } from "../../../src/cli/args";
import { runFromConfig } from "../../../src/cli/run_config";

const FILE = "/w/.vscode/launch.json";
const control: Omit<ConfigRunCommand, "config" | "name"> = { kind: "run-config", traceTraps: false, exits: false, maxInstructions: undefined, timeoutSeconds: undefined, gdb: undefined, record: undefined };

/** runFromConfig on a launch.json holding `configurations`. */
function resolve(configurations: object[], more: Partial<ConfigRunCommand> = {}) {
  const read = (file: string) => {
    assert.equal(file, FILE);
    return JSON.stringify({ version: "0.2.0", configurations });
  };
  return runFromConfig({ ...control, config: FILE, ...more }, read);
}

const base = { type: "hyperstep", request: "launch", name: "xv6" };

describe("run --config: a launch configuration as a headless run", () => {
  it("takes every attribute that describes the guest, read by the debugger's own parser", () => {
    const run = resolve([{
      ...base, program: "${workspaceFolder}/kernel/kernel", technique: "trap-and-emulate", memory: "64M", boot: "supervisor",
      disk: { path: "fs.img", snapshot: true }, rng: 7, hosting: "hosted", fpuSwitch: "eager", virtioConsole: true, balloon: true,
      deviceModel: { "virtio-blk": "split" }, maxInstructions: 5000, march: "rv64imac", stopOnEntry: true, historyMiB: 0,
      hostMemory: "48M", pageSharing: { scanPagesPerTick: 64 }, hostSwap: "4M",
    }], { name: "xv6" });
    assert.deepEqual(run, {
      ...control, kind: "run",
      program: "/w/kernel/kernel", memoryBytes: 64 * 1024 * 1024, technique: "trap-and-emulate", boot: "supervisor",
      cpu: { model: "rv64", h: false, f: true, d: true }, nonTrappingSensitive: [],
      diskSpec: { path: "/w/fs.img", readOnly: false, snapshot: true }, rngSeed: 7, hosting: "hosted", fpuSwitch: "eager",
      virtioConsole: true, balloon: true, deviceModels: { vm: "emulated", perDevice: { "virtio-blk": "split" } }, smp: 1, icountShift: 0, march: "rv64imac", maxInstructions: 5000,
      hostMemoryBytes: 48 * 1024 * 1024, pageSharing: { scanPagesPerTick: 64 }, hostSwapBytes: 4 * 1024 * 1024,
    });
  });

  it("takes a relative program and disk from the configuration's cwd, itself relative to the workspace folder", () => {
    const run = resolve([{ ...base, program: "kernel/kernel", cwd: "xv6-riscv", disk: "fs.img" }]);
    assert.ok(!("error" in run) && run.kind === "run");
    assert.equal(run.program, "/w/xv6-riscv/kernel/kernel");
    assert.equal(run.diskSpec?.path, "/w/xv6-riscv/fs.img");
  });

  it("lets --max-instructions override the configuration's, and keeps the run's own flags", () => {
    const run = resolve([{ ...base, program: "a.S", technique: "hardware-assisted", maxInstructions: 5000 }], { maxInstructions: 10, exits: true, traceTraps: true });
    assert.ok(!("error" in run) && run.kind === "run");
    assert.deepEqual([run.maxInstructions, run.exits, run.traceTraps], [10, true, true]);
  });

  it("names the configuration and the field when an attribute is wrong", () => {
    assert.deepEqual(resolve([{ ...base, program: "a.S", memory: "lots" }]),
      { error: `${FILE}: "xv6": launch configuration: 'memory' must be a whole number of 4 KiB pages between 4K and 4G, such as "128M"; got "lots"` });
    assert.deepEqual(resolve([{ ...base }]),
      { error: `${FILE}: "xv6": launch configuration: 'program' is required: the path of a guest .S/.s file, a .c file or an ELF executable` });
  });

  it("refuses what the run's own flags cannot do with this guest, naming the configuration's attribute", () => {
    assert.deepEqual(resolve([{ ...base, program: "a.S" }], { exits: true }),
      { error: `${FILE}: "xv6": --exits needs a VMM the configuration's "technique" (trap-and-emulate or hardware-assisted or binary-translation or paravirtual): a native run has no VMM and no exits` });
    assert.deepEqual(resolve([{ ...base, program: "a.S", disk: "fs.img" }], { record: "r.json" }),
      { error: `${FILE}: "xv6": --record cannot be combined with the configuration's "disk" yet: a record does not hold the disk's contents, which a replay would need` });
    assert.deepEqual(resolve([{ ...base, program: "a.S", march: "rv64imac" }], { record: "r.json" }),
      { error: `${FILE}: "xv6": --record cannot be combined with the configuration's "march" yet: a replay assembles the program with the default architecture` });
  });

  it("says when the file cannot be read", () => {
    const run = runFromConfig({ ...control, config: "/nope/launch.json" }, () => {
      throw Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
    });
    assert.deepEqual(run, { error: "cannot read --config /nope/launch.json: no such file" });
  });
});

describe("run --config: a configuration with several VMs", () => {
  it("runs each VM as the top level's fields with its own over them, with the host's fields at the top", () => {
    const run = resolve([{
      ...base, program: "g.S", memory: "1M", technique: "trap-and-emulate", hostMemory: "40M", vmSlice: 5000,
      vms: [{ name: "a" }, { name: "b", technique: "hardware-assisted", program: "h.S" }],
    }], { exits: true, maxInstructions: 9 });
    assert.ok(!("error" in run) && run.kind === "run-host");
    assert.deepEqual(run.vms.map((v) => [v.name, v.run.program, v.run.technique, v.run.memoryBytes, v.run.hostMemoryBytes]),
      [["a", "/w/g.S", "trap-and-emulate", 1 << 20, undefined], ["b", "/w/h.S", "hardware-assisted", 1 << 20, undefined]]);
    assert.deepEqual([run.hostMemoryBytes, run.vmSlice, run.exits, run.maxInstructions], [40 << 20, 5000, true, 9]);
  });

  it("names the VM and its field when one is wrong, and refuses what takes one guest", () => {
    const two = { ...base, program: "g.S", technique: "trap-and-emulate" };
    assert.deepEqual(resolve([{ ...two, vms: [{ name: "a" }, { name: "b", memory: "lots" }] }]),
      { error: `${FILE}: "xv6": launch configuration: 'vms[1].memory' must be a whole number of 4 KiB pages between 4K and 4G, such as "128M"; got "lots"` });
    assert.deepEqual(resolve([{ ...two, vms: [{ name: "a" }, { name: "b", technique: "native" }] }]),
      { error: `${FILE}: "xv6": launch configuration: 'vms[1].technique' is "native": several VMs share a host through a VMM, so each needs a VMM technique` });
    assert.deepEqual(resolve([{ ...two, vms: [{ name: "a" }, { name: "a" }] }]),
      { error: `${FILE}: "xv6": launch configuration: 'vms' names two VMs "a": each VM's name must be its own` });
    assert.deepEqual(resolve([{ ...two, vms: [{ name: "a" }, { name: "b", hostMemory: "8M" }] }]),
      { error: `${FILE}: "xv6": launch configuration: 'vms[1].hostMemory' is the host's, not one VM's: set it at the top of the configuration` });
    assert.match(JSON.stringify(resolve([{ ...two, vms: [{ name: "a" }] }])), /'vms' must be an array of two or more VMs/);
    assert.deepEqual(resolve([{ ...two, vms: [{ name: "a" }, { name: "b" }] }], { record: "r.json" }),
      { error: `${FILE}: "xv6": --record records one guest; this configuration runs 2 VMs` });
    assert.deepEqual(resolve([{ ...two, vmSlice: 10 }]),
      { error: `${FILE}: "xv6": launch configuration: 'vmSlice' is the time slice of each of several VMs: it needs "vms"` });
  });
});
