import { VMM_TECHNIQUES } from "../target/techniques";

/** What the VMM commands and panels say when the guest runs natively. */
export const NO_VMM = `no VMM: the guest runs natively (launch with "technique" ${VMM_TECHNIQUES.map((t) => `"${t}"`).join(" or ")} to see exits)`;
