import { unnamed } from "../format";

/**
 * The virtio-mmio register layout, version 2 (virtio 1.2 §4.2.2), as offsets from a slot's base.
 * Device-specific configuration starts at CONFIG.
 */
export const MAGIC_VALUE = 0x000;
export const VERSION = 0x004;
export const DEVICE_ID = 0x008;
export const VENDOR_ID = 0x00c;
export const DEVICE_FEATURES = 0x010;
export const DEVICE_FEATURES_SEL = 0x014;
export const DRIVER_FEATURES = 0x020;
export const DRIVER_FEATURES_SEL = 0x024;
export const QUEUE_SEL = 0x030;
export const QUEUE_NUM_MAX = 0x034;
export const QUEUE_NUM = 0x038;
export const QUEUE_READY = 0x044;
export const QUEUE_NOTIFY = 0x050;
export const INTERRUPT_STATUS = 0x060;
export const INTERRUPT_ACK = 0x064;
export const STATUS = 0x070;
export const QUEUE_DESC_LOW = 0x080;
export const QUEUE_DESC_HIGH = 0x084;
export const QUEUE_DRIVER_LOW = 0x090;
export const QUEUE_DRIVER_HIGH = 0x094;
export const QUEUE_DEVICE_LOW = 0x0a0;
export const QUEUE_DEVICE_HIGH = 0x0a4;
export const SHM_LEN_LOW = 0x0b0;
export const SHM_LEN_HIGH = 0x0b4;
export const CONFIG_GENERATION = 0x0fc;
export const CONFIG = 0x100;

/** "virt" in little-endian ASCII, and QEMU's vendor id ("QEMU"), which a guest may check (xv6 does). */
export const MAGIC = 0x7472_6976;
export const VENDOR_QEMU = 0x554d_4551;

/** Device status bits (§2.1). */
export const S_ACKNOWLEDGE = 1;
export const S_DRIVER = 2;
export const S_DRIVER_OK = 4;
export const S_FEATURES_OK = 8;
export const S_NEEDS_RESET = 0x40;
export const S_FAILED = 0x80;

/** Interrupt status bits (§4.2.2): a used buffer, a configuration change. */
export const ISR_USED = 1;
export const ISR_CONFIG = 2;

const NAMES: Record<number, string> = {
  [MAGIC_VALUE]: "MagicValue", [VERSION]: "Version", [DEVICE_ID]: "DeviceID", [VENDOR_ID]: "VendorID",
  [DEVICE_FEATURES]: "DeviceFeatures", [DEVICE_FEATURES_SEL]: "DeviceFeaturesSel",
  [DRIVER_FEATURES]: "DriverFeatures", [DRIVER_FEATURES_SEL]: "DriverFeaturesSel",
  [QUEUE_SEL]: "QueueSel", [QUEUE_NUM_MAX]: "QueueNumMax", [QUEUE_NUM]: "QueueNum", [QUEUE_READY]: "QueueReady",
  [QUEUE_NOTIFY]: "QueueNotify", [INTERRUPT_STATUS]: "InterruptStatus", [INTERRUPT_ACK]: "InterruptACK",
  [STATUS]: "Status", [QUEUE_DESC_LOW]: "QueueDescLow", [QUEUE_DESC_HIGH]: "QueueDescHigh",
  [QUEUE_DRIVER_LOW]: "QueueDriverLow", [QUEUE_DRIVER_HIGH]: "QueueDriverHigh",
  [QUEUE_DEVICE_LOW]: "QueueDeviceLow", [QUEUE_DEVICE_HIGH]: "QueueDeviceHigh",
  [SHM_LEN_LOW]: "SHMLenLow", [SHM_LEN_HIGH]: "SHMLenHigh", [CONFIG_GENERATION]: "ConfigGeneration",
};

export function virtioRegisterName(offset: number, _write: boolean): string {
  if (offset >= CONFIG) return `config+0x${(offset - CONFIG).toString(16)}`;
  return NAMES[offset] ?? unnamed(offset);
}
