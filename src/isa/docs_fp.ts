/**
 * Hover and completion text for the F and D extensions (docs.ts merges it): each instruction of
 * instructions_fp.ts, the D compressed forms and the FP pseudo-instructions. `rm` is an optional
 * rounding mode: rne, rtz, rdn, rup, rmm, or dyn (the default: fcsr.frm).
 */
type Row = [syntax: string, summary: string];
type PseudoRow = [syntax: string, summary: string, expands: string];

function precision(p: "s" | "d"): Record<string, Row> {
  const what = p === "s" ? "single" : "double";
  const x = p === "s" ? "w" : "d";
  const load = p === "s" ? "flw" : "fld";
  const store = p === "s" ? "fsw" : "fsd";
  return {
    [load]: ["fd, offset(rs1)", `Load a ${what}-precision value into fd${p === "s" ? " (NaN-boxed: the upper 32 bits become ones)" : ""}.`],
    [store]: ["fs2, offset(rs1)", `Store the ${what}-precision value in fs2.`],
    [`fmadd.${p}`]: ["fd, fs1, fs2, fs3[, rm]", "Fused multiply-add: fd = fs1 × fs2 + fs3, rounded once."],
    [`fmsub.${p}`]: ["fd, fs1, fs2, fs3[, rm]", "Fused multiply-subtract: fd = fs1 × fs2 − fs3, rounded once."],
    [`fnmsub.${p}`]: ["fd, fs1, fs2, fs3[, rm]", "Negated fused multiply-subtract: fd = −(fs1 × fs2) + fs3."],
    [`fnmadd.${p}`]: ["fd, fs1, fs2, fs3[, rm]", "Negated fused multiply-add: fd = −(fs1 × fs2) − fs3."],
    [`fadd.${p}`]: ["fd, fs1, fs2[, rm]", `Add (${what} precision).`],
    [`fsub.${p}`]: ["fd, fs1, fs2[, rm]", `Subtract (${what} precision).`],
    [`fmul.${p}`]: ["fd, fs1, fs2[, rm]", `Multiply (${what} precision).`],
    [`fdiv.${p}`]: ["fd, fs1, fs2[, rm]", `Divide (${what} precision); a finite nonzero value by zero raises DZ.`],
    [`fsqrt.${p}`]: ["fd, fs1[, rm]", "Square root; of a negative number: the canonical NaN and NV."],
    [`fsgnj.${p}`]: ["fd, fs1, fs2", "fs1's magnitude with fs2's sign."],
    [`fsgnjn.${p}`]: ["fd, fs1, fs2", "fs1's magnitude with the opposite of fs2's sign."],
    [`fsgnjx.${p}`]: ["fd, fs1, fs2", "fs1 with its sign XORed with fs2's."],
    [`fmin.${p}`]: ["fd, fs1, fs2", "Minimum (−0 < +0; a NaN loses to a number; NV for signalling NaNs)."],
    [`fmax.${p}`]: ["fd, fs1, fs2", "Maximum (−0 < +0; a NaN loses to a number; NV for signalling NaNs)."],
    [`fcvt.w.${p}`]: ["rd, fs1[, rm]", "Convert to a signed 32-bit integer (saturating; NV out of range or NaN), sign-extended."],
    [`fcvt.wu.${p}`]: ["rd, fs1[, rm]", "Convert to an unsigned 32-bit integer (saturating), sign-extended."],
    [`fcvt.l.${p}`]: ["rd, fs1[, rm]", "Convert to a signed 64-bit integer (saturating)."],
    [`fcvt.lu.${p}`]: ["rd, fs1[, rm]", "Convert to an unsigned 64-bit integer (saturating)."],
    [`fmv.x.${x}`]: ["rd, fs1", `Move the bits of fs1 to rd${p === "s" ? " (the low 32, sign-extended)" : ""}, unchanged.`],
    [`fclass.${p}`]: ["rd, fs1", "Classify: one bit of −∞, −normal, −subnormal, −0, +0, +subnormal, +normal, +∞, sNaN, qNaN."],
    [`feq.${p}`]: ["rd, fs1, fs2", "rd = fs1 == fs2 (quiet: NV only for signalling NaNs)."],
    [`flt.${p}`]: ["rd, fs1, fs2", "rd = fs1 < fs2 (NV for any NaN)."],
    [`fle.${p}`]: ["rd, fs1, fs2", "rd = fs1 ≤ fs2 (NV for any NaN)."],
    [`fcvt.${p}.w`]: ["fd, rs1[, rm]", "Convert a signed 32-bit integer."],
    [`fcvt.${p}.wu`]: ["fd, rs1[, rm]", "Convert an unsigned 32-bit integer."],
    [`fcvt.${p}.l`]: ["fd, rs1[, rm]", "Convert a signed 64-bit integer."],
    [`fcvt.${p}.lu`]: ["fd, rs1[, rm]", "Convert an unsigned 64-bit integer."],
    [`fmv.${x}.x`]: ["fd, rs1", `Move the bits of rs1 to fd${p === "s" ? " (the low 32, NaN-boxed)" : ""}, unchanged.`],
  };
}

export const FP_DOCS: Record<string, Row> = {
  ...precision("s"),
  ...precision("d"),
  "fcvt.s.d": ["fd, fs1[, rm]", "Round a double to single precision."],
  "fcvt.d.s": ["fd, fs1", "Widen a single to double precision (exact)."],
  "c.fld": ["fd', offset(rs1')", "fld with a 5-bit doubleword-scaled offset."],
  "c.fsd": ["fs2', offset(rs1')", "fsd with a 5-bit doubleword-scaled offset."],
  "c.fldsp": ["fd, offset(sp)", "fld fd, offset(sp)."],
  "c.fsdsp": ["fs2, offset(sp)", "fsd fs2, offset(sp)."],
};

function pseudoPrecision(p: "s" | "d"): Record<string, PseudoRow> {
  return {
    [`fmv.${p}`]: ["fd, fs1", "Copy an f register.", `fsgnj.${p} fd, fs1, fs1`],
    [`fneg.${p}`]: ["fd, fs1", "Negate (flip the sign bit).", `fsgnjn.${p} fd, fs1, fs1`],
    [`fabs.${p}`]: ["fd, fs1", "Absolute value (clear the sign bit).", `fsgnjx.${p} fd, fs1, fs1`],
    [`fgt.${p}`]: ["rd, fs1, fs2", "rd = fs1 > fs2.", `flt.${p} rd, fs2, fs1`],
    [`fge.${p}`]: ["rd, fs1, fs2", "rd = fs1 ≥ fs2.", `fle.${p} rd, fs2, fs1`],
  };
}

export const FP_PSEUDO: Record<string, PseudoRow> = {
  ...pseudoPrecision("s"),
  ...pseudoPrecision("d"),
  "fmv.x.s": ["rd, fs1", "Old name of fmv.x.w.", "fmv.x.w rd, fs1"],
  "fmv.s.x": ["fd, rs1", "Old name of fmv.w.x.", "fmv.w.x fd, rs1"],
  frcsr: ["rd", "Read fcsr (frm and fflags).", "csrrs rd, fcsr, x0"],
  fscsr: ["[rd,] rs1", "Write fcsr (and read the old value).", "csrrw rd, fcsr, rs1"],
  frsr: ["rd", "Old name of frcsr.", "csrrs rd, fcsr, x0"],
  fssr: ["[rd,] rs1", "Old name of fscsr.", "csrrw rd, fcsr, rs1"],
  frrm: ["rd", "Read the dynamic rounding mode frm.", "csrrs rd, frm, x0"],
  fsrm: ["[rd,] rs1", "Write frm (and read the old value).", "csrrw rd, frm, rs1"],
  fsrmi: ["[rd,] uimm5", "Write frm from an immediate.", "csrrwi rd, frm, uimm5"],
  frflags: ["rd", "Read the accrued exception flags fflags (NV DZ OF UF NX).", "csrrs rd, fflags, x0"],
  fsflags: ["[rd,] rs1", "Write fflags (and read the old value).", "csrrw rd, fflags, rs1"],
  fsflagsi: ["[rd,] uimm5", "Write fflags from an immediate.", "csrrwi rd, fflags, uimm5"],
};
