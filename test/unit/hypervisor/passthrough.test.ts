import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseLaunchConfig } from "../../../src/debug/launch_config";
import { MemoryBackend } from "../../../src/machine/devices/virtio/block_backend";
import * as IR from "../../../src/machine/devices/iommu/registers";
import { Vm, VmOptionsError } from "../../../src/hypervisor/vm";
import { createTarget } from "../../../src/target/create_target";
import type { VmTarget } from "../../../src/target/vm_target";
import type { Technique } from "../../../src/target/techniques";
import { techniqueEntry } from "../../../src/target/techniques";
import { ROOT, loadGuest } from "./equivalence";

const PASSTHROUGH = { vm: "passthrough", perDevice: {} } as const;

const LESSON = join(ROOT, "sample-guests/iommu");
const GUEST = loadGuest(join(LESSON, "iommu.S"));
const IMAGE = readFileSync(join(LESSON, "disk.img"));
const OUTPUT = "sector 0, read by the device into our RAM: Hello from disk.img, sector 0.\nrogue DMA to 0x88000000 refused: the device needs a reset\n";
const TECHNIQUES: Technique[] = ["trap-and-emulate", "hardware-assisted", "binary-translation"];
const disk = () => new MemoryBackend(new Uint8Array(IMAGE));

function lessonTarget(technique: Technique) {
  let out = "";
  const r = createTarget(GUEST, { technique, memoryBytes: 128 << 20, uartOut: { write: (b) => (out += String.fromCharCode(b)) }, disk: disk(), deviceModels: PASSTHROUGH, historyBytes: 0 });
  assert.ok(r.ok, r.ok ? "" : r.error);
  return { target: r.target, out: () => out };
}

function vmOf(technique: Technique) {
  const runs = techniqueEntry(technique).runs;
  assert.ok(typeof runs === "object");
  const vm = new Vm({ technique: runs, memoryBytes: 128 << 20, disk: disk(), deviceModels: PASSTHROUGH });
  vm.load(GUEST);
  return vm;
}

describe("pass-through with an IOMMU", () => {
  for (const technique of TECHNIQUES) {
    it(`gives the guest its disk, refuses its rogue DMA and forwards its interrupts (${technique})`, () => {
      const { target, out } = lessonTarget(technique);
      const stop = target.run(1_000_000);
      assert.deepEqual(stop.kind, "halt");
      assert.equal(out(), OUTPUT);
      const vmm = target.vmm!;
      const faults = vmm.exits({ reasons: ["iommu-fault"] }).exits;
      assert.equal(faults.length, 1);
      assert.deepEqual(faults[0].details, { device: "virtio0", gpa: 0x8800_0000n, access: "write", causeName: "write/AMO guest-page fault (23)", value: 0x8800_0000n });
      assert.match(faults[0].action, /refused virtio0's DMA write at guest-physical 0x88000000/);
      assert.equal(vmm.exits({ reasons: ["device-interrupt"] }).total, 2, "the completed read, then the configuration change");
      const deviceExits = vmm.exits({ count: 100_000 }).exits.filter((e) => e.details.device === "virtio0" && e.reason !== "iommu-fault" && e.reason !== "device-interrupt");
      assert.deepEqual(deviceExits, [], "no register access of the passed-through device exits");
      const views = target.deviceStates!();
      assert.equal(views.find((d) => d.id === "virtio0")?.label.endsWith("(passed through)"), true);
      const iommu = views.find((d) => d.id === "iommu")!;
      assert.equal(iommu.base, 0x0301_0000n);
      assert.equal(iommu.nodes.find((n) => n.label === "faults")!.children![0].value, "write/AMO guest-page fault (23), device 0, IOVA 0x88000000");
      const io = (target as VmTarget).vm.passthrough!.iommu.state();
      assert.equal(io.faults.length, 1, "the view of the device's rings, which walks them through the IOMMU, left no fault");
      assert.equal(io.fqt, 1);
    });
  }

  for (const technique of ["trap-and-emulate", "hardware-assisted"] as const) {
    it(`changes no host byte but the fault record when the device is told to DMA outside guest RAM (${technique})`, () => {
      const vm = vmOf(technique);
      const notify = GUEST.symbols.find((s) => s.name === "notify")!.address;
      vm.board.hart.breakpoints.add(notify);
      assert.equal(vm.run(1_000_000).kind, "breakpoint", "the first request's notification");
      assert.equal(vm.run(1_000_000).kind, "breakpoint", "the rogue request's notification");
      const before = vm.board.ram.bytes.slice();
      vm.board.hart.breakpoints.delete(notify);
      vm.exitFilter = (e) => e.reason === "iommu-fault";
      const stop = vm.run(1_000_000);
      assert.equal(stop.kind, "trap", "the exit filter stops on the fault");
      assert.equal(vm.stoppedExit?.reason, "iommu-fault");
      const changed: number[] = [];
      const after = vm.board.ram.bytes;
      for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.push(vm.board.ram.base + i);
      const fq = vm.passthrough!.iommu.state();
      const record = Number((fq.fqb >> 10n) << 12n);
      assert.ok(changed.length > 0 && changed.every((a) => a >= record && a < record + IR.FAULT_RECORD_BYTES), `changed: ${changed.map((a) => a.toString(16)).join(" ")}`);
      assert.equal(vm.board.ram.view.getBigUint64(record - vm.board.ram.base, true), 23n | (3n << 34n), "CAUSE 23, TTYP 3, DID 0");
      assert.equal(fq.fqh, 1, "the VMM read the record");
    });
  }

  it("is a clear error where it has no meaning: natively, under paravirtual, without a disk", () => {
    const native = createTarget(GUEST, { technique: "native", memoryBytes: 128 << 20, disk: disk(), deviceModels: PASSTHROUGH });
    assert.ok(!native.ok);
    assert.match(native.error, /^deviceModel "passthrough" needs a VMM technique/);
    const pv = createTarget(GUEST, { technique: "paravirtual", memoryBytes: 128 << 20, disk: disk(), deviceModels: PASSTHROUGH });
    assert.ok(!pv.ok);
    assert.match(pv.error, /^deviceModel "passthrough" is not offered under "paravirtual"/);
    assert.ok(!createTarget(GUEST, { technique: "trap-and-emulate", memoryBytes: 128 << 20, deviceModels: PASSTHROUGH }).ok);
    const runs = techniqueEntry("trap-and-emulate").runs;
    assert.ok(typeof runs === "object");
    assert.throws(() => new Vm({ technique: runs, deviceModels: PASSTHROUGH }), VmOptionsError);
    const base = { program: "x.S", technique: "trap-and-emulate", disk: "disk.img" };
    assert.deepEqual(parseLaunchConfig({ ...base, deviceModel: "passthrough" }).deviceModels, PASSTHROUGH);
    assert.deepEqual(parseLaunchConfig(base).deviceModels, { vm: "emulated", perDevice: {} });
    assert.throws(() => parseLaunchConfig({ ...base, technique: "native", deviceModel: "passthrough" }), /'deviceModel' "passthrough" needs a VMM technique/);
    assert.throws(() => parseLaunchConfig({ ...base, technique: "paravirtual", deviceModel: "passthrough" }), /'deviceModel' "passthrough" is not offered under "paravirtual"/);
    assert.throws(() => parseLaunchConfig({ ...base, disk: undefined, deviceModel: "passthrough" }), /it needs a disk/);
    assert.throws(() => parseLaunchConfig({ ...base, deviceModel: "vfio" }), /'deviceModel' the model must be one of "emulated", "split", "passthrough", not "vfio"/);
  });
});
