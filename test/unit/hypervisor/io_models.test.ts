import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MemoryBackend } from "../../../src/machine/devices/virtio/block_backend";
import { createTarget, type TargetOptions } from "../../../src/target/create_target";
import type { Target } from "../../../src/target/target";
import { describeModels, parseDeviceModelOption, parseDeviceModels, type DeviceModels } from "../../../src/target/target_options";
import { loadGuest, ROOT } from "./equivalence";

/**
 * The io-models lesson's guest (sample-guests/io-models): a virtio-blk and virtio-console driver that
 * writes four sectors in one batch, reads them back in another, checks them, and prints one line
 * through the UART and again through the virtio-console. It must behave the same natively and under
 * every technique and device model; only the exits differ, as the models say.
 */
const GUEST = loadGuest(join(ROOT, "sample-guests/io-models/io_models.S"));
const LINE = "io-models: 4 sectors written and read back, all equal\n";
const SECTORS = 4;

interface Run {
  target: Target;
  output: string;
  disk: MemoryBackend;
}

function run(technique: TargetOptions["technique"], deviceModels?: DeviceModels, boot?: TargetOptions["boot"]): Run {
  let output = "";
  const disk = new MemoryBackend(new Uint8Array(8192));
  const created = createTarget(GUEST, {
    technique, boot, memoryBytes: 16 << 20, historyBytes: 0, uartOut: { write: (b) => (output += String.fromCharCode(b)) },
    disk, virtioConsole: true, deviceModels,
  });
  assert.ok(created.ok, created.ok ? "" : created.error);
  const target = created.target;
  const stop = target.run(1_000_000);
  assert.deepEqual(stop, { kind: "halt", code: 0, how: "finisher" }, `${technique}: the guest's checks passed`);
  return { target, output, disk };
}

const SPLIT: DeviceModels = { vm: "split", perDevice: {} };
const EMULATED: DeviceModels = { vm: "emulated", perDevice: {} };

/** The exits of `reason` that reached a virtio device. */
function virtioExits(target: Target, reasons: string[]) {
  return target.vmm!.exits({ reasons: reasons as never, count: 1e6 }).exits.filter((e) => e.details.device?.startsWith("virtio"));
}

describe("device models: the io-models guest", () => {
  const native = run("native");

  it("natively: the disk holds the pattern and the line comes out twice, through the UART and the console's ring", () => {
    assert.equal(native.output, LINE + LINE);
    for (let s = 0; s < SECTORS; s++) {
      for (const j of [0, 1, 511]) assert.equal(native.disk.bytes[s * 512 + j], (s * 7 + j) & 0xff, `sector ${s} byte ${j}`);
    }
    assert.ok(native.disk.bytes.subarray(SECTORS * 512).every((b) => b === 0), "nothing beyond the four sectors");
  });

  for (const technique of ["trap-and-emulate", "hardware-assisted", "binary-translation"] as const) {
    for (const models of [EMULATED, SPLIT]) {
      it(`${technique}, ${models.vm}: the same output, disk and instruction count as natively`, () => {
        const r = run(technique, models);
        assert.equal(r.output, native.output);
        assert.deepEqual(r.disk.bytes, native.disk.bytes);
        assert.equal(r.target.instret, native.target.instret);
      });
    }
  }

  it("emulated: every virtio register access exits; split: no read does, and each notification is one virtio-notify", () => {
    const emulated = run("trap-and-emulate", EMULATED).target;
    const split = run("trap-and-emulate", SPLIT).target;
    const reads = virtioExits(emulated, ["mmio-read"]);
    const writes = virtioExits(emulated, ["mmio-write"]);
    // Per device: DeviceID, Status (FEATURES_OK) and QueueNumMax per queue; one InterruptStatus per kick (2 blk, 1 console).
    assert.equal(reads.length, (2 + 1) + (2 + 2) + 3);
    assert.equal(virtioExits(emulated, ["virtio-notify"]).length, 0);
    assert.equal(virtioExits(split, ["mmio-read"]).length, 0, "reads hit the register image");
    const notifies = split.vmm!.exits({ reasons: ["virtio-notify"], count: 100 }).exits;
    assert.deepEqual(notifies.map((e) => [e.details.device, e.details.queue, e.details.chains, e.details.descriptors, e.cycles]), [
      ["virtio0", 0, 4, 12, 650], ["virtio0", 0, 4, 12, 650], ["virtio1", 1, 1, 1, 650],
    ]);
    assert.equal(virtioExits(split, ["mmio-write"]).length, writes.length - 3, "the other writes still exit");
    const images = split.vmm!.exits({ reasons: ["hidden-page-fault"], count: 100 }).exits.filter((e) => e.details.device !== undefined);
    assert.deepEqual(images.map((e) => [e.details.device, e.details.hpa]), [["virtio0", 0x2000_0008n], ["virtio1", 0x2000_1008n]], "one mapping fault per register image");
    assert.match(notifies[0].action, /backend of virtio0 \(blk\) processed 4 chains \(12 descriptors\) from queue 0; used index 0 → 4/);
    assert.equal(notifies[0].steps[2].text, "backend: the driver's available index is 4, the backend had seen up to 0: it took 4 chains (12 descriptors) from the shared ring in guest memory");
  });

  it("split under hardware assistance with an S-mode guest: the image is mapped in the G stage", () => {
    const r = run("hardware-assisted", SPLIT, "supervisor");
    assert.equal(r.output, LINE + LINE);
    const t = r.target;
    assert.equal(virtioExits(t, ["guest-page-fault"]).filter((e) => e.instruction?.mnemonic === "lw").length, 0, "no register read exits");
    assert.deepEqual(t.vmm!.exits({ reasons: ["virtio-notify"], count: 100 }).exits.map((e) => e.details.chains), [4, 4, 1]);
    const mapped = virtioExits(t, ["guest-page-fault"]).filter((e) => e.instruction === undefined);
    assert.deepEqual(mapped.map((e) => e.details.hpa), [0x2000_0008n, 0x2000_1008n]);
  });

  it("the Devices view shows each shared ring from both sides", () => {
    const t = run("trap-and-emulate", SPLIT).target;
    const blk = t.deviceStates!().find((d) => d.id === "virtio0")!;
    const model = blk.nodes[0];
    assert.equal(model.label, "device model");
    assert.match(model.value!, /^split:/);
    assert.equal(model.children![0].value, "driver: available 8 · backend: seen 8, used 8 · 0 waiting");
    const emulated = run("trap-and-emulate", EMULATED).target.deviceStates!().find((d) => d.id === "virtio1")!;
    assert.match(emulated.nodes[0].value!, /^emulated:/);
  });

  it("split is refused natively, naming the option", () => {
    const r = createTarget(GUEST, { technique: "native", memoryBytes: 16 << 20, deviceModels: SPLIT });
    assert.deepEqual(r, { ok: false, error: "deviceModel split needs a VMM technique: natively the guest drives the devices itself" });
  });
});

describe("device models: parsing", () => {
  it("takes one model for the VM, or one per device", () => {
    assert.deepEqual(parseDeviceModels(undefined), { vm: "emulated", perDevice: {} });
    assert.deepEqual(parseDeviceModels("split"), { vm: "split", perDevice: {} });
    assert.deepEqual(parseDeviceModels({ "virtio-blk": "split" }), { vm: "emulated", perDevice: { "virtio-blk": "split" } });
    assert.deepEqual(parseDeviceModelOption("virtio-blk=split,virtio-console=emulated"), { vm: "emulated", perDevice: { "virtio-blk": "split", "virtio-console": "emulated" } });
    assert.equal(describeModels({ vm: "emulated", perDevice: { "virtio-blk": "split" } }), "virtio-blk split, others emulated");
  });

  it("says what is wrong", () => {
    assert.deepEqual(parseDeviceModels("passthrough"), { vm: "passthrough", perDevice: {} });
    assert.equal(parseDeviceModels("direct"), "the model must be one of \"emulated\", \"split\", \"passthrough\", not \"direct\"");
    assert.equal(parseDeviceModels({ "virtio-net": "split" }), "there is no device \"virtio-net\"; the devices are \"virtio-blk\", \"virtio-console\", \"virtio-rng\"");
    assert.equal(parseDeviceModels({ "virtio-blk": 3 }), "the model of \"virtio-blk\" must be one of \"emulated\", \"split\", \"passthrough\", not 3");
    assert.equal(parseDeviceModelOption("virtio-blk"), "the model must be one of \"emulated\", \"split\", \"passthrough\", not \"virtio-blk\"");
    assert.equal(parseDeviceModelOption("virtio-blk=split=x"), "\"virtio-blk=split=x\" is not device=model, such as virtio-blk=split");
  });
});
