/**
 * The values TargetOptions accepts, for the launch configuration and the CLI's flags to check and to
 * list in their errors. Each is defined where it takes effect (the VM, the board's RAM); the debugger
 * and the CLI drive guests through src/target only (eslint.config.mjs), so they reach them here.
 */
export { GUEST_BOOTS, NON_TRAPPING_SENSITIVE, type GuestBoot, type NonTrappingSensitive } from "../hypervisor/vm";
export { HOSTINGS, type Hosting } from "../hypervisor/cost_model";
export { FPU_SWITCH_POLICIES, type FpuSwitchPolicy } from "../hypervisor/fpu_switch";
export { formatMiB, parseMemorySize } from "../machine/memory_size";
export { DEFAULT_RNG_SEED } from "../machine/devices/virtio/rng";
export { DEFAULT_ICOUNT_SHIFT, icountShiftProblem, MAX_ICOUNT_SHIFT } from "../machine/devices/clint/timebase";
export {
  DEVICE_MODELS, VIRTIO_DEVICE_NAMES, EMULATED_DEVICES, describeModels, parseDeviceModelOption, parseDeviceModels, type DeviceModel, type DeviceModels,
} from "../hypervisor/io/device_model";
export type { PageSharingOptions } from "../hypervisor/mm/page_sharing";
