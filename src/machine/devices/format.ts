/** How the devices' register names and views spell values, so that every device reads alike. */

export const hex = (v: number | bigint, digits = 2) => `0x${v.toString(16).padStart(digits, "0")}`;
export const yes = (b: boolean) => (b ? "yes" : "no");
/** A register the device does not name: its offset. */
export const unnamed = (offset: number) => `+0x${offset.toString(16)}`;
