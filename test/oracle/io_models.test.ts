/**
 * The io-models lesson's guest (sample-guests/io-models) with its devices on QEMU's `virt` board:
 * virtio-blk on virtio-mmio-bus.0 and a one-port virtio-console on virtio-mmio-bus.1, the version 2
 * transport. QEMU prints the line once on its UART and once on the console's chardev, and leaves
 * the four sectors in the image; Hyperstep, natively and under every technique that keeps
 * equivalence and both device models, must print the same (its console shares the UART's output)
 * and leave the same image.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { MemoryBackend } from "../../src/machine/devices/virtio/block_backend";
import { createTarget } from "../../src/target/create_target";
import type { DeviceModel } from "../../src/target/target_options";
import { EQUIVALENT_TECHNIQUES, type Technique } from "../../src/target/techniques";
import { buildWithGcc, ROOT } from "../support/guests";
import { loadVirtioGuest, runOnQemu } from "./virtio_guest";

const DISK_BYTES = 8192;
const dir = mkdtempSync(join(tmpdir(), "hyperstep-io-models-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let elf = "";
let qemu: { uart: string; console: string; image: Buffer };

before(() => {
  elf = buildWithGcc(join(ROOT, "sample-guests/io-models/io_models.S"), "sample-io-models");
  const image = join(dir, "qemu.img");
  writeFileSync(image, new Uint8Array(DISK_BYTES));
  const consoleFile = join(dir, "console.txt");
  const uart = runOnQemu(elf, dir, [
    "-drive", `file=${image},if=none,format=raw,id=x0`, "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
    "-chardev", `file,id=con,path=${consoleFile}`, "-device", "virtio-serial-device,bus=virtio-mmio-bus.1,max_ports=1", "-device", "virtconsole,chardev=con",
  ]);
  qemu = { uart, console: readFileSync(consoleFile, "latin1"), image: readFileSync(image) };
});

test("QEMU: the line on the UART and on the console, and the four sectors in the image", () => {
  assert.equal(qemu.uart, "io-models: 4 sectors written and read back, all equal\n");
  assert.equal(qemu.console, qemu.uart);
  assert.equal(qemu.image[512], 7, "sector 1 starts with 1 * 7");
});

const runs = EQUIVALENT_TECHNIQUES.flatMap((technique): { technique: Technique; model?: DeviceModel }[] =>
  technique === "native" ? [{ technique }] : (["emulated", "split"] as const).map((model) => ({ technique, model })));

for (const { technique, model } of runs) {
  test(`Hyperstep ${technique}${model ? `, ${model}` : ""}: the same output and the same image as QEMU`, () => {
    let output = "";
    const disk = new MemoryBackend(new Uint8Array(DISK_BYTES));
    const created = createTarget(loadVirtioGuest(elf), {
      technique, memoryBytes: 128 << 20, historyBytes: 0, uartOut: { write: (b) => (output += String.fromCharCode(b)) },
      disk, virtioConsole: true, deviceModels: model && { vm: model, perDevice: {} },
    });
    assert.ok(created.ok, created.ok ? "" : created.error);
    assert.deepEqual(created.target.run(1_000_000), { kind: "halt", code: 0, how: "finisher" });
    assert.equal(output, qemu.uart + qemu.console);
    assert.deepEqual(Buffer.from(disk.bytes), qemu.image);
  });
}
