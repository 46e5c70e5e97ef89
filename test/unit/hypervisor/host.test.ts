import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Host, VM_SLICE, type HostedVm } from "../../../src/hypervisor/host";
import { VmOptionsError } from "../../../src/hypervisor/vm";
import { MemoryBackend } from "../../../src/machine/devices/virtio/block_backend";
import type { StopReason } from "../../../src/machine/board";
import type { Technique } from "../../../src/target/techniques";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, asmGuest, loadGuest, runVm, vmmTechnique } from "./equivalence";
import type { GuestProgram } from "../../../src/asm/guest_image";
import { HOSTILE } from "./small_guests";

/** Prints "<letter> n" five times, with 20,000 loop iterations (60,000 instructions) before each line. */
function chatty(letter: string): GuestProgram {
  return asmGuest(`
        .text
        .globl _start
_start: li   s0, 0x10000000
        li   s1, 5
        li   s2, '1'
line:   li   t0, 20000
1:      addi t0, t0, -1
        bnez t0, 1b
        li   t1, '${letter}'
        sb   t1, 0(s0)
        li   t1, ' '
        sb   t1, 0(s0)
        sb   s2, 0(s0)
        li   t1, '\\n'
        sb   t1, 0(s0)
        addi s2, s2, 1
        addi s1, s1, -1
        bnez s1, line
        li   t0, 0x100000
        li   t1, 0x5555
        sw   t1, 0(t0)
2:      j    2b
`, `chatty-${letter}.S`);
}

/** Runs every VM of `host` to its halt (at most `max` steps), and returns the last stop. */
function runAll(host: Host, max = 50_000_000): StopReason {
  let stop: StopReason = { kind: "budget" };
  for (let n = 0; n < max && !host.vms.every((vm) => vm.halt); n += 1_000_000) {
    stop = host.run(1_000_000).stop;
    assert.ok(stop.kind === "budget" || stop.kind === "halt", `stopped: ${JSON.stringify(stop)}`);
  }
  return stop;
}

interface Guest {
  name: string;
  technique: Technique;
  program: GuestProgram;
  memoryBytes?: number;
}

/** A host of these guests, loaded; every byte of UART output goes to `events` with its VM's name. */
function hostOf(guests: Guest[], slice?: number, events: [string, string][] = []): Host {
  const vms: HostedVm[] = guests.map((g) => ({
    name: g.name,
    options: { technique: vmmTechnique(g.technique), memoryBytes: g.memoryBytes ?? 1 << 20, uartOut: { write: (c: number) => events.push([g.name, String.fromCharCode(c)]) } },
  }));
  const host = new Host(vms, { slice });
  host.load(guests.map((g) => g.program));
  return host;
}

const output = (events: [string, string][], name: string) => events.filter(([n]) => n === name).map(([, c]) => c).join("");

describe("several VMs on one host", () => {
  it("each VM runs exactly as it would alone, in time slices that interleave their output", () => {
    const a = chatty("a"), b = chatty("b");
    const events: [string, string][] = [];
    const host = hostOf([{ name: "a", technique: "trap-and-emulate", program: a }, { name: "b", technique: "hardware-assisted", program: b }], 25_000, events);
    runAll(host);
    const alone = [runVm(a, { memoryBytes: 1 << 20 }), runVm(b, { technique: "hardware-assisted", memoryBytes: 1 << 20 })];
    assert.equal(output(events, "a"), alone[0].uart);
    assert.equal(output(events, "b"), alone[1].uart);
    assert.equal(alone[0].uart, "a 1\na 2\na 3\na 4\na 5\n");
    host.vms.forEach((vm, i) => {
      const t = new VmTarget(vm, i === 0 ? "trap-and-emulate" : "hardware-assisted", []);
      assert.equal(vm.instret, alone[i].instret, "instructions retired");
      assert.deepEqual(Array.from({ length: 32 }, (_, r) => t.getReg(r)), alone[i].x, "registers");
    });
    // Lines come whole, a's and b's alternating: each slice of 25,000 steps lies inside one 60,000-instruction wait.
    const lines = events.map(([n, c]) => (c === "\n" ? n : "")).join("");
    assert.equal(lines, "ababababab");
  });

  it("switches round-robin each slice, and every switch is a world-switch exit of the VM that leaves, at the world switch's cost", () => {
    const host = hostOf([{ name: "a", technique: "trap-and-emulate", program: chatty("a") }, { name: "b", technique: "trap-and-emulate", program: chatty("b") }], 10_000);
    runAll(host);
    const switches = host.vms.map((vm) => vm.log.query({ reasons: ["world-switch"], count: 100_000 }).exits);
    const steps = host.vms.map((vm) => vm.steps);
    // The VMs are equally long: each switch comes after a whole slice, a's first.
    assert.equal(steps[0], steps[1]);
    assert.equal(switches[0].length, Math.ceil(steps[0] / 10_000), "a leaves after each of its slices, the last by halting");
    assert.equal(switches[1].length, Math.ceil(steps[1] / 10_000) - 1, "b ends the run");
    assert.equal(host.worldSwitches, switches[0].length + switches[1].length);
    for (const e of switches[0]) assert.deepEqual([e.details.from, e.details.to, e.cycles], ["a", "b", 7555]);
    for (const e of switches[1]) assert.deepEqual([e.details.from, e.details.to], ["b", "a"]);
    assert.deepEqual(switches[0].slice(0, 3).map((e) => Number(e.instret) % 10_000 <= 200), [true, true, true], "at slice boundaries (give or take the exits' steps)");
  });

  it("keeps a hostile VM from every frame of its neighbour, under each technique that shares a host", () => {
    const victimProgram = loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S"));
    for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
      const events: [string, string][] = [];
      const host = hostOf([{ name: "hostile", technique, program: asmGuest(HOSTILE, "hostile.S") }, { name: "victim", technique, program: victimProgram, memoryBytes: 16 << 20 }], 50, events);
      runAll(host);
      const alone = runVm(victimProgram, { technique });
      const hostileAlone = runVm(asmGuest(HOSTILE, "hostile.S"), { technique, memoryBytes: 1 << 20 });
      const [hostile, victim] = host.vms.map((vm) => new VmTarget(vm, technique, []));
      assert.equal(output(events, "victim"), alone.uart, `${technique}: the victim's output`);
      assert.deepEqual(Array.from({ length: 32 }, (_, r) => victim.getReg(r)), alone.x, `${technique}: the victim's registers`);
      assert.deepEqual(Array.from({ length: 32 }, (_, r) => hostile.getReg(r)), hostileAlone.x, `${technique}: the hostile guest's faults, the same as alone`);
      assert.equal(hostile.getReg(9), 6n, "six faults");
      // Every guest byte of the victim is what it is when the victim runs alone.
      const ram = (vm: typeof host.vms[number]) => vm.readGuestPhysical(0x8000_0000, vm.guestRamSize);
      assert.deepEqual(ram(host.vms[1]), ram(alone.target.vm), `${technique}: the victim's RAM`);
      // No translation the hostile VM runs on reaches a frame outside its own p2m.
      const [h, v] = host.vms;
      for (const root of h.shadow.allRoots()) {
        for (const e of root.entries.values()) {
          const hpa = e.hpaPage * 4096;
          assert.ok(h.p2m.toGpa(hpa) >= 0 && v.p2m.toGpa(hpa) < 0, `${technique}: a shadow entry of the hostile VM maps 0x${hpa.toString(16)}`);
        }
      }
    }
  });

  it("keeps a device's DMA inside its own VM: the IOMMU refuses a rogue DMA, and the neighbour's RAM is untouched", () => {
    const lesson = join(ROOT, "sample-guests/iommu");
    const rogue = loadGuest(join(lesson, "iommu.S"));
    const victim = chatty("v");
    const events: [string, string][] = [];
    const host = new Host([
      { name: "rogue", options: { technique: vmmTechnique("hardware-assisted"), memoryBytes: 128 << 20, disk: new MemoryBackend(new Uint8Array(readFileSync(join(lesson, "disk.img")))), deviceModels: { vm: "passthrough", perDevice: {} }, uartOut: { write: (c: number) => events.push(["rogue", String.fromCharCode(c)]) } } },
      { name: "victim", options: { technique: vmmTechnique("trap-and-emulate"), memoryBytes: 1 << 20, uartOut: { write: (c: number) => events.push(["victim", String.fromCharCode(c)]) } } },
    ], { slice: 5_000 });
    host.load([rogue, victim]);
    runAll(host);
    assert.match(output(events, "rogue"), /rogue DMA to 0x88000000 refused/);
    const [r, v] = host.vms;
    assert.equal(r.log.query({ reasons: ["iommu-fault"] }).total, 1);
    const alone = runVm(victim, { memoryBytes: 1 << 20 });
    assert.equal(output(events, "victim"), alone.uart);
    assert.deepEqual(v.readGuestPhysical(0x8000_0000, v.guestRamSize), alone.target.vm.readGuestPhysical(0x8000_0000, 1 << 20), "the victim's RAM");
  });

  it("takes the same exits however its run is cut, and whether or not the harts' caches are dropped between pieces (another VM's page sharing remaps this one's pages)", () => {
    const lesson = loadGuest(join(ROOT, "sample-guests/two-vms/two_vms.S"));
    const make = () => {
      const host = new Host(["alpha", "beta"].map((name) => ({ name, options: { technique: vmmTechnique("trap-and-emulate"), memoryBytes: 1 << 20, pageSharing: { scanPagesPerTick: 64 } } })), { memoryBytes: 16640 * 1024 });
      host.load([lesson, lesson]);
      return host;
    };
    const exits = (host: Host) => host.vms.map((vm) => vm.log.query({ count: 100_000 }).exits.map((e) => `${e.reason}@${e.instret}`));
    const whole = make();
    runAll(whole);
    const cut = make();
    while (!cut.vms.every((vm) => vm.halt)) {
      cut.run(5_000);
      for (const vm of cut.vms) vm.board.hart.dropCaches();
    }
    assert.ok(whole.vms[0].log.query({ reasons: ["cow-break"] }).total > 0, "pages were shared and their shares broken");
    assert.deepEqual(exits(cut), exits(whole));
  });

  it("runs VMs under every VMM technique side by side, a paravirtual kernel first (its RAM must start on a 2 MiB boundary)", () => {
    const pv = loadGuest(join(ROOT, "sample-guests/paravirtual/pv_kernel.S"));
    const a = chatty("a");
    const vm = (name: string, technique: Technique, memoryBytes = 1 << 20): HostedVm => ({ name, options: { technique: vmmTechnique(technique), memoryBytes } });
    const host = new Host([vm("pv", "paravirtual", 4 << 20), vm("bt", "binary-translation"), vm("te", "trap-and-emulate")], { slice: 5_000 });
    host.load([pv, a, a]);
    runAll(host);
    assert.deepEqual(host.vms.map((v) => v.halt), [{ code: 0, how: "sbi" }, { code: 0, how: "finisher" }, { code: 0, how: "finisher" }]);
    const alone = runVm(a, { memoryBytes: 1 << 20, technique: "binary-translation" });
    assert.equal(host.vms[1].instret, alone.instret);
    assert.throws(() => new Host([vm("te", "trap-and-emulate"), vm("pv", "paravirtual", 4 << 20)]).load([a, pv]), /make the paravirtual VM the first/);
  });

  it("runs on when one VM halts, and a VM that waits forever is passed over, not switched to", () => {
    const waits = asmGuest(`
        .text
        .globl _start
_start: wfi
        j _start
`, "waits.S");
    const host = hostOf([{ name: "waits", technique: "trap-and-emulate", program: waits }, { name: "b", technique: "trap-and-emulate", program: chatty("b") }], 5_000);
    let stop = host.run(10_000_000).stop;
    assert.deepEqual(stop, { kind: "halt", code: 0, how: "finisher" }, "b halted");
    assert.ok(host.vms[1].halt && !host.vms[0].halt);
    stop = host.run(1_000_000).stop;
    assert.equal(stop.kind, "idle", "nothing can wake the VM that waits");
    assert.equal(host.vms[1].log.query({ reasons: ["world-switch"] }).total, 0, "b was never switched away from: the VM that waits was passed over");
  });

  it("shares the host's memory: with room for all, each VM's RAM is backed at once; a smaller host backs pages on first touch", () => {
    const guests = [{ name: "a", technique: "trap-and-emulate" as const, program: chatty("a") }, { name: "b", technique: "hardware-assisted" as const, program: chatty("b") }];
    const whole = hostOf(guests);
    const census = whole.frames.census();
    assert.equal(census.guest, 2 * 256, "both VMs' 1 MiB");
    assert.equal(census.free, 0);
    assert.equal(whole.slice, VM_SLICE);
    const small = new Host(guests.map((g) => ({ name: g.name, options: { technique: vmmTechnique(g.technique), memoryBytes: 1 << 20 } })), { memoryBytes: whole.ram.size - (1 << 20) });
    small.load(guests.map((g) => g.program));
    runAll(small);
    assert.ok(small.vms.every((vm) => vm.halt?.how === "finisher"), "both ran to the end in less host memory than their RAM");
    assert.ok(small.frames.census().guest < 2 * 256);
  });

  it("runs one VM alone slice after slice, as it runs without a host", () => {
    const events: [string, string][] = [];
    const host = hostOf([{ name: "a", technique: "trap-and-emulate", program: chatty("a") }], 1_000, events);
    runAll(host);
    assert.equal(output(events, "a"), "a 1\na 2\na 3\na 4\na 5\n");
    assert.equal(host.worldSwitches, 0);
  });

  it("refuses VMs without names, with the same name, or more than the host's memory, saying which", () => {
    const vm = (name: string) => ({ name, options: { technique: vmmTechnique("trap-and-emulate"), memoryBytes: 1 << 20 } });
    assert.throws(() => new Host([vm("a"), vm("a")]), (e: Error) => e instanceof VmOptionsError && /two VMs are named "a"/.test(e.message));
    assert.throws(() => new Host([vm(" "), vm("a")]), /VM 1 has no name/);
    assert.throws(() => new Host([vm("a"), vm("b")], { memoryBytes: 1 << 40 }), /hostMemory must be a multiple of 4 KiB, at most/);
    assert.throws(() => new Host([vm("a"), vm("b")], { memoryBytes: 4096 }), /VM "a": the host's memory has no room left for this VM's VMM pools/);
  });
});
