/**
 * CSR names that GNU objdump 2.40 prints but that are not part of Hyperstep's ISA table
 * (`src/isa/csrs.ts`): vector, AIA, Smstateen, Sstc, Sscofpmf, Zkr and a few debug CSRs, plus the
 * RV32 high halves of those. The hart does not implement them; the disassembler still names them so
 * that its text matches objdump's. Every name the ISA table has takes precedence over this list.
 * The list was read off objdump itself: `csrrs a0,N,zero` for all 4096 N, compared with the table.
 */
export const OBJDUMP_ONLY_CSR_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x008, "vstart"], [0x009, "vxsat"], [0x00a, "vxrm"], [0x00f, "vcsr"], [0x015, "seed"],
  [0x10c, "sstateen0"], [0x10d, "sstateen1"], [0x10e, "sstateen2"], [0x10f, "sstateen3"],
  [0x114, "sieh"], [0x14d, "stimecmp"], [0x150, "siselect"], [0x151, "sireg"], [0x154, "siph"],
  [0x15c, "stopei"], [0x15d, "stimecmph"], [0x214, "vsieh"], [0x24d, "vstimecmp"],
  [0x250, "vsiselect"], [0x251, "vsireg"], [0x254, "vsiph"], [0x25c, "vstopei"],
  [0x25d, "vstimecmph"], [0x308, "mvien"], [0x309, "mvip"], [0x30c, "mstateen0"],
  [0x30d, "mstateen1"], [0x30e, "mstateen2"], [0x30f, "mstateen3"], [0x313, "midelegh"],
  [0x314, "mieh"], [0x318, "mvienh"], [0x319, "mviph"], [0x31c, "mstateen0h"],
  [0x31d, "mstateen1h"], [0x31e, "mstateen2h"], [0x31f, "mstateen3h"], [0x350, "miselect"],
  [0x351, "mireg"], [0x354, "miph"], [0x35c, "mtopei"], [0x608, "hvien"], [0x609, "hvictl"],
  [0x60c, "hstateen0"], [0x60d, "hstateen1"], [0x60e, "hstateen2"], [0x60f, "hstateen3"],
  [0x613, "hidelegh"], [0x618, "hvienh"], [0x61c, "hstateen0h"], [0x61d, "hstateen1h"],
  [0x61e, "hstateen2h"], [0x61f, "hstateen3h"], [0x646, "hviprio1"], [0x647, "hviprio2"],
  [0x655, "hviph"], [0x656, "hviprio1h"], [0x657, "hviprio2h"],
  ...Array.from({ length: 29 }, (_, k) => [0x723 + k, `mhpmevent${k + 3}h`] as const),
  [0x7a4, "tinfo"], [0x7a5, "tcontrol"], [0x7aa, "mscontext"], [0xc20, "vl"], [0xc21, "vtype"],
  [0xc22, "vlenb"], [0xda0, "scountovf"], [0xdb0, "stopi"], [0xeb0, "vstopi"], [0xfb0, "mtopi"],
];

/**
 * objdump names CSRs by the privileged-spec version an ELF records (Tag_RISCV_priv_spec), 1.12 when
 * it records none. gas 2.40 records 1.11 as soon as a source names a CSR. These are the numbers
 * whose naming differs between the two versions (read off objdump the same way).
 */
export const CSRS_NEW_IN_PRIV_1_12: ReadonlySet<number> = new Set([
  0x10a, 0x30a, 0x310, 0x31a, 0x34a, 0x34b, 0x747, 0x757, 0xf15,
  ...Array.from({ length: 12 }, (_, k) => 0x3a4 + k), // pmpcfg4–15
  ...Array.from({ length: 48 }, (_, k) => 0x3c0 + k), // pmpaddr16–63
]);

/** N-extension and delegation CSRs that objdump still names under privileged spec 1.11. */
export const CSRS_ONLY_IN_PRIV_1_11: ReadonlyMap<number, string> = new Map([
  [0x000, "ustatus"], [0x004, "uie"], [0x005, "utvec"], [0x040, "uscratch"], [0x041, "uepc"],
  [0x042, "ucause"], [0x043, "utval"], [0x044, "uip"], [0x102, "sedeleg"], [0x103, "sideleg"],
]);
