import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GuestDevices } from "../../../src/hypervisor/devices/guest_devices";
import { Ram } from "../../../src/machine/memory";
import { createVirtBoard } from "../../../src/machine/virt";

const MEIP = 11;

function guest() {
  const lines = new Map<number, boolean>();
  let changed = 0;
  const devices = new GuestDevices(new Ram(0x8000_0000, 1 << 16), {
    vcpus: 1,
    retired: () => 0,
    linesChanged: () => changed++,
    setMipLine: (bit, level) => lines.set(bit, level),
    halt: () => {},
    watchGuestWrites: () => () => {},
    ramWritten: () => {},
    dmaWritten: (gpa, len) => dma.push([gpa, len]),
  }, { instructionsPerTick: 100 });
  const dma: [number, number][] = [];
  return { devices, lines, timerChanges: () => changed, dma };
}

describe("a VM's own devices", () => {
  it("are the native board's devices, at the same guest-physical addresses and with the same views", () => {
    const { devices } = guest();
    const native = createVirtBoard({ memoryBytes: 1 << 16 });
    const layout = (ds: readonly { name: string; base: number; size: number }[]) => ds.map((d) => [d.name, d.base, d.size]);
    assert.deepEqual(layout(devices.mmio), layout(native.devices.mmio));
    assert.deepEqual(devices.views(), native.devices.views());
    assert.equal(devices.deviceAt(0x0c20_0004, 4), devices.plic);
  });

  it("report a device's writes into guest RAM (DMA) to the VMM", () => {
    const { devices, dma } = guest();
    devices.dma.write(0x8000_1000, new Uint8Array(16));
    devices.dma.setU16(0x8000_2002, 7);
    assert.deepEqual(dma, [[0x8000_1000, 16], [0x8000_2002, 2]]);
  });

  it("drive the vCPU's lines through the VMM's hooks", () => {
    const { devices, lines, timerChanges } = guest();
    devices.bus.store(0x0200_0000, 4, 1n);
    assert.equal(timerChanges(), 1, "a CLINT write tells the VMM to resync MSIP/MTIP");
    devices.bus.store(0x0c00_0000 + 4 * 10, 4, 1n);
    devices.bus.store(0x0c00_2000, 4, 1n << 10n);
    devices.bus.store(0x1000_0001, 1, 2n); // IER: THR empty, which raises the UART's line at once
    assert.equal(lines.get(MEIP), true, "UART → PLIC source 10 → context 0 → the vCPU's MEIP");
  });
});
