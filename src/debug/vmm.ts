import type { Target } from "../hypervisor/target";
import { VmTarget } from "../hypervisor/vm_target";

/** The VMM behind a target, when its technique has one (trap-and-emulate); undefined under native. */
export function vmmOf(target: Target): VmTarget | undefined {
  return target instanceof VmTarget ? target : undefined;
}

export const NO_VMM = "no VMM: the guest runs natively (launch with \"technique\": \"trap-and-emulate\" or \"hardware-assisted\" to see exits)";
