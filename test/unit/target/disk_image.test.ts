import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { diskForHistory, openDisk, parseDiskOption, type DiskSpec } from "../../../src/target/disk_image";
import { machinePolicy } from "../../../src/target/history/machine_policy";
import { captureState, restoreState } from "../../../src/target/history/object_state";
import type { BlockBackend } from "../../../src/machine/devices/virtio/block_backend";

const dir = mkdtempSync(path.join(tmpdir(), "hyperstep-disk-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const spec = (p: string, flags: Partial<DiskSpec> = {}): DiskSpec => ({ path: p, readOnly: false, snapshot: false, ...flags });

function open(s: DiskSpec): BlockBackend {
  const d = openDisk(s, dir);
  if (typeof d === "string") assert.fail(d);
  return d;
}

describe("disk images (--disk, launch attribute disk)", () => {
  it("parses FILE[,readonly][,snapshot]", () => {
    assert.deepEqual(parseDiskOption("fs.img"), spec("fs.img"));
    assert.deepEqual(parseDiskOption("fs.img,readonly"), spec("fs.img", { readOnly: true }));
    assert.deepEqual(parseDiskOption("fs.img,snapshot,readonly"), spec("fs.img", { readOnly: true, snapshot: true }));
    assert.match(parseDiskOption("fs.img,ro") as string, /unknown flag 'ro'/);
    assert.match(parseDiskOption(",snapshot") as string, /needs a file name/);
  });

  it("refuses at launch an image that is missing, a directory, empty, or not whole sectors", () => {
    file("short.img", new Uint8Array(1000));
    file("empty.img", new Uint8Array(0));
    assert.match(openDisk(spec("missing.img"), dir) as string, /no such file/);
    assert.match(openDisk(spec("."), dir) as string, /directory|not a regular file/);
    assert.match(openDisk(spec("empty.img"), dir) as string, /0 bytes, not a whole number of 512-byte sectors/);
    assert.match(openDisk(spec("short.img", { snapshot: true }), dir) as string, /1000 bytes, not a whole number of 512-byte sectors/);
  });

  it("writes through to the file: a completed write is in the file at once", () => {
    const p = file("rw.img", new Uint8Array(2048));
    const d = open(spec("rw.img"));
    assert.equal(d.size, 2048);
    assert.equal(d.readOnly, false);
    assert.match(d.description, /write-through/);
    assert.equal(d.write(512, new Uint8Array(512).fill(7)), true);
    const now = readFileSync(p);
    assert.ok(now.subarray(512, 1024).every((b) => b === 7));
    assert.ok(now.subarray(0, 512).every((b) => b === 0));
    assert.equal(d.flush(), true);
    const back = new Uint8Array(512);
    assert.equal(d.read(512, back), true);
    assert.ok(back.every((b) => b === 7));
  });

  it("snapshot: reads the file, keeps writes in memory, never writes the file", () => {
    const bytes = new Uint8Array(1024).fill(1);
    const p = file("snap.img", bytes);
    const d = open(spec("snap.img", { snapshot: true }));
    assert.equal(d.write(0, new Uint8Array(512).fill(9)), true);
    const back = new Uint8Array(1024);
    d.read(0, back);
    assert.ok(back.subarray(0, 512).every((b) => b === 9) && back.subarray(512).every((b) => b === 1));
    assert.deepEqual(new Uint8Array(readFileSync(p)), bytes);
  });

  it("readonly: refuses writes and leaves the file alone", () => {
    const bytes = new Uint8Array(512).fill(4);
    const p = file("ro.img", bytes);
    const d = open(spec("ro.img", { readOnly: true }));
    assert.equal(d.readOnly, true);
    assert.equal(d.write(0, new Uint8Array(512)), false);
    assert.deepEqual(new Uint8Array(readFileSync(p)), bytes);
  });

  it("an image that vanishes after launch is an I/O error for the guest, not an exception", () => {
    const p = file("gone.img", new Uint8Array(512));
    const d = open(spec("gone.img"));
    rmSync(p);
    assert.equal(d.read(0, new Uint8Array(512)), false);
  });
});

describe("a write-through disk under time travel", () => {
  const sector = (fill: number) => new Uint8Array(512).fill(fill);
  const readSector = (d: BlockBackend, n: number) => {
    const into = new Uint8Array(512);
    assert.ok(d.read(n * 512, into));
    return into[0];
  };
  const inFile = (p: string, n: number) => readFileSync(p)[n * 512];

  it("rewinds what the guest reads with the machine, while the file keeps every write", () => {
    const p = file("timeline.img", new Uint8Array(8 * 512).fill(0xaa));
    const { disk, host } = diskForHistory(open(spec(p)));
    assert.equal(host.length, 1, "the image file is the host's end, outside the machine's state");
    const machine = { disk };
    const policy = machinePolicy([], host);
    const atLaunch = captureState(machine, policy);

    assert.ok(disk.write(2 * 512, sector(0x11)));
    assert.equal(readSector(disk, 2), 0x11, "the guest reads its write");
    assert.equal(inFile(p, 2), 0x11, "write-through");
    const afterWrite = captureState(machine, policy);

    restoreState(atLaunch);
    assert.equal(readSector(disk, 2), 0xaa, "back before the write, the guest reads what it read then");
    assert.equal(inFile(p, 2), 0x11, "the file is not rewound");

    assert.ok(disk.write(2 * 512, sector(0x22)), "a write on a new timeline");
    assert.equal(readSector(disk, 2), 0x22);
    assert.equal(inFile(p, 2), 0x22);
    restoreState(afterWrite);
    assert.equal(readSector(disk, 2), 0x11, "forward again, the first timeline's write");
    restoreState(atLaunch);
    assert.equal(readSector(disk, 2), 0xaa, "the sector as launched, after two writes");
    assert.equal(readSector(disk, 3), 0xaa, "an unwritten sector reads from the file");
  });

  it("leaves read-only and snapshot disks as they are", () => {
    for (const flags of [{ readOnly: true }, { snapshot: true }]) {
      const d = open(spec(file("plain.img", new Uint8Array(512)), flags));
      assert.deepEqual(diskForHistory(d), { disk: d, host: [] });
    }
  });
});
