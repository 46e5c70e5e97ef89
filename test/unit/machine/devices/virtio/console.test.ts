import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONSOLE_DEVICE_ID, VirtioConsole } from "../../../../../src/machine/devices/virtio/console";
import { F_VERSION_1 } from "../../../../../src/machine/devices/virtio/mmio_transport";
import * as R from "../../../../../src/machine/devices/virtio/registers";
import { AVAIL, DESC, USED } from "./rings";
import { TransportDriver } from "./transport_driver";

/** A console on a transport whose queue 0 (receiveq) is set up, with `input` waiting and its output collected. */
function consoleWith(input: string) {
  const out: number[] = [];
  const bytes = [...new TextEncoder().encode(input)];
  const device = new VirtioConsole({ write: (b) => out.push(b) }, { read: () => bytes.shift() ?? -1 });
  return { d: new TransportDriver(device), device, out, waiting: () => bytes.length };
}

const text = (b: Uint8Array | number[]) => new TextDecoder().decode(Uint8Array.from(b));

describe("virtio-console over virtio-mmio", () => {
  it("is device 3 with two queues, no feature bits of its own, and a configuration space of zeros", () => {
    const { d } = consoleWith("");
    assert.equal(d.rd(R.DEVICE_ID), CONSOLE_DEVICE_ID);
    d.w(R.DEVICE_FEATURES_SEL, 0);
    assert.equal(d.rd(R.DEVICE_FEATURES) & 0xffffff, 0, "no SIZE, MULTIPORT or EMERG_WRITE");
    d.w(R.QUEUE_SEL, 1);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 1024, "transmitq");
    d.w(R.QUEUE_SEL, 2);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 0, "no third queue");
    assert.deepEqual([0, 4, 8].map((o) => d.dev.read(R.CONFIG + o, 4)), [0, 0, 0], "cols/rows, max_nr_ports, emerg_wr");
    assert.equal(d.dev.read(R.CONFIG + 12, 4), 0xffff_ffff, "nothing beyond its 12 bytes");
  });

  it("fills the receive buffers the driver offered with waiting input when polled, and interrupts", () => {
    const { d, device, waiting } = consoleWith("hello, ring");
    const a = d.r.alloc(8, 0xee);
    const b = d.r.alloc(8, 0xee);
    d.r.offer(d.r.chain([{ addr: a, len: 8, write: true }]));
    d.r.offer(d.r.chain([{ addr: b, len: 8, write: true }]));
    d.w(R.QUEUE_NOTIFY, 0);
    assert.equal(d.r.usedIdx(), 2, "input waited in the source, so the notification used both buffers");
    assert.deepEqual(d.r.used(0), { id: 0, len: 8 });
    assert.deepEqual(d.r.used(1), { id: 1, len: 3 });
    assert.equal(text(d.r.bytes(a, 8)) + text(d.r.bytes(b, 3)), "hello, ring");
    assert.equal(device.bytesReceived, 11);
    assert.equal(waiting(), 0);
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_USED);
    assert.equal(d.irq, true);
  });

  it("takes input only when a receive buffer waits for it, and poll delivers what arrives later", () => {
    const out: number[] = [];
    const input: number[] = [];
    const device = new VirtioConsole({ write: (b) => out.push(b) }, { read: () => input.shift() ?? -1 });
    const d = new TransportDriver(device);
    input.push(0x41, 0x42);
    d.dev.poll();
    assert.equal(input.length, 2, "no buffer offered: the bytes stay in the source, for the UART to take if it wants");
    const a = d.r.alloc(4, 0);
    d.r.offer(d.r.chain([{ addr: a, len: 4, write: true }]));
    d.w(R.QUEUE_NOTIFY, 0);
    assert.equal(d.r.usedIdx(), 1);
    assert.equal(text(d.r.bytes(a, 2)), "AB");
    d.w(R.INTERRUPT_ACK, R.ISR_USED);
    const b = d.r.alloc(4, 0);
    d.r.offer(d.r.chain([{ addr: b, len: 4, write: true }]));
    d.w(R.QUEUE_NOTIFY, 0);
    assert.equal(d.r.usedIdx(), 1, "no input yet: the buffer waits");
    input.push(0x43);
    d.dev.poll();
    assert.equal(d.r.usedIdx(), 2);
    assert.deepEqual(d.r.used(1), { id: 1, len: 1 });
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_USED, "input that arrived between slices interrupts like a notification");
  });

  it("writes the transmit buffers' bytes out in chain order and uses each chain with length 0", () => {
    const out: number[] = [];
    const d = new TransportDriver(new VirtioConsole({ write: (b) => out.push(b) }), F_VERSION_1);
    // Move the test rings from queue 0 to queue 1 (transmitq).
    d.w(R.QUEUE_SEL, 0);
    d.w(R.QUEUE_READY, 0);
    d.w(R.QUEUE_SEL, 1);
    d.w(R.QUEUE_NUM, 8);
    d.w(R.QUEUE_DESC_LOW, DESC);
    d.w(R.QUEUE_DRIVER_LOW, AVAIL);
    d.w(R.QUEUE_DEVICE_LOW, USED);
    d.w(R.QUEUE_READY, 1);
    const hello = d.r.alloc(6);
    d.r.bytes(hello, 6).set(new TextEncoder().encode("hello "));
    const ring = d.r.alloc(5);
    d.r.bytes(ring, 5).set(new TextEncoder().encode("ring\n"));
    d.r.offer(d.r.chain([{ addr: hello, len: 6 }, { addr: ring, len: 5 }]));
    d.w(R.QUEUE_NOTIFY, 1);
    assert.equal(text(out), "hello ring\n");
    assert.deepEqual(d.r.used(0), { id: 0, len: 0 });
  });
});

describe("virtio-console in the Devices view", () => {
  it("names its queues and counts the bytes each way", () => {
    const { d } = consoleWith("hi");
    const a = d.r.alloc(8, 0);
    d.r.offer(d.r.chain([{ addr: a, len: 8, write: true }]));
    d.w(R.QUEUE_NOTIFY, 0);
    const view = d.dev.view!();
    assert.equal(view.label, "virtio-mmio 0: console");
    assert.deepEqual(view.nodes.filter((n) => n.label.startsWith("queue")).map((n) => [n.label, n.value]), [
      ["queue 0 (receiveq)", "8 entries, available index 1, used index 1"],
      ["queue 1 (transmitq)", "not ready"],
    ]);
    assert.deepEqual(view.nodes.slice(-2).map((n) => n.value), ["0 bytes in 0 chains", "2 bytes in 1 chain"]);
  });
});
