/** Privilege modes as the privileged spec encodes them (mstatus.MPP, the `prv` of a hart): 2 is reserved. */
export const PRIV_U = 0, PRIV_S = 1, PRIV_M = 3;

/** One letter per mode, for traces and narratives ("?" for the reserved encoding). */
export const PRIV_NAMES: readonly string[] = ["U", "S", "?", "M"];
