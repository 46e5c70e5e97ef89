/**
 * A virtio-blk driver of our own (test/fixtures/guests-virtio), which probes the eight virtio-mmio
 * slots, negotiates, sets up a split queue, reads, writes through an indirect table, flushes, reads
 * beyond the disk and checks EVENT_IDX suppression, awaiting each completion through the PLIC. It runs
 * on QEMU's `virt` board with a virtio-blk-device on virtio-mmio-bus.0 (version 2 transport) and on
 * Hyperstep, natively and under every technique that keeps equivalence: the UART output and the disk
 * image afterwards must be the same. It stands in for xv6 in CI, where xv6's sources cannot be fetched
 * (the README gives the xv6 recipe).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createTarget } from "../../src/target/create_target";
import { openDisk } from "../../src/target/disk_image";
import { EQUIVALENT_TECHNIQUES } from "../../src/target/techniques";
import { buildVirtioGuest, loadVirtioGuest, runOnQemu } from "./virtio_guest";

let ELF = "";
const SECTORS = 16;
const dir = mkdtempSync(join(tmpdir(), "hyperstep-virtio-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The image the guest expects: byte i of sector s is (s * 7 + i) & 0xff. */
function freshImage(name: string): string {
  const bytes = new Uint8Array(SECTORS * 512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = ((i >> 9) * 7 + i) & 0xff;
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

let qemu: { uart: string; image: Buffer };

before(() => {
  ELF = buildVirtioGuest("virtio_blk");
  const image = freshImage("qemu.img");
  const uart = runOnQemu(ELF, dir, ["-drive", `file=${image},if=none,format=raw,id=x0`, "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]);
  qemu = { uart, image: readFileSync(image) };
});

test("on QEMU the guest finds the block device in slot 0, seven empty slots, and passes its checks", () => {
  assert.match(qemu.uart, /^slot 0: magic 74726976 version 2 device 2 vendor 554d4551$/m);
  for (let i = 1; i < 8; i++) assert.match(qemu.uart, new RegExp(`^slot ${i}: magic 74726976 version 2 device 0 vendor 554d4551$`, "m"));
  assert.match(qemu.uart, /PASSED\n$/);
});

for (const technique of EQUIVALENT_TECHNIQUES) {
  test(`${technique}: the same output as QEMU, and the same disk image afterwards`, () => {
    const file = freshImage(`${technique}.img`);
    const disk = openDisk({ path: file, readOnly: false, snapshot: false }, dir);
    if (typeof disk === "string") assert.fail(disk);
    let uart = "";
    const created = createTarget(loadVirtioGuest(ELF), { technique, memoryBytes: 128 << 20, uartOut: { write: (b) => (uart += String.fromCharCode(b)) }, historyBytes: 0, disk });
    if (!created.ok) assert.fail(created.error);
    const stop = created.target.run(50_000_000);
    assert.deepEqual(stop, { kind: "halt", code: 0, how: "finisher" }, uart);
    assert.equal(uart, qemu.uart);
    assert.ok(readFileSync(file).equals(qemu.image), "the image holds the same bytes as QEMU's");
  });
}
