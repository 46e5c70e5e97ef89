/**
 * The fast path (translated code, src/machine/hart/translate.ts) against QEMU and against our own
 * interpreter. Lockstep (corpus.test.ts, random.test.ts) single-steps, which never runs translated code;
 * here every guest runs through `board.run()` with translation at its lowest threshold (every page is
 * translated the first time control enters it), and must end:
 *  - exactly as the same guest run by `step()` alone ends: pc, privilege, every GPR, every implemented
 *    CSR, instret, UART output and exit code;
 *  - as on QEMU: UART output and exit code, and the final GPRs where they do not hold a time or a counter
 *    (endstate.ts: QEMU's last trace record, with rule 1's reset registers).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { qemuEndState } from "./endstate";
import { buildGuests, buildRandomGuest, corpusNames, elfPath, GUEST_BUILD } from "./guests";
import { TRACED_CSRS } from "./lockstep";
import { loadGuest } from "./ours";

before(() => buildGuests());

/**
 * Where a guest's end state holds a counter or the time, which differs from QEMU's (lockstep rule 3: QEMU's
 * icount counts its reset ROM and trapping instructions; lockstep copies QEMU's values in, an end state
 * cannot): "registers" means the final GPRs are not compared with QEMU's; "all" that the guest's own checks
 * of counter deltas fail standalone (on step() alike), so only our two runs are compared.
 */
const QEMU_TIME: Record<string, "registers" | "all"> = { counters: "all", irq: "registers", deleg: "registers", priv: "registers" };
const ROM_REGISTERS = [5, 11, 12];
/** CSRs compared between our two runs: QEMU's traced set plus the counters and the rest of the state. */
const CSRS = [...TRACED_CSRS.map(([, n]) => n), 0x100, 0x104, 0x144, 0x106, 0x306, 0x30a, 0x10a, 0x320, 0x3a0,
  0x3a2, 0xb00, 0xb02, 0xc00, 0xc01, 0xc02, ...Array.from({ length: 16 }, (_, i) => 0x3b0 + i)];
const MAX = 50_000_000;

interface Final {
  kind: string;
  code: number;
  uart: string;
  pc: bigint;
  priv: number;
  instret: bigint;
  x: bigint[];
  csrs: (bigint | undefined)[];
  translated: number;
}

function runOurs(elf: string, mode: "translated" | "stepped", entryX?: bigint[]): Final {
  const g = loadGuest(elf);
  const b = g.board;
  if (entryX) for (const i of ROM_REGISTERS) b.hart.setReg(i, entryX[i]!);
  b.hart.translator.threshold = 0;
  let r = b.run(0);
  while (Number(b.instret) < MAX) {
    r = mode === "translated" ? b.run(100_000) : b.step();
    if (r.kind !== "budget") break;
  }
  return {
    kind: r.kind,
    code: r.kind === "halt" ? r.code : -1,
    uart: g.uart(),
    pc: b.hart.pc,
    priv: b.hart.priv,
    instret: b.instret,
    x: Array.from({ length: 32 }, (_, i) => b.hart.getReg(i)),
    csrs: CSRS.map((n) => b.hart.readCsr(n)),
    translated: b.hart.translatorStats.translatedInstructions,
  };
}

function sameAsStepped(elf: string, fast: Final): void {
  const slow = runOurs(elf, "stepped");
  assert.equal(slow.translated, 0, "step() never runs translated code");
  const { translated: _a, ...f } = fast;
  const { translated: _b, ...s } = slow;
  assert.deepEqual(f, s);
}

describe("corpus guests: translated runs end as step() runs and as QEMU", () => {
  for (const name of corpusNames()) {
    test(name, async () => {
      const elf = elfPath(name);
      const registers = QEMU_TIME[name] === undefined;
      const q = await qemuEndState(elf, { registers, timeoutMs: 60_000 });
      const fast = runOurs(elf, "translated", q.entryX);
      assert.ok(fast.translated > 0, "some of the guest ran translated");
      assert.equal(fast.kind, "halt");
      if (QEMU_TIME[name] !== "all") {
        assert.equal(fast.code & 0xff, q.exitCode);
        assert.equal(fast.uart, q.uart);
      }
      if (registers) {
        for (let i = 1; i < 32; i++) assert.equal(fast.x[i], q.x![i], `x${i}`);
      }
      sameAsStepped(elf, runOurs(elf, "translated"));
    });
  }
});

describe("random streams: translated runs end as step() runs and as QEMU", () => {
  for (const seed of [101, 102, 103, 104, 105, 106]) {
    test(`seed ${seed}`, async () => {
      const elf = buildRandomGuest(seed, 600);
      const q = await qemuEndState(elf, { registers: false, timeoutMs: 20_000 });
      const fast = runOurs(elf, "translated");
      assert.ok(fast.translated > 0, "some of the stream ran translated");
      assert.equal(fast.kind, "halt");
      assert.equal(fast.code & 0xff, q.exitCode);
      assert.equal(fast.uart, q.uart);
      sameAsStepped(elf, fast);
    });
  }
});

test("the mixed compiled-C benchmark guest (one page of >1,000 instructions, a switch): translated, it ends as step() runs and as QEMU", async () => {
  const elf = join(GUEST_BUILD, "bench-mixed.elf");
  const q = await qemuEndState(elf, { registers: false, timeoutMs: 60_000 });
  const fast = runOurs(elf, "translated");
  assert.ok(fast.translated / Number(fast.instret) > 0.95, `translated ${fast.translated} of ${fast.instret}`);
  assert.equal(fast.kind, "halt");
  assert.equal(fast.code & 0xff, q.exitCode);
  assert.equal(fast.uart, q.uart);
  sameAsStepped(elf, fast);
});
