import { VMM_TECHNIQUES } from "../target/techniques";

/** What the VMM commands and panels say when the guest runs natively. */
const QUOTED = VMM_TECHNIQUES.map((t) => `"${t}"`);
export const NO_VMM = `no VMM: the guest runs natively (launch with "technique" ${QUOTED.slice(0, -1).join(", ")} or ${QUOTED.at(-1)} to see exits)`;
