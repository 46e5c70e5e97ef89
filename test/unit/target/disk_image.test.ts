import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { openDisk, parseDiskOption, type DiskSpec } from "../../../src/target/disk_image";
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
