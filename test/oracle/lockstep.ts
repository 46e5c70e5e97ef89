/**
 * Lockstep comparison of Hyperstep's machine against QEMU's per-instruction state trace.
 *
 * QEMU runs the guest with `-singlestep -d cpu,nochain -icount shift=0` and streams the state before
 * every instruction; our board runs the same ELF one `step()` at a time, and after every instruction pc,
 * x1..x31 and the CSRs QEMU prints must agree. The first disagreement throws a Divergence that shows the
 * instruction just executed (pc, bits, disassembly) and both states side by side.
 *
 * Where the two may legitimately differ, we follow QEMU (copy its value into our hart, as Spike's DiffTest
 * does for MMIO reads) and log the fact. This is the complete list; where QEMU 7.2 deviates from the spec
 * the rule says so, and our hart follows the spec (endstate.ts applies rules 1 and 3 to end states):
 *  1. Reset: QEMU's records before the ELF entry are its reset ROM (6 instructions at 0x1000) and are skipped.
 *     At the entry QEMU has t0 = the entry (the ROM's jump register), a1 = the device-tree address and a2 =
 *     the fw_dynamic info address; our board has 0 there, so t0, a1 and a2 are copied from QEMU. a0 (hartid)
 *     is compared.
 *  2. mip.MTIP is not compared: QEMU's mtimecmp resets to 0 and it raises MTIP up to ~100 instructions
 *     after mtime reaches mtimecmp. A `csrr` of mip whose result differs only in MTIP takes QEMU's value
 *     (the mechanism of rule 9).
 *  3. Time and counters: a read of cycle/time/instret/mcycle/minstret and an MMIO read of the CLINT's
 *     mtime take QEMU's value. QEMU's icount includes the reset ROM's 6 instructions and the reading
 *     instruction itself, its clock jumps ahead through WFI, and it counts ecall, ebreak and other
 *     instructions that trap as retired. QEMU deviates from the spec there: privileged spec 1.12, 3.3.1
 *     ("As ECALL and EBREAK cause synchronous exceptions, they are not considered to retire, and should not
 *     increment the minstret CSR"); our hart counts only retired instructions. QEMU 7.2 also increments
 *     mcycle/minstret after a CSR instruction that wrote them, so the next read gives the written value + 1,
 *     another deviation: "If a CSR access instruction writes such a CSR, the write is done instead of the
 *     increment. In particular, a value written to instret by one instruction will be the value read by the
 *     following instruction" (unprivileged spec 20191213, 9.1; privileged spec 1.12, 3.1.10); our hart reads
 *     the written value (counters.ts). Both are covered by copying QEMU's value into the reading register.
 *  4. Interrupts: our hart runs with autoInterrupts = false and takes an interrupt (takeTrap) exactly
 *     where the trace shows QEMU taking one.
 *  5. AMO faults: QEMU 7.2 reports a misaligned or faulting AMO as a load fault (cause 4, 5 or 13). That
 *     deviates from the spec: an AMO's exceptions are store/AMO exceptions (privileged spec 1.12, 3.1.15,
 *     table 3.6: 6 "Store/AMO address misaligned", 7 "Store/AMO access fault", 15 "Store/AMO page fault";
 *     unprivileged spec 20191213, 8.4). Our hart must report 6, 7 or 15; QEMU's cause is then copied into ours.
 *  6. Re-execution: under -icount, QEMU abandons an instruction and runs it again, logging its record twice,
 *     when it accesses anything but RAM (a device, or an address nothing decodes) without being known to be
 *     the last of its TB (cpu_io_recompile), and when the icount budget runs out at its TB's start (every
 *     2^16 instructions, and at timer deadlines). When QEMU's next record repeats the previous one exactly
 *     (pc, GPRs, CSRs) and our hart has moved on from that state, the repeat is skipped: the instruction
 *     retired (or trapped) once. Not an architectural difference.
 *  7. Fetch faults: QEMU logs a record when it executes a translated block, and a block whose first fetch
 *     faults never executes, so the trap entry has no record of its own: the record after a jump to an
 *     unfetchable address is already the handler's. When QEMU's next record is a fetch fault (cause 1 or 12)
 *     taken at our new pc, our board takes that step too before comparing. Not an architectural difference.
 *  8. A record lacks the CSRs QEMU's dump could not read: satp in S-mode with mstatus.TVM = 1 (its access
 *     predicate says illegal). A CSR missing from a record is not compared.
 *  9. WARL bits QEMU 7.2 keeps (for our CPU model, without H, F, D) where our hart has read-only zero or
 *     keeps the old value. These bits (IGNORED_BITS) are not compared in the trace, and a CSR read whose
 *     result differs from QEMU's only there takes QEMU's value:
 *     - mstatus/sstatus VS (10:9) and the SD bit that summarizes it: writable in QEMU without V. Not a
 *       deviation: "If S-mode is implemented but the V extension is not, VS may optionally be read-only
 *       zero" (privileged spec 1.12, 3.1.6.6); our hart keeps VS at 0.
 *     - mstatus/sstatus UXL (33:32): QEMU lets software choose U-mode's XLEN and also stores the reserved
 *       values 0 and 3 (a deviation: 3.1.6.2 and table 3.1). Our hart supports only XLEN 64 there, so UXL
 *       is read-only 2 (3.1.6.2 allows a read-only UXL).
 *     - mstatus MPV (39) and GVA (38): writable in QEMU without H, a deviation (they are defined by the
 *       hypervisor extension, 8.2.x; without it they are WPRI, 3.1.6).
 *     - mstatus MPP = 2: QEMU stores the reserved encoding, a deviation (MPP is WARL, 3.1.6.1; a write of 2
 *       leaves our MPP unchanged). Ignored only while QEMU's MPP is 2.
 *     - mepc/sepc bit 0: QEMU keeps a written 1, a deviation ("mepc[0] is always zero" with IALIGN = 16,
 *       3.1.14; sepc likewise, 4.1.7).
 *     - mie/mip/mideleg (and the sie/sip views) bits 2, 6, 10, 12 (VS*, SGEI: hypervisor only) and 13 (LCOFI: Sscofpmf only):
 *       writable in QEMU without H, a deviation (without H they are read-only zero, figures 3.14–3.15 of
 *       3.1.9; mideleg, 3.1.8).
 *     - medeleg bits 10 (ecall from VS), 20–23 (guest page faults), which exist only with H, and 11 (ecall
 *       from M): writable in QEMU, a deviation ("medeleg[11] … hardwired to zero", 3.1.8; the others are
 *       H's, 8.x).
 *     - mhpmcounter3–31, hpmcounter3–31, mhpmevent3–31: QEMU stores writes (and may count); our hart makes
 *       them read-only zero, which the spec allows ("a legal implementation is to make both the counter and
 *       its corresponding event selector be read-only 0", 3.1.10). Not compared at all.
 *     - mvendorid, marchid, mimpid: QEMU reports its own build (mimpid 0x70216 for Debian's 7.2); our hart
 *       reports 0, "not implemented", which the spec allows (3.1.2–3.1.4). Not compared at all.
 *     - pmpcfg bits 6:5 of each entry: QEMU stores them, a deviation (reserved, "0 (WARL)", figure 3.27 in 3.7.1).
 *     - pmpaddr bits 63:54: QEMU stores them, a deviation (RV64 pmpaddr holds address bits 55:2; bits 63:54
 *       are WARL zero, figure 3.26 in 3.7.1).
 * 10. csrrs/csrrc whose rs1 is not x0 but holds 0, on a read-only CSR: QEMU 7.2 decides "write or not" by
 *     the value, so it reads without trapping. That deviates from the spec: with rs1 ≠ x0 the instruction
 *     writes (the unmodified value) and a write to a read-only CSR raises illegal instruction (unprivileged
 *     spec 20191213, 9.1: "if rs1 specifies a register holding a zero value other than x0, the instruction
 *     will still attempt to write the unmodified value back to the CSR"; privileged spec 1.12, 2.1). Our
 *     hart traps; when QEMU went on, its trap is undone and rd takes QEMU's value.
 *
 * With `hypervisor: true` (the H corpus, test/fixtures/guests-h) both harts have the H extension (QEMU_CPU_H,
 * BoardOptions.hypervisorExtension) and these rules change or join the list:
 * 11. QEMU's record under V=1: QEMU keeps the active VS CSRs in the HS slots and swaps them on every change
 *     of V, so while V=1 its record's stvec, sepc, scause, stval, sscratch and satp are our vstvec, vsepc,
 *     vscause, vstval, vsscratch and vsatp; its mstatus carries vsstatus's SIE, SPIE, SPP, SUM, MXR (and
 *     UXL, VS) fields; and its vstvec, vsepc, vscause, vstval and vsstatus are stale copies (HS's own
 *     values are not printed), so they are not compared. Not an architectural difference. V itself (the
 *     `V =` line) is compared with ours; QEMU still does not print the privilege level.
 * 12. Rule 9 with H: mstatus MPV/GVA, the VS-level interrupt bits of mip/mie/mideleg and medeleg's
 *     bits 10 and 20–23 are real and compared. Not compared, and followed on a CSR read:
 *     - hstatus WPRI bits (all but VSXL 33:32, VTSR, VTW, VTVM 22:20, VGEIN 17:12, HU, SPVP, SPV, GVA
 *       9:6, VSBE 5): QEMU 7.2 stores every bit written, a deviation (reserved fields are read-only
 *       zero in an implementation that does not furnish them, privileged spec 1.12, 2.3; hstatus, 8.2.1).
 *     - vsstatus outside sstatus's fields (SIE SPIE UBE SPP FS XS SUM MXR, 8.2.11: vsstatus has
 *       sstatus's format) and its UXL, VS, SD: QEMU 7.2 stores every bit written and resets vsstatus
 *       with mstatus's SXL in bits 35:34, a deviation; UXL, VS and SD as in rule 9.
 *     - bit 12 (SGEI) of mideleg, mie, mip, hie and hip: QEMU 7.2 has no guest external interrupts
 *       (GEILEN = 0: hgeie is read-only zero) yet makes mideleg[12] read-only one and hie.SGEIE
 *       writable, a deviation: mideleg[12] is read-only one only "if GEILEN is nonzero" (8.4.2), and
 *       with GEILEN = 0 hgeip and hgeie are read-only zero (8.2.4), so nothing stands behind SGEIE.
 *       Bit 13 (LCOFI) as in rule 9.
 *     - medeleg bit 11, as in rule 9.
 * 13. The VS interrupt views. vsip bits 5 and 9: QEMU 7.2 leaves hvip.VSTIP and hvip.VSEIP out of vsip's STIP
 *     and SEIP, a deviation: where hideleg delegates them, vsip.STIP and vsip.SEIP are aliases of hip.VSTIP and
 *     hip.VSEIP, which reflect hvip (8.2.12, 8.2.3). And sip and sie read at V=1 (which are vsip and vsie,
 *     8.2.12): QEMU 7.2 masks the result with mideleg's S-level bits (1, 5, 9), which are clear unless HS gets
 *     SSI/STI/SEI delegated, so it reads 0 where the spec shows the VS interrupts. A read whose result differs
 *     only there takes QEMU's value (the mechanism of rule 9). Guests check both values.
 * 14. A trap QEMU 7.2 does not take: it lets VS-mode read and write satp under hstatus.VTVM = 1, where the
 *     spec raises a virtual-instruction exception (8.2.1: "When VTVM=1, an attempt in VS-mode to execute
 *     SFENCE.VMA or SINVAL.VMA or to access CSR satp raises a virtual instruction exception"; 8.6.1), and
 *     HS-mode access hgatp under mstatus.TVM = 1, where the spec raises an illegal-instruction exception
 *     (8.2.10). Our hart must trap with the spec's cause; the trap is then undone as in rule 10 (V too)
 *     and rd takes QEMU's value.
 * 15. A trap QEMU 7.2 reports with the other cause (privileged spec 1.12, 8.6.1, "in VU-mode, attempts to
 *     execute WFI when mstatus.TW=0, or to execute a supervisor instruction (SRET or SFENCE), or to access
 *     an implemented supervisor CSR when the same access would be allowed in HS-mode" and "in VS-mode or
 *     VU-mode, attempts to execute a hypervisor instruction (HLV, HLVX, HSV, or HFENCE)" raise virtual
 *     instruction; with mstatus.TW = 1 WFI is illegal in every mode below M, 3.1.6.5):
 *     - from VU: SRET, SFENCE.VMA, HFENCE.VVMA/GVMA and supervisor CSRs: QEMU illegal (2), the spec 22;
 *     - from VU with mstatus.TW = 1: WFI: QEMU virtual instruction (22), the spec 2.
 *     Our hart must report the spec's cause; QEMU's is then copied into ours, as in rule 5.
 * 16. tval of an HLV/HLVX/HSV that raises an illegal- or virtual-instruction exception: QEMU 7.2 writes the
 *     bits of an earlier instruction (whatever it last recorded), a deviation: the value is zero or the
 *     faulting instruction's bits (3.1.16; "On a virtual-instruction trap, mtval or stval is written the same
 *     as for an illegal-instruction trap", 8.6.1). Ours must be the instruction's bits; QEMU's is copied in.
 * 17. mstatus.GVA: QEMU 7.2 sets it on every trap from V=1 into M whose mtval is nonzero (so also for
 *     illegal- and virtual-instruction traps, whose mtval holds the instruction) and never clears it, a
 *     deviation: "For any trap (breakpoint, address misaligned, access fault, page fault, or guest-page fault)
 *     that writes a guest virtual address to mtval, GVA is set to 1. For any other trap into M-mode, GVA is
 *     set to 0" (8.4.1). mstatus.GVA is not compared, and a read of mstatus differing only there takes
 *     QEMU's value. Instead every trap our hart takes into M or HS is checked against that sentence
 *     (hstatus.GVA likewise, 8.2.1): GVA = 1 exactly for those exceptions when they come from V=1 or from an
 *     HLV/HSV (a breakpoint only with a nonzero tval; traps from M with MPRV = 1 are not checked).
 * 18. htinst/mtinst: QEMU 7.2 writes 0 on every trap except a guest-page fault on an implicit access for
 *     VS-stage translation, where it writes the read pseudoinstruction 0x3000. Our hart writes the transformed
 *     instruction for faults of explicit loads, stores, AMOs and HLV/HSV. Both are allowed: zero may always be
 *     written except for that implicit-access case (8.6.3, "Transformed Instruction or Pseudoinstruction for
 *     mtinst or htinst"). A read of htinst or mtinst where QEMU has 0 takes QEMU's value; instead, every trap
 *     our hart takes into M or HS is checked for the value's form (zero; bits 1:0 = 00 only for the
 *     pseudoinstructions 0x2000, 0x2020, 0x3000, 0x3020 after a guest-page fault; otherwise bit 0 = 1 and, with
 *     bit 1 set, the trapping instruction's opcode and funct3).
 * 19. vscause after an illegal-instruction (2) or store/AMO-misaligned (6) exception delegated to VS: QEMU
 *     7.2 writes 1 or 5, applying the VS-level interrupt renumbering (8.2.12: VSSIP etc. appear to VS as
 *     SSIP etc.) to exceptions, a deviation: vscause is written with the exception's code (8.6.2, 8.2.16).
 *     Our hart must write the spec's code; QEMU's is then copied into ours.
 * 20. A guest-page fault on an implicit access to a VS-stage PTE: QEMU 7.2 reports a load guest-page fault (21)
 *     whatever the original access, a deviation: "permissions are checked as though for a load or store, not
 *     for the original access type. However, any exception is always reported for the original access type
 *     (instruction, load, or store/AMO)" (8.5.1). When QEMU says 21 where ours says 20 (a fetch: rule 7 takes
 *     the step) or 23 (a store/AMO), with the same GPA and our pseudoinstruction in htinst/mtinst marking the
 *     implicit access, QEMU's cause is copied into ours.
 * 21. An HLV or HLVX that QEMU 7.2 lets through: QEMU checks an HLV's access with read permission and ignores
 *     vsstatus.SUM, deviations: HLV/HLVX access memory "as though V=1", with the translation and protection of
 *     VS- or VU-mode as hstatus.SPVP says (8.3.1), where a user page needs vsstatus.SUM for VS (4.1.1.2,
 *     8.2.11), and HLVX needs execute permission instead of read ("the memory being read must be executable
 *     in both stages of address translation, but read permission is not required", 8.3.1). When the spec
 *     faults but QEMU's check would not, our hart must raise a load page fault (13); the trap is undone as in
 *     rule 14 and rd takes QEMU's value. (HSV's stores are not exercised: following QEMU would mean replaying
 *     its store.)
 * 22. An HLV/HLVX/HSV's VS-stage page fault: QEMU 7.2 reports a load or store/AMO access fault (5, 7), a
 *     deviation: VS-stage faults are page faults (13, 15; 4.3.2, 8.3.1). When QEMU says 5 or 7 where ours
 *     says 13 or 15, QEMU's cause is copied into ours.
 * 23. mtval2/htval after a trap other than a guest-page fault: QEMU 7.2 may keep the GPA of an earlier
 *     guest-page fault (seen on traps from V=0 after an HLV/HSV's guest-page fault), a deviation: "For other
 *     traps, htval is set to zero" (8.2.8; mtval2 likewise, 8.4.4). When ours is 0 and QEMU's is not, QEMU's is
 *     copied into ours.
 * 24. (With or without H.) An SC that holds no reservation: QEMU 7.2 fails it (rd = 1) before looking at its
 *     address, so a misaligned one, or one to where a store would fault (page or guest-page fault, PMP,
 *     nothing there), goes on without a trap. Our hart checks it as a store, as Spike does, which the spec
 *     allows: "For the purposes of memory protection, a failed SC.W may be treated like a store" (unprivileged
 *     spec 20240411, "Zalrsc"), since clarified to "No SC.W instruction shall retire unless it passes memory
 *     permission checks", which makes QEMU 7.2's SC a deviation. Our hart must trap with the store's exception
 *     (6, 7, 15, 23), which the comparator works out from the debugger's walk, the PMP and the bus; the trap is
 *     then undone as in rule 10 and rd takes QEMU's value.
 * 25. (With or without H.) mstatus.FS after an F/D instruction that writes only an x register (fcvt to an
 *     integer, feq/flt/fle, fclass, fmv.x) and accrues an exception flag while FS is Initial or Clean: QEMU 7.2
 *     leaves FS as it was, a deviation: FS is set to Dirty when any floating-point state changes, and fflags
 *     is such state (privileged spec 1.12, 3.1.6.6: "the FS field … set to Dirty … when the extension's state
 *     is modified"; fflags is part of fcsr, the F extension's state). Our hart must set Dirty; when QEMU's FS
 *     stayed where it was, QEMU's FS is copied into ours.
 * With `-d fpu` the records carry f0..f31, which are compared like the GPRs (fcsr is not printed: the FP
 * corpus reads it into GPRs).
 * The corpus (crosspage.S, pmp.S) steers clear of these QEMU 7.2 deviations in memory accesses, which our hart
 * does not follow:
 * - PMP on a misaligned access: QEMU checks only the first and last byte against each entry, so an access whose
 *   middle bytes a higher-priority entry covers goes through, while "the matching PMP entry must match all bytes
 *   of an access" (3.7.1.1); and it checks a page-crossing access as physically contiguous from the first page's
 *   address, bytes the access does not touch. Our hart splits a page-crossing access at the page, as the spec
 *   allows a misaligned access to be split (and Spike does), and checks each page's part whole (mem.ts).
 * - A page-table walk that reads a PTE outside RAM: QEMU 7.2 raises a page fault, or reads the PTE from a device;
 *   the spec raises an access fault (4.3.2, step 2: the PTE access violates a PMA), as our hart and the VMM do
 *   (test/unit/hypervisor/walk_outside_ram.test.ts).
 * - Device access widths are not a deviation: they are the platform's physical memory attributes (3.6.1,
 *   "access width"), so the devices follow QEMU 7.2's models (each MmioDevice's `accepts`): the UART answers
 *   every width at its 8 registers and nothing beyond them, the PLIC and the CLINT's msip 32-bit accesses only,
 *   mtimecmp/mtime 32 and 64 bits, the finisher 16 and 32 (devwidth.S checks each in lockstep). Misaligned
 *   device accesses were not measured and are not in the corpus.
 * The H corpus steers clear of these QEMU 7.2 deviations instead of following them (QEMU traps where the spec
 * does not), so they are not checked in lockstep:
 * - an MRET with MPP = M and MPV = 1 sets V = 1 in QEMU, while the spec returns to M-mode with V = 0
 *   (8.6.4, table 8.8); crt_h.S clears MPV before such an MRET;
 * - QEMU checks a GPA like a sign-extended 41-bit address, so GPAs with bit 40 set fault under Sv39x4,
 *   while only bits 63:41 must be zero (8.5.1); h_gstage uses 2^39 for the widened root index;
 * - QEMU applies a stale copy of vsstatus.MXR where HS's mstatus.MXR should reach both stages at V=1 (8.5.1:
 *   "Setting MXR at HS-level overrides both VS-stage and G-stage execute-only permissions"); h_twostage tests
 *   vsstatus.MXR only;
 * - QEMU's HLVX raises an access fault on an execute-only page, which HLVX may read (8.3.1), and QEMU's HLV
 *   ignores vsstatus.MXR (8.3.1: the access is VS-mode's, under vsstatus.MXR); h_hlv reads code with HLVX
 *   and leaves MXR out.
 */
import type { Readable } from "node:stream";
import { expandCompressed } from "../../src/isa/compressed";
import type { StopReason } from "../../src/machine/board";
import { PmpAccess } from "../../src/machine/hart/pmp";
import { disassembleAt } from "./disasm";
import { loadGuest, type LoadedGuest } from "./ours";
import { runQemu } from "./qemu";
import { readTrace, type TraceRecord } from "./trace";

/** The CSRs QEMU prints for a hart without H, with their numbers. */
export const TRACED_CSRS: ReadonlyArray<readonly [string, number]> = [
  ["mhartid", 0xf14], ["mstatus", 0x300], ["mip", 0x344], ["mie", 0x304], ["mideleg", 0x303],
  ["medeleg", 0x302], ["mtvec", 0x305], ["stvec", 0x105], ["mepc", 0x341], ["sepc", 0x141],
  ["mcause", 0x342], ["scause", 0x142], ["mtval", 0x343], ["stval", 0x143], ["mscratch", 0x340],
  ["sscratch", 0x140], ["satp", 0x180],
];
/** Rules 2 and 9: for a CSR number, the bits not compared given QEMU's value. */
const VS_SD_UXL = (3n << 9n) | (1n << 63n) | (3n << 32n);
const H_LCOF_IRQS = (1n << 2n) | (1n << 6n) | (1n << 10n) | (1n << 12n) | (1n << 13n);
const IGNORED_BITS = new Map<number, (theirs: bigint) => bigint>([
  [0x300, (v) => VS_SD_UXL | (3n << 38n) | (((v >> 11n) & 3n) === 2n ? 3n << 11n : 0n)],
  [0x100, () => VS_SD_UXL],
  [0x341, () => 1n], [0x141, () => 1n],
  [0x344, () => H_LCOF_IRQS | (1n << 7n)], [0x304, () => H_LCOF_IRQS], [0x303, () => H_LCOF_IRQS],
  [0x104, () => H_LCOF_IRQS], [0x144, () => H_LCOF_IRQS],
  [0x302, () => 0xf00c00n],
  [0xf11, () => -1n], [0xf12, () => -1n], [0xf13, () => -1n],
  ...[0xb03, 0xc03, 0x323].flatMap((first) => Array.from({ length: 29 }, (_, i) => [first + i, () => -1n] as [number, (v: bigint) => bigint])),
  [0x3a0, () => 0x6060606060606060n], [0x3a2, () => 0x6060606060606060n],
  ...Array.from({ length: 16 }, (_, i) => [0x3b0 + i, () => ~((1n << 54n) - 1n)] as [number, (v: bigint) => bigint]),
]);
/** The CSRs QEMU prints for a hart with H, with their numbers (as they are while V=0; rule 11 for V=1). */
export const H_TRACED_CSRS: ReadonlyArray<readonly [string, number]> = [
  ["mhartid", 0xf14], ["mstatus", 0x300], ["hstatus", 0x600], ["vsstatus", 0x200], ["mip", 0x344], ["mie", 0x304],
  ["mideleg", 0x303], ["hideleg", 0x603], ["medeleg", 0x302], ["hedeleg", 0x602], ["mtvec", 0x305], ["stvec", 0x105],
  ["vstvec", 0x205], ["mepc", 0x341], ["sepc", 0x141], ["vsepc", 0x241], ["mcause", 0x342], ["scause", 0x142],
  ["vscause", 0x242], ["mtval", 0x343], ["stval", 0x143], ["htval", 0x643], ["mtval2", 0x34b], ["mscratch", 0x340],
  ["sscratch", 0x140], ["satp", 0x180],
];
/** Rule 11: where our CSR behind a record's name lives while V=1 (null: QEMU's value is stale, not compared). */
const V1_SLOT = new Map<string, number | null>([
  ["stvec", 0x205], ["sepc", 0x241], ["scause", 0x242], ["stval", 0x243], ["sscratch", 0x240], ["satp", 0x280],
  ["vstvec", null], ["vsepc", null], ["vscause", null], ["vstval", null], ["vsstatus", null],
]);
/** Rule 11: the mstatus fields QEMU's record shows from vsstatus while V=1 (SIE SPIE SPP VS SUM MXR UXL). */
const VS_SWAPPED = 0xc0722n | (3n << 32n);
/** Rules 12 and 13: IGNORED_BITS for a hart with H. */
const SGEI_LCOF = (1n << 12n) | (1n << 13n);
const MSTATUS_GVA = 1n << 38n;
const H_IGNORED_BITS = new Map<number, (theirs: bigint) => bigint>([
  ...IGNORED_BITS,
  [0x300, (v) => VS_SD_UXL | MSTATUS_GVA | (((v >> 11n) & 3n) === 2n ? 3n << 11n : 0n)],
  [0x241, () => 1n],
  [0x344, () => SGEI_LCOF | (1n << 7n)], [0x304, () => SGEI_LCOF], [0x303, () => SGEI_LCOF],
  [0x104, () => SGEI_LCOF], [0x144, () => SGEI_LCOF], [0x604, () => 1n << 12n], [0x644, () => 1n << 12n],
  [0x302, () => 0x800n],
  [0x600, () => ~0x30073f3e0n],
  [0x200, () => ~0xde162n | VS_SD_UXL],
  [0x244, () => (1n << 5n) | (1n << 9n)],
]);

/** What the comparison needs to know about the hart model: which CSRs QEMU prints and which bits not to compare. */
interface Profile {
  csrs: ReadonlyArray<readonly [string, number]>;
  ignored: Map<number, (theirs: bigint) => bigint>;
  hypervisor: boolean;
}
const PLAIN: Profile = { csrs: TRACED_CSRS, ignored: IGNORED_BITS, hypervisor: false };
const WITH_H: Profile = { csrs: H_TRACED_CSRS, ignored: H_IGNORED_BITS, hypervisor: true };
const ignoredBits = (p: Profile, num: number, theirs: bigint) => p.ignored.get(num)?.(theirs) ?? 0n;
/** Rule 5: QEMU's load cause for an AMO → the spec's store/AMO cause. */
const AMO_CAUSE: Record<string, bigint> = { 4: 6n, 5: 7n, 13: 15n };
const COUNTER_CSRS = new Set([0xc00, 0xc01, 0xc02, 0xb00, 0xb02]);
const CLINT_MTIME = 0x200bff8;
const ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

export class Divergence extends Error {}

export interface LockstepOptions {
  /** Stop with an error after this many instructions (default 2,000,000). */
  maxInstructions?: number;
  timeoutMs?: number;
  /** Extra context for a divergence report, e.g. the random seed. */
  context?: string;
  /** Both harts have the H extension (rules 11–23). */
  hypervisor?: boolean;
  /** Neither hart has F and D (cpu rv64,f=false,d=false). */
  noFp?: boolean;
}

export interface LockstepResult {
  instructions: number;
  exitCode: number;
  uart: string;
  /** Each time a rule above made us follow QEMU. */
  followed: string[];
}

export async function lockstep(elfPath: string, opts: LockstepOptions = {}): Promise<LockstepResult> {
  const guest = loadGuest(elfPath, "", opts.hypervisor, undefined, !opts.noFp);
  let result: Awaited<ReturnType<typeof compare>> | undefined;
  const qemu = await runQemu(elfPath, {
    hypervisor: opts.hypervisor,
    noFp: opts.noFp,
    timeoutMs: opts.timeoutMs ?? 120_000,
    onTrace: async (trace) => {
      result = await compare(elfPath, guest, trace, opts);
    },
  });
  if (qemu.timedOut) throw new Divergence(`${elfPath}: QEMU did not finish in time\n${qemu.stderr}`);
  const ours = result!.haltCode;
  if ((ours & 0xff) !== qemu.exitCode) {
    throw new Divergence(`${elfPath}: exit code differs: QEMU ${qemu.exitCode}, ours ${ours}`);
  }
  if (guest.uart() !== qemu.uart) {
    throw new Divergence(`${elfPath}: UART output differs:\nQEMU: ${JSON.stringify(qemu.uart)}\nours: ${JSON.stringify(guest.uart())}`);
  }
  return { instructions: result!.instructions, followed: result!.followed, exitCode: qemu.exitCode, uart: qemu.uart };
}

async function compare(elfPath: string, guest: LoadedGuest, trace: Readable, opts: LockstepOptions) {
  const { board, entry } = guest;
  const hart = board.hart;
  const profile = opts.hypervisor ? WITH_H : PLAIN;
  let trapWrong: string | undefined;
  if (profile.hypervisor) {
    hart.onTrap = (cause, tval, pc) => {
      trapWrong ??= checkGva(guest, cause, tval, pc) ?? checkTinst(guest, cause, pc);
      return false;
    };
  }
  hart.autoInterrupts = false;
  const max = opts.maxInstructions ?? 2_000_000;
  const followed: string[] = [];
  let mtimeRead = false;
  board.bus.onMmio = (dev, off, _w, isWrite) => {
    if (!isWrite && dev.base + off >= CLINT_MTIME && dev.base + off < CLINT_MTIME + 8) mtimeRead = true;
  };
  const fail = (msg: string, q: TraceRecord | undefined, prev: TraceRecord | undefined, n: number): never => {
    throw new Divergence(report(elfPath, guest, profile, msg, q, prev, n, opts.context));
  };

  let prev: TraceRecord | undefined;
  let prevUndo: TrapState | undefined;
  let prevMode = { priv: 3, virt: false };
  let n = 0;
  let halted: (StopReason & { kind: "halt" }) | undefined;
  for await (const q of readTrace(trace, true)) {
    if (!prev && q.pc !== entry) continue; // rule 1: QEMU's reset ROM
    if (prev && sameRecord(prev, q) && !hartIs(hart, q)) continue; // rule 6
    if (!prev) {
      for (const i of [5, 11, 12]) hart.setReg(i, q.x[i]!);
    } else {
      if (halted) fail("our board halted but QEMU ran on", q, prev, n);
      if (prevUndo) {
        const wrong = undoTrap(guest, prevUndo, prev, q, followed, n);
        if (wrong) fail(wrong, q, prev, n);
      }
      const wrong = followQemu(guest, profile, prev, prevMode, q, mtimeRead, followed, n);
      if (wrong) fail(wrong, q, prev, n);
    }
    const diff = differences(guest, profile, q);
    if (diff.length) fail(`state differs in ${diff.join(", ")}`, q, prev, n);
    if (n >= max) fail(`no exit within ${max} instructions`, q, prev, n);
    mtimeRead = false;
    const undoCause = trapQemuSkips(guest, profile, q);
    const undo = undoCause !== undefined ? saveTrapState(hart, undoCause) : undefined; // rules 10, 14
    const before = { priv: hart.priv, virt: hart.virt };
    const r = board.step();
    n++;
    if (trapWrong) fail(trapWrong, q, prev, n);
    if (r.kind === "halt") {
      halted = r;
    } else if (r.kind !== "budget" && r.kind !== "idle") {
      fail(`unexpected stop ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v))}`, q, prev, n);
    }
    prev = q;
    prevUndo = undo;
    prevMode = before;
  }
  if (!prev) throw new Divergence(`${elfPath}: QEMU's trace never reached the entry 0x${entry.toString(16)}`);
  if (!halted) {
    throw new Divergence(report(elfPath, guest, profile, "QEMU exited here but our board did not halt", undefined, prev, n, opts.context));
  }
  board.bus.onMmio = undefined;
  return { instructions: n, followed, haltCode: halted.code };
}

/**
 * Applies rules 2–5, 7, 9 and (with H) 12, 13, 15, 16, 18–20, 22 and 23 after our hart has executed the
 * instruction at `prev.pc` (in mode `before`) and QEMU is at `q`.
 * Returns what is wrong when our hart broke a rule's own condition.
 */
function followQemu(g: LoadedGuest, p: Profile, prev: TraceRecord, before: Mode, q: TraceRecord, mtimeRead: boolean,
  log: string[], n: number): string | undefined {
  const hart = g.board.hart;
  const raw = fetch(g, prev.pc);
  const insn = (raw & 3) === 3 ? raw : expandCompressed(raw & 0xffff); // rd and funct fields of the 32-bit form
  const at = `#${n} pc=0x${prev.pc.toString(16)}`;
  const rd = (insn >>> 7) & 31;
  const copyRd = (why: string) => {
    if (rd !== 0 && hart.getReg(rd) !== q.x[rd]) {
      log.push(`${at}: ${ABI[rd]} = QEMU's 0x${q.x[rd]!.toString(16)} (ours 0x${hart.getReg(rd).toString(16)}): ${why}`);
      hart.setReg(rd, q.x[rd]!);
    }
  };
  const isCsr = (insn & 0x7f) === 0x73 && ((insn >>> 12) & 7) !== 0 && ((insn >>> 12) & 7) !== 4;
  // At V=1 an s* CSR number reaches its vs* CSR (0x1xx → 0x2xx), whose rules apply.
  const num = insn >>> 20;
  const csr = p.hypervisor && prev.v === 1 && num >> 8 === 1 ? num + 0x100 : num;
  if (isCsr && COUNTER_CSRS.has(csr)) copyRd(`counter 0x${csr.toString(16)} read`);
  if (isCsr && p.hypervisor && (csr === 0x64a || csr === 0x34a) && q.x[rd] === 0n) copyRd("htinst/mtinst read: QEMU writes 0 (rule 18)");
  const ignore = p.hypervisor && prev.v === 1 && (num === 0x144 || num === 0x104) ? 0x222n | SGEI_LCOF : ignoredBits(p, csr, q.x[rd]!);
  if (isCsr && rd !== 0 && (p.ignored.has(csr) || ignore) && ((hart.getReg(rd) ^ q.x[rd]!) & ~ignore) === 0n) {
    copyRd(`CSR 0x${csr.toString(16)} read: bits QEMU keeps (rules 2, 9, 12, 13)`);
  }
  if (mtimeRead) copyRd("mtime read");
  // Rule 25: QEMU 7.2 leaves FS alone for an FP instruction that writes only an x register.
  const fsOf = (v: bigint | undefined) => ((v ?? 0n) >> 13n) & 3n;
  const qFs = fsOf(q.csr.get("mstatus")), ourFs = fsOf(hart.readCsr(0x300));
  if (fpToInteger(insn) && !hart.virt && ourFs === 3n && qFs !== 3n && qFs === fsOf(prev.csr.get("mstatus"))) {
    log.push(`${at}: mstatus.FS = QEMU's ${qFs} (ours Dirty after a flag: rule 25)`);
    hart.writeCsr(0x300, (hart.readCsr(0x300)! & ~(3n << 13n)) | (qFs << 13n));
  }

  // Rule 7: QEMU's record is already the handler of a fault on fetching our next instruction.
  if (hart.pc !== q.pc) {
    for (const [cause, tvec, epc] of [["mcause", "mtvec", "mepc"], ["scause", "stvec", "sepc"]] as const) {
      const c = q.csr.get(cause);
      // (21: a fetch's guest-page fault on a VS-stage PTE, as QEMU 7.2 reports it: rule 20)
      if ((c === 1n || c === 12n || c === 20n || c === 21n) && q.csr.get(epc) === hart.pc && q.pc === vector(q.csr.get(tvec)!, c)) {
        log.push(`${at}: fetch fault ${c} at 0x${hart.pc.toString(16)} taken in the same step, as QEMU logs it`);
        g.board.step();
        break;
      }
    }
  }

  // Rule 4: QEMU entered a trap vector with an interrupt cause where we simply went on.
  if (hart.pc !== q.pc) {
    for (const [cause, tvec, epc] of [["mcause", "mtvec", "mepc"], ["scause", "stvec", "sepc"]] as const) {
      const c = q.csr.get(cause)!;
      if (c >> 63n && q.csr.get(epc) === hart.pc && q.pc === vector(q.csr.get(tvec)!, c)) {
        log.push(`${at}: interrupt 0x${c.toString(16)} taken where QEMU took it`);
        // Taken into VS (rule 11: the record's scause is vscause), it is a VS-level interrupt, whose
        // code VS sees one lower than mip's bit (8.6.1 / 8.2.12).
        const code = c & 0xffn;
        hart.takeTrap(cause === "scause" && q.v === 1 && (code === 1n || code === 5n || code === 9n) ? c + 1n : c, 0n);
        break;
      }
    }
  }

  // Rule 5: AMO fault causes (SC included: its faults are store/AMO faults too).
  const isAmo = (insn & 0x7f) === 0x2f && insn >>> 27 !== 2;
  if (isAmo) {
    for (const [name, num] of [["mcause", 0x342], ["scause", 0x142]] as const) {
      const ours = hart.readCsr(num)!;
      const theirs = q.csr.get(name)!;
      if (theirs === prev.csr.get(name) && ours === prev.csr.get(name)) continue;
      const spec = AMO_CAUSE[String(theirs)];
      if (spec === undefined) continue;
      if (ours === theirs) return `an AMO fault must report store/AMO cause ${spec} (the spec), ours says ${ours} like QEMU 7.2`;
      if (ours === spec) {
        log.push(`${at}: ${name} = QEMU's ${theirs} (ours ${ours}, the spec's store/AMO cause)`);
        hart.writeCsr(num, theirs);
      }
    }
  }
  if (p.hypervisor && hart.pc === q.pc) return followTrapReport(g, prev, before, q, insn, at, log);
  return undefined;
}

interface Mode {
  priv: number;
  virt: boolean;
}

/** Rule 25: an OP-FP instruction whose destination is an x register (fcvt.{w,l}[u], compares, fclass, fmv.x). */
function fpToInteger(insn: number): boolean {
  const f5 = insn >>> 27;
  return (insn & 0x7f) === 0x53 && (f5 === 0x18 || f5 === 0x14 || f5 === 0x1c);
}

/** Rule 15: the spec's cause and QEMU 7.2's for the instruction `insn` executed in mode `m`, if they differ. */
function causeDeviation(insn: number, m: Mode, prev: TraceRecord): { spec: bigint; qemu: bigint } | undefined {
  if (!m.virt || m.priv !== 0 || (insn & 0x7f) !== 0x73) return undefined;
  const f3 = (insn >>> 12) & 7;
  const csr = insn >>> 20;
  if (f3 === 0) {
    if (insn === 0x10500073) return ((prev.csr.get("mstatus") ?? 0n) >> 21n) & 1n ? { spec: 2n, qemu: 22n } : undefined;
    const fence = insn & 0xfe007fff;
    if (insn === 0x10200073 || fence === 0x12000073 || fence === 0x22000073 || fence === 0x62000073) return { spec: 22n, qemu: 2n };
    return undefined;
  }
  return f3 !== 4 && ((csr >> 8) & 3) === 1 ? { spec: 22n, qemu: 2n } : undefined;
}

/** Rule 17: exceptions whose tval is a faulting address (a guest virtual one when it comes from V=1 or HLV/HSV). */
const ADDRESS_CAUSES = new Set([0, 1, 3, 4, 5, 6, 7, 12, 13, 15, 20, 21, 23]);

/** Rule 17: what is wrong with GVA after our hart's trap (called by onTrap, in the mode the trap went to). */
function checkGva(g: LoadedGuest, cause: bigint, tval: bigint, pc: bigint): string | undefined {
  const hart = g.board.hart;
  if (hart.virt) return undefined;
  const toM = hart.priv === 3;
  const status = hart.readCsr(toM ? 0x300 : 0x600)!;
  const [gvaBit, fromVirtBit] = toM ? [38n, 39n] : [6n, 7n];
  if (toM && ((status >> 11n) & 3n) === 3n && (status >> 17n) & 1n) return undefined; // MPRV from M: not checked
  const fromVirt = ((status >> fromVirtBit) & 1n) === 1n;
  // A breakpoint's tval may be 0 instead of the address (3.1.16); then no guest virtual address was written.
  const code = Number(cause);
  const guestVa = cause >> 63n === 0n && ADDRESS_CAUSES.has(code) && (code !== 3 || tval !== 0n) && (fromVirt || isHlvHsv(fetch(g, pc)));
  const gva = ((status >> gvaBit) & 1n) === 1n;
  if (gva === guestVa) return undefined;
  return `${toM ? "mstatus" : "hstatus"}.GVA = ${gva ? 1 : 0} after cause ${cause} with tval 0x${tval.toString(16)} from pc 0x${pc.toString(16)}` +
    ` (V was ${fromVirt ? 1 : 0}); the spec says ${guestVa ? 1 : 0} (8.4.1, 8.2.1; rule 17)`;
}

const PSEUDO_TINST = new Set([0x2000n, 0x2020n, 0x3000n, 0x3020n]);

/** Rule 18: what is wrong with the htinst/mtinst our hart wrote for a trap into M or HS. */
function checkTinst(g: LoadedGuest, cause: bigint, pc: bigint): string | undefined {
  const hart = g.board.hart;
  if (hart.virt) return undefined;
  const name = hart.priv === 3 ? "mtinst" : "htinst";
  const t = hart.readCsr(hart.priv === 3 ? 0x34a : 0x64a)!;
  if (t === 0n) return undefined;
  const where = `${name} 0x${t.toString(16)} after cause ${cause} at pc 0x${pc.toString(16)}`;
  if (cause >> 63n) return `${where}: an interrupt writes 0 (8.6.3; rule 18)`;
  if ((t & 3n) === 0n) {
    return PSEUDO_TINST.has(t) && (cause === 20n || cause === 21n || cause === 23n) ? undefined
      : `${where}: only a guest-page fault's pseudoinstruction has bits 1:0 = 00 (8.6.3; rule 18)`;
  }
  const raw = fetch(g, pc);
  const insn = (raw & 3) === 3 ? raw : expandCompressed(raw & 0xffff);
  if ((t & 1n) === 1n && (Number(t | 2n) & 0x707f) === (insn & 0x707f)) return undefined;
  return `${where}: not a transformation of the trapping instruction 0x${(insn >>> 0).toString(16)} (8.6.3; rule 18)`;
}

/** A store, an AMO (LR and SC included) or an HSV. */
const isStoreOrAmo = (insn: number) => (insn & 0x7f) === 0x23 || (insn & 0x7f) === 0x2f || (isHlvHsv(insn) && ((insn >>> 25) & 1) === 1);

/** HLV, HLVX or HSV (SYSTEM, funct3 4, funct7 0110xxx). */
const isHlvHsv = (insn: number) => (insn & 0x707f) === 0x4073 && insn >>> 29 === 3 && ((insn >>> 25) & 0xf) < 8;

/**
 * Rules 15, 16, 19, 20, 22 and 23: our hart and QEMU trapped to the same handler, and QEMU's cause, tval or
 * tval2 is off the spec; where ours is the spec's, QEMU's is copied in.
 */
function followTrapReport(g: LoadedGuest, prev: TraceRecord, before: Mode, q: TraceRecord, insn: number, at: string,
  log: string[]): string | undefined {
  const hart = g.board.hart;
  // The handler's level, and where our hart keeps what QEMU's record calls scause/stval (rule 11).
  const level = q.pc === vector(q.csr.get("mtvec")!, 0n) ? "M" : q.pc === vector(q.csr.get("stvec")!, 0n) ? (q.v ? "VS" : "HS") : undefined;
  if (!level) return undefined;
  const [causeName, causeNum, tvalName, tvalNum] = level === "M" ? ["mcause", 0x342, "mtval", 0x343] as const
    : level === "HS" ? ["scause", 0x142, "stval", 0x143] as const : ["scause", 0x242, "stval", 0x243] as const;
  const theirs = q.csr.get(causeName)!;
  const ours = hart.readCsr(causeNum)!;
  const dev = causeDeviation(insn, before, prev);
  if (dev && theirs === dev.qemu) {
    if (ours === dev.qemu) return `${level} cause ${ours} is QEMU 7.2's; the spec's cause here is ${dev.spec} (rule 15)`;
    if (ours === dev.spec) {
      log.push(`${at}: ${level} cause = QEMU's ${theirs} (ours ${ours}, the spec's: rule 15)`);
      hart.writeCsr(causeNum, theirs);
    }
  }
  if (level !== "VS" && theirs === 21n && (ours === 20n || (ours === 23n && isStoreOrAmo(insn)))) {
    // Rule 20: only for a fault on a VS-stage PTE, which our hart marks with a pseudoinstruction.
    const [tval2Name, tval2Num, tinstNum] = level === "M" ? ["mtval2", 0x34b, 0x34a] as const : ["htval", 0x643, 0x64a] as const;
    if (PSEUDO_TINST.has(hart.readCsr(tinstNum)!) && q.csr.get(tval2Name) === hart.readCsr(tval2Num)) {
      log.push(`${at}: ${level} cause = QEMU's 21 (ours ${ours}, the original access's: rule 20)`);
      hart.writeCsr(causeNum, theirs);
    }
  }
  if (isHlvHsv(insn) && ((ours === 13n && theirs === 5n) || (ours === 15n && theirs === 7n))) {
    log.push(`${at}: ${level} cause = QEMU's ${theirs} (ours ${ours}, the spec's: rule 22)`);
    hart.writeCsr(causeNum, theirs);
  }
  if (level !== "VS" && theirs !== 20n && theirs !== 21n && theirs !== 23n) {
    const [name, num] = level === "M" ? ["mtval2", 0x34b] as const : ["htval", 0x643] as const;
    const stale = q.csr.get(name)!;
    if (stale !== 0n && hart.readCsr(num) === 0n) {
      log.push(`${at}: ${name} = QEMU's stale 0x${stale.toString(16)} (ours 0, the spec's: rule 23)`);
      hart.writeCsr(num, stale);
    }
  }
  if (level === "VS" && (ours === 2n || ours === 6n) && theirs === ours - 1n) {
    log.push(`${at}: vscause = QEMU's ${theirs} (ours ${ours}, the spec's: rule 19)`);
    hart.writeCsr(causeNum, theirs);
  }
  const qTval = q.csr.get(tvalName)!;
  const oTval = hart.readCsr(tvalNum)!;
  if (isHlvHsv(insn) && (theirs === 2n || theirs === 22n) && qTval !== oTval) {
    if (oTval !== BigInt(insn >>> 0)) return `${level} tval 0x${oTval.toString(16)} after ${theirs === 2n ? "an illegal" : "a virtual"}-instruction trap must be the instruction's bits (rule 16)`;
    log.push(`${at}: ${level} tval = QEMU's stale 0x${qTval.toString(16)} (ours the instruction's bits: rule 16)`);
    hart.writeCsr(tvalNum, qTval);
  }
  return undefined;
}

/** What a trap changes in our hart (rule 10 puts it back). */
interface TrapState {
  priv: number;
  virt: boolean;
  pc: bigint;
  csrs: [number, bigint][];
  /** Rule 14: the cause the spec requires (0n: rule 10, where any trap is the spec's). */
  cause: bigint;
}
/** What a trap may write (the H ones only where the hart has them). */
const TRAP_CSRS = [0x300, 0x341, 0x342, 0x343, 0x141, 0x142, 0x143, 0x600, 0x643, 0x64a, 0x34a, 0x34b, 0x200, 0x241, 0x242, 0x243];

/**
 * Rules 10, 14, 21 and 24: the instruction at q.pc is one QEMU executes without the trap the spec requires.
 * Returns the spec's cause (0n for rule 10's csrrs/csrrc with rs1 ≠ x0 holding 0, on a read-only CSR).
 */
function trapQemuSkips(g: LoadedGuest, p: Profile, q: TraceRecord): bigint | undefined {
  const insn = fetch(g, q.pc);
  if (isSc(insn)) return unreservedScFault(g, insn, q);
  if ((insn & 3) !== 3 || (insn & 0x7f) !== 0x73) return undefined;
  const f3 = (insn >>> 12) & 7, rs1 = (insn >>> 15) & 31, csr = insn >>> 20;
  if ((f3 === 2 || f3 === 3) && rs1 !== 0 && q.x[rs1] === 0n && insn >>> 30 === 3) return 0n;
  if (!p.hypervisor) return undefined;
  const hart = g.board.hart;
  if (isHlvHsv(insn) && !isStoreOrAmo(insn) && hlvOnlyQemuReads(g, insn, q)) return 13n;
  if ((f3 & 3) === 0) return undefined;
  if (csr === 0x180 && hart.virt && hart.priv === 1 && ((q.csr.get("hstatus") ?? 0n) >> 20n) & 1n) return 22n;
  if (csr === 0x680 && !hart.virt && hart.priv === 1 && ((q.csr.get("mstatus") ?? 0n) >> 20n) & 1n) return 2n;
  return undefined;
}

/**
 * Rule 21: whether the HLV/HLVX `insn` faults by the spec but not the way QEMU 7.2 checks it (read
 * permission, vsstatus.SUM ignored), in the mode hstatus.SPVP names.
 */
function hlvOnlyQemuReads(g: LoadedGuest, insn: number, q: TraceRecord): boolean {
  const hart = g.board.hart;
  const va = q.x[(insn >>> 15) & 31]!;
  const priv = Number(((q.csr.get("hstatus") ?? 0n) >> 8n) & 1n);
  const hlvx = ((insn >>> 20) & 31) === 3;
  if (!("fault" in hart.translate(va, hlvx ? "x" : "r", priv, true))) return false;
  const vs = hart.readCsr(0x200)!;
  hart.writeCsr(0x200, vs | (1n << 18n));
  const qemuReads = !("fault" in hart.translate(va, "r", priv, true));
  hart.writeCsr(0x200, vs);
  return qemuReads;
}

/** SC.W or SC.D (AMO opcode, funct5 00011). */
const isSc = (insn: number) => (insn & 0xf800607f) === 0x1800202f;

/**
 * Rule 24: the exception a store's checks raise for the SC `insn` at q.pc when it holds no reservation
 * (QEMU 7.2 then fails it without them); undefined when it holds one or the checks pass.
 */
function unreservedScFault(g: LoadedGuest, insn: number, q: TraceRecord): bigint | undefined {
  const { hart, bus } = g.board;
  const size = ((insn >>> 12) & 7) === 3 ? 8 : 4;
  const va = q.x[(insn >>> 15) & 31]!;
  if (hart.resAddr === Number(BigInt.asIntN(64, va)) && hart.resSize === size) return undefined;
  if (va % BigInt(size) !== 0n) return 6n;
  const t = hart.translate(va, "w");
  if ("fault" in t) return t.fault;
  if (!bus.ram.contains(t.pa, size) && bus.deviceAt(t.pa, size) === undefined) return 7n;
  const mstatus = hart.readCsr(0x300)!;
  const priv = hart.priv === 3 && (mstatus >> 17n) & 1n ? Number((mstatus >> 11n) & 3n) : hart.priv; // MPRV
  return hart.pmp.check(t.pa, size, PmpAccess.W, priv) ? undefined : 7n;
}

function saveTrapState(hart: LoadedGuest["board"]["hart"], cause: bigint): TrapState {
  const csrs = TRAP_CSRS.flatMap((n): [number, bigint][] => {
    const v = hart.readCsr(n);
    return v === undefined ? [] : [[n, v]];
  });
  return { priv: hart.priv, virt: hart.virt, pc: hart.pc, csrs, cause };
}

/** Rules 10, 14, 21 and 24: QEMU went on from the instruction at prev.pc to q; our hart must have trapped. */
function undoTrap(g: LoadedGuest, saved: TrapState, prev: TraceRecord, q: TraceRecord, log: string[], n: number): string | undefined {
  const hart = g.board.hart;
  if (q.pc !== saved.pc + 4n) return undefined;
  if (hart.pc === q.pc) {
    return saved.cause ? `the spec raises exception ${saved.cause} here; our hart went on, like QEMU 7.2 (rules 14, 21, 24)` : undefined;
  }
  if (saved.cause && hart.readCsr(0x342) !== saved.cause && hart.readCsr(0x142) !== saved.cause) {
    return `the spec raises exception ${saved.cause} here; our hart trapped with another cause (rules 14, 21, 24)`;
  }
  if (hart.virt !== saved.virt) hart.setMode(saved.priv, saved.virt);
  else hart.priv = saved.priv;
  for (const [num, v] of saved.csrs) hart.writeCsr(num, v);
  hart.pc = q.pc;
  hart.retired++;
  const insn = fetch(g, prev.pc);
  const rd = (insn >>> 7) & 31;
  hart.setReg(rd, q.x[rd]!);
  const rule = saved.cause === 0n ? 10 : isHlvHsv(insn) ? 21 : isSc(insn) ? 24 : 14;
  log.push(`#${n} pc=0x${prev.pc.toString(16)}: QEMU went on without the trap the spec requires (rule ${rule})`);
  return undefined;
}

function vector(tvec: bigint, cause: bigint): bigint {
  const base = tvec & ~3n;
  return (tvec & 3n) === 1n ? base + 4n * (cause & 0xffn) : base;
}

/** The instruction bits at a (virtual, identity-mapped in the corpus) pc, or -1 if unreadable. */
function fetch(g: LoadedGuest, pc: bigint): number {
  const t = g.board.hart.translate(pc, "x");
  if ("fault" in t) return -1;
  const lo = g.board.bus.load(t.pa, 2);
  if (lo === undefined) return -1;
  if ((lo & 3n) !== 3n) return Number(lo);
  const hi = g.board.bus.load(t.pa + 2, 2) ?? 0n;
  return Number(lo | (hi << 16n)) >>> 0;
}

/** Whether two records hold the same state (rule 6's repeat). */
function sameRecord(a: TraceRecord, b: TraceRecord): boolean {
  if (a.pc !== b.pc || a.csr.size !== b.csr.size) return false;
  for (let i = 1; i < 32; i++) if (a.x[i] !== b.x[i]) return false;
  for (const [name, v] of a.csr) if (b.csr.get(name) !== v) return false;
  return true;
}

/** Whether our hart's pc and GPRs are those of the record (the CSRs do not matter for rule 6). */
function hartIs(hart: LoadedGuest["board"]["hart"], q: TraceRecord): boolean {
  if (hart.pc !== q.pc) return false;
  for (let i = 1; i < 32; i++) if (hart.getReg(i) !== q.x[i]) return false;
  return true;
}

function differences(g: LoadedGuest, p: Profile, q: TraceRecord): string[] {
  const hart = g.board.hart;
  const out: string[] = [];
  if (hart.pc !== q.pc) out.push("pc");
  if (q.v !== undefined && ourV(g) !== q.v) out.push("V");
  for (let i = 1; i < 32; i++) if (hart.getReg(i) !== q.x[i]) out.push(ABI[i]!);
  q.f?.forEach((v, i) => {
    if (hart.f[i] !== v) out.push(`f${i}`);
  });
  for (const [name, num] of p.csrs) {
    const theirs = q.csr.get(name);
    const ours = ourCsr(g, q, name, num);
    if (theirs === undefined || ours === null) continue; // rules 8, 11
    const mask = ~ignoredBits(p, num, theirs);
    if (((ours ?? -1n) & mask) !== (theirs & mask)) out.push(name);
  }
  return out;
}

/** Our hart's virtualization mode V (0 without H). */
function ourV(g: LoadedGuest): number {
  return g.board.hart.virt ? 1 : 0;
}

/**
 * Our value for the CSR QEMU's record calls `name` (number `num` at V=0): rule 11 at V=1. null when the
 * record's value is not to be compared; undefined when our hart lacks the CSR.
 */
function ourCsr(g: LoadedGuest, q: TraceRecord, name: string, num: number): bigint | undefined | null {
  const hart = g.board.hart;
  if (q.v !== 1) return hart.readCsr(num);
  const slot = V1_SLOT.get(name);
  if (slot !== undefined) return slot === null ? null : hart.readCsr(slot);
  if (name !== "mstatus") return hart.readCsr(num);
  const m = hart.readCsr(0x300), vs = hart.readCsr(0x200);
  return m === undefined || vs === undefined ? undefined : (m & ~VS_SWAPPED) | (vs & VS_SWAPPED);
}

function report(elf: string, g: LoadedGuest, p: Profile, msg: string, q: TraceRecord | undefined, prev: TraceRecord | undefined,
  n: number, context: string | undefined): string {
  const hart = g.board.hart;
  const h = (v: bigint | undefined) => (v === undefined ? "(none)" : "0x" + v.toString(16).padStart(16, "0"));
  const lines = [`lockstep ${elf}: ${msg}, after ${n} instructions${context ? ` (${context})` : ""}`];
  if (prev) {
    const bits = fetch(g, prev.pc);
    lines.push(`  last instruction: pc=${h(prev.pc)} bits=0x${(bits >>> 0).toString(16).padStart(bits >>> 0 < 0x10000 && (bits & 3) !== 3 ? 4 : 8, "0")}  ${disassembleAt(elf, prev.pc)}`);
  }
  lines.push(`  ${"".padEnd(9)}${"QEMU".padEnd(20)}ours          (our priv ${hart.priv}${p.hypervisor ? `, V ${ourV(g)}` : ""})`);
  const row = (name: string, theirs: bigint | undefined, ours: bigint | undefined, mask = -1n) => {
    const bad = theirs !== undefined && (ours === undefined || (theirs & mask) !== (ours & mask));
    lines.push(`  ${name.padEnd(9)}${h(theirs).padEnd(20)}${h(ours)}${bad ? "  <<" : ""}`);
  };
  if (p.hypervisor) row("V", q?.v === undefined ? undefined : BigInt(q.v), BigInt(ourV(g)));
  row("pc", q?.pc, hart.pc);
  for (let i = 1; i < 32; i++) row(ABI[i]!, q?.x[i], hart.getReg(i));
  q?.f?.forEach((v, i) => row(`f${i}`, v, hart.f[i]));
  lines.push(`  ${"fcsr".padEnd(9)}${"(not traced)".padEnd(20)}0x${hart.readCsr(0x003)?.toString(16) ?? "-"}`);
  for (const [name, num] of p.csrs) {
    const theirs = q?.csr.get(name);
    const ours = q ? ourCsr(g, q, name, num) : hart.readCsr(num);
    if (ours === null) {
      lines.push(`  ${name.padEnd(9)}${h(theirs).padEnd(20)}(stale in QEMU at V=1, rule 11)`);
      continue;
    }
    row(name, theirs, ours, theirs === undefined ? -1n : ~ignoredBits(p, num, theirs));
  }
  return lines.join("\n");
}
