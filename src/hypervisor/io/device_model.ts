/**
 * How the VMM gives a guest its virtio devices (the seed slides' three generations of device
 * virtualization), chosen per VM with the launch attribute `deviceModel` or per device:
 *  - "emulated" (hypervisor-direct, the default): every virtio-mmio register access exits and the
 *    VMM's device model performs it, as the UART's do;
 *  - "split" (Xen's frontend/backend, virtio's driver/device): the guest's driver and the VMM's
 *    backend share the rings in guest memory; register reads hit a read-only register image and do
 *    not exit, writes still exit, and the notification is its own exit, `virtio-notify`, after which
 *    the backend processes the whole batch (split_access.ts);
 *  - "passthrough" (virtio-blk only): the device belongs to the guest, its registers mapped into it,
 *    its DMA through an IOMMU (passthrough.ts); under a VM-wide "passthrough" the others stay emulated.
 */
export const DEVICE_MODELS = ["emulated", "split", "passthrough"] as const;
export type DeviceModel = (typeof DEVICE_MODELS)[number];
export const DEFAULT_DEVICE_MODEL: DeviceModel = "emulated";

/** The devices a model can be chosen for, by the names QEMU's -device gives them. */
export const VIRTIO_DEVICE_NAMES = ["virtio-blk", "virtio-console", "virtio-rng"] as const;
export type VirtioDeviceName = (typeof VIRTIO_DEVICE_NAMES)[number];

/** The model of each virtio device: one for the VM, and any device's own. */
export interface DeviceModels {
  vm: DeviceModel;
  perDevice: Partial<Record<VirtioDeviceName, DeviceModel>>;
}

export const EMULATED_DEVICES: DeviceModels = Object.freeze({ vm: DEFAULT_DEVICE_MODEL, perDevice: Object.freeze({}) });

/** The model of the device of kind `kind` ("blk", as VirtioDevice.kind says). */
export function modelOf(models: DeviceModels, kind: string): DeviceModel {
  return models.perDevice[`virtio-${kind}` as VirtioDeviceName] ?? models.vm;
}

/** Whether any device gets a model other than "emulated". */
export function anyNonEmulated(models: DeviceModels): boolean {
  return models.vm !== "emulated" || Object.values(models.perDevice).some((m) => m !== "emulated");
}

const modelList = DEVICE_MODELS.map((m) => `"${m}"`).join(", ");

/** One model, or what is wrong with it. */
function oneModel(raw: unknown, what: string): { model: DeviceModel } | { error: string } {
  if (typeof raw !== "string" || !(DEVICE_MODELS as readonly string[]).includes(raw)) return { error: `${what} must be one of ${modelList}, not ${JSON.stringify(raw)}` };
  return { model: raw as DeviceModel };
}

/**
 * The launch attribute: a model for the whole VM ("split"), or an object of device names and
 * models ({ "virtio-blk": "split" }, the rest "emulated"). Returns the models or what is wrong.
 */
export function parseDeviceModels(raw: unknown): DeviceModels | string {
  if (raw === undefined || raw === null) return EMULATED_DEVICES;
  if (typeof raw === "string") {
    const m = oneModel(raw, "the model");
    return "error" in m ? m.error : { vm: m.model, perDevice: {} };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) return `the model must be one of ${modelList}, or an object such as { "virtio-blk": "split" }, not ${JSON.stringify(raw)}`;
  const perDevice: DeviceModels["perDevice"] = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(VIRTIO_DEVICE_NAMES as readonly string[]).includes(name)) return `there is no device "${name}"; the devices are ${VIRTIO_DEVICE_NAMES.map((n) => `"${n}"`).join(", ")}`;
    const m = oneModel(value, `the model of "${name}"`);
    if ("error" in m) return m.error;
    perDevice[name as VirtioDeviceName] = m.model;
  }
  return { vm: DEFAULT_DEVICE_MODEL, perDevice };
}

/** The CLI's `--device-model`: a model ("split"), or device=model pairs ("virtio-blk=split,virtio-console=emulated"). */
export function parseDeviceModelOption(text: string): DeviceModels | string {
  if (!text.includes("=")) return parseDeviceModels(text);
  const pairs: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [name, model, extra] = part.split("=");
    if (model === undefined || extra !== undefined) return `"${part}" is not device=model, such as virtio-blk=split`;
    pairs[name] = model;
  }
  return parseDeviceModels(pairs);
}

/** How the models read in one line ("split", or "virtio-blk split, others emulated"). */
export function describeModels(models: DeviceModels): string {
  const own = Object.entries(models.perDevice);
  if (own.length === 0) return models.vm;
  return `${own.map(([n, m]) => `${n} ${m}`).join(", ")}, others ${models.vm}`;
}
