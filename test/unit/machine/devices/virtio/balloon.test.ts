import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BALLOON_DEVICE_ID, VirtioBalloon } from "../../../../../src/machine/devices/virtio/balloon";
import * as R from "../../../../../src/machine/devices/virtio/registers";
import { DESC, RAM } from "./rings";
import { TransportDriver } from "./transport_driver";

/** deflateq's rings, beside the test rings' (which queue 0, inflateq, uses). */
const DEFLATE_AVAIL = RAM + 0x4000;
const DEFLATE_USED = RAM + 0x5000;

/** A balloon brought up as a driver does, with deflateq ready too; `reclaimed` lists what the host was given. */
function balloon() {
  const reclaimed: number[] = [];
  const device = new VirtioBalloon({ isRam: (gpa) => gpa >= RAM && gpa < RAM + (1 << 20), reclaim: (gpa) => reclaimed.push(gpa) });
  const d = new TransportDriver(device);
  d.w(R.QUEUE_SEL, 1);
  d.w(R.QUEUE_NUM, 8);
  d.w(R.QUEUE_DESC_LOW, DESC);
  d.w(R.QUEUE_DRIVER_LOW, DEFLATE_AVAIL);
  d.w(R.QUEUE_DEVICE_LOW, DEFLATE_USED);
  d.w(R.QUEUE_READY, 1);
  let deflateIdx = 0;
  /** Gives the device one chain of le32 frame numbers on `queue` and notifies; returns the used entry's length. */
  const send = (queue: 0 | 1, pfns: number[], extraBytes = 0) => {
    const r = d.r;
    const addr = r.alloc(4 * pfns.length + extraBytes, 0xee);
    pfns.forEach((p, i) => r.view.setUint32(addr - RAM + 4 * i, p, true));
    const head = r.chain([{ addr, len: 4 * pfns.length + extraBytes }]);
    if (queue === 0) {
      const before = r.usedIdx();
      r.offer(head);
      d.w(R.QUEUE_NOTIFY, 0);
      assert.equal(r.usedIdx(), (before + 1) & 0xffff);
      return r.used(before).len;
    }
    r.view.setUint16(DEFLATE_AVAIL - RAM + 4 + 2 * (deflateIdx % 8), head, true);
    deflateIdx++;
    r.view.setUint16(DEFLATE_AVAIL - RAM + 2, deflateIdx, true);
    d.w(R.QUEUE_NOTIFY, 1);
    assert.equal(r.view.getUint16(DEFLATE_USED - RAM + 2, true), deflateIdx);
    return r.view.getUint32(DEFLATE_USED - RAM + 4 + 8 * ((deflateIdx - 1) % 8) + 4, true);
  };
  return { d, device, reclaimed, send };
}

const pfn = (gpa: number) => gpa / 4096;

describe("virtio-balloon over virtio-mmio", () => {
  it("is device 5 with inflateq and deflateq, offers no feature of its own, and has QEMU's 8-byte configuration", () => {
    const { d } = balloon();
    assert.equal(d.rd(R.DEVICE_ID), BALLOON_DEVICE_ID);
    d.w(R.DEVICE_FEATURES_SEL, 0);
    assert.equal(d.rd(R.DEVICE_FEATURES) & 0x00ff_ffff, 0, "no STATS_VQ, no MUST_TELL_HOST, no DEFLATE_ON_OOM");
    d.w(R.QUEUE_SEL, 1);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 1024);
    d.w(R.QUEUE_SEL, 2);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 0, "no statsq");
    assert.equal(d.rd(R.CONFIG), 0, "num_pages");
    assert.equal(d.rd(R.CONFIG + 4), 0, "actual");
    assert.equal(d.rd(R.CONFIG + 8), 0xffff_ffff, "beyond the configuration");
  });

  it("a new target is num_pages, with a configuration-change interrupt and a new ConfigGeneration", () => {
    const { d, device } = balloon();
    const generation = d.rd(R.CONFIG_GENERATION);
    device.setTarget(64);
    assert.equal(d.rd(R.CONFIG), 64);
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_CONFIG);
    assert.equal(d.irq, true);
    assert.equal(d.rd(R.CONFIG_GENERATION), generation + 1);
    d.w(R.INTERRUPT_ACK, R.ISR_CONFIG);
    assert.equal(d.irq, false);
    device.setTarget(64);
    assert.equal(d.rd(R.INTERRUPT_STATUS), 0, "the same target again changes nothing");
    assert.throws(() => device.setTarget(-1), /whole number of pages, 0 to 2\^32 − 1, not -1/);
  });

  it("the driver writes actual (at any width) and cannot write num_pages", () => {
    const { d, device } = balloon();
    device.setTarget(16);
    d.dev.write(R.CONFIG + 4, 4, 12);
    assert.equal(device.actual, 12);
    d.dev.write(R.CONFIG + 5, 1, 1);
    assert.equal(d.rd(R.CONFIG + 4), 12 + 256);
    d.dev.write(R.CONFIG, 4, 99);
    assert.equal(d.rd(R.CONFIG), 16, "num_pages is the host's");
  });

  it("inflate hands each RAM page to the host once; deflate takes pages out; frame numbers outside RAM and trailing bytes are ignored", () => {
    const { device, reclaimed, send } = balloon();
    const pages = [RAM + 0x20000, RAM + 0x21000, RAM + 0x23000];
    assert.equal(send(0, [...pages.map(pfn), pfn(0x1000_0000)], 3), 0, "used length 0, as QEMU's");
    assert.deepEqual(reclaimed, pages);
    assert.deepEqual(device.pages(), pages);
    send(0, [pfn(pages[1])]);
    assert.deepEqual(reclaimed, pages, "a page already in the balloon is not given twice");
    send(1, [pfn(pages[0]), pfn(RAM + 0x40000)]);
    assert.deepEqual(device.pages(), pages.slice(1));
    assert.deepEqual(device.requests().map((r) => [r.op, r.pfns, r.moved]), [["inflate", 4, 3], ["inflate", 1, 0], ["deflate", 2, 1]]);
  });

  it("a device reset empties the balloon and actual; the host's target stays", () => {
    const { d, device, send } = balloon();
    device.setTarget(8);
    send(0, [pfn(RAM + 0x20000)]);
    d.dev.write(R.CONFIG + 4, 4, 1);
    d.w(R.STATUS, 0);
    assert.deepEqual(device.pages(), []);
    assert.equal(device.actual, 0);
    assert.equal(device.targetPages, 8);
  });

  it("shows target, actual, the pages it holds as runs, and its requests in the Devices view", () => {
    const { d, device, send } = balloon();
    device.setTarget(4);
    send(0, [pfn(RAM + 0x20000), pfn(RAM + 0x21000), pfn(RAM + 0x30000)]);
    d.dev.write(R.CONFIG + 4, 4, 3);
    const view = d.dev.view!();
    assert.equal(view.label, "virtio-mmio 0: balloon");
    const node = (label: string) => view.nodes.find((n) => n.label === label)!;
    assert.equal(node("num_pages (target)").value, "4 (16 KiB)");
    assert.equal(node("actual").value, "3 (12 KiB)");
    assert.equal(node("pages in the balloon").value, "3 (12 KiB)");
    assert.deepEqual(node("pages in the balloon").children!.map((c) => [c.label, c.value]), [["0x80020000", "2 pages, to 0x80021fff"], ["0x80030000", "1 page"]]);
    assert.deepEqual(node("requests").children!.map((c) => `${c.label}: ${c.value}`), ["#1 inflate: 3 frame numbers from 0x80020000, 3 pages in"]);
    assert.deepEqual(view.nodes.filter((n) => n.label.startsWith("queue")).map((n) => n.label), ["queue 0 (inflateq)", "queue 1 (deflateq)"]);
  });
});
