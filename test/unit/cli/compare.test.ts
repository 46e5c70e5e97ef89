import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_COMPARE_LIMIT, parseArgs, UsageError } from "../../../src/cli/args";
import { compareJson, compareStatus, compareTechniques, formatCompare, type CompareIo, type CompareReport, type MakeTarget } from "../../../src/cli/compare";
import { NO_PROGRESS_SECONDS } from "../../../src/cli/commands";
import { createTarget } from "../../../src/target/create_target";
import type { Target } from "../../../src/target/target";
import type { GuestBoot } from "../../../src/target/target_options";
import { loadProgram, ProgramError } from "../../../src/cli/program";
import { AVAILABLE_TECHNIQUES } from "../../../src/target/techniques";

const ROOT = join(__dirname, "../../..");

function io(clock?: () => number) {
  const logs: string[] = [];
  const value: CompareIo = { log: (l) => logs.push(l), now: clock ?? (() => performance.now()), breathe: async () => {} };
  return { value, logs };
}

async function compare(guest: string, settings: { maxInstructions?: number; input?: Uint8Array; boot?: GuestBoot } = {}, clock?: () => number, make?: MakeTarget) {
  const program = await loadProgram(join(ROOT, guest));
  if (program instanceof ProgramError) assert.fail(program.message);
  const { value, logs } = io(clock);
  const report = await compareTechniques(program.image, { memoryBytes: 1 << 24, maxInstructions: settings.maxInstructions ?? DEFAULT_COMPARE_LIMIT, input: settings.input, boot: settings.boot }, value, make);
  if ("error" in report) assert.fail(report.error);
  return { report, logs };
}

describe("hyperstep compare", () => {
  it("parses its options and rejects bad ones", () => {
    assert.deepEqual(parseArgs(["compare", "g.S"]), { kind: "compare", program: "g.S", memoryBytes: 128 << 20, maxInstructions: DEFAULT_COMPARE_LIMIT, json: false, boot: "machine", input: undefined, twin: undefined, nonTrappingSensitive: [], hosting: false, fpuSwitch: "lazy", diskSpec: undefined, virtioConsole: false, deviceModels: undefined });
    assert.deepEqual(parseArgs(["compare", "--json", "g.S", "--memory=16M", "--max-instructions", "500", "--input", "in.txt", "--boot", "supervisor", "--twin", "t.S", "--hosting"]),
      { kind: "compare", program: "g.S", memoryBytes: 16 << 20, maxInstructions: 500, json: true, boot: "supervisor", input: "in.txt", twin: "t.S", nonTrappingSensitive: [], hosting: true, fpuSwitch: "lazy", diskSpec: undefined, virtioConsole: false, deviceModels: undefined });
    assert.deepEqual((parseArgs(["compare", "g.S", "--non-trapping-sensitive", "sstatus-read,sstatus-write"]) as { nonTrappingSensitive: string[] }).nonTrappingSensitive, ["sstatus-read", "sstatus-write"]);
    assert.deepEqual(parseArgs(["compare", "-h"]), { kind: "help", topic: "compare" });
    assert.deepEqual(parseArgs(["help", "compare"]), { kind: "help", topic: "compare" });
    const usage = (args: string[], message: RegExp) => assert.throws(() => parseArgs(args), (e: unknown) => e instanceof UsageError && e.command === "compare" && message.test(e.message));
    usage(["compare"], /needs a program/);
    usage(["compare", "a.S", "b.S"], /takes one program, but got 'a.S' and 'b.S'/);
    usage(["compare", "a.S", "--exits"], /unknown option '--exits' for 'compare'/);
    usage(["compare", "a.S", "--json=yes"], /--json takes no value/);
    usage(["compare", "a.S", "--memory", "12Q"], /--memory must be a size/);
    usage(["compare", "a.S", "--max-instructions", "0"], /whole number of instructions/);
    usage(["compare", "a.S", "--boot", "hypervisor"], /--boot must be one of machine, supervisor, not 'hypervisor'/);
    usage(["compare", "a.S", "--non-trapping-sensitive", "popf"], /comma-separated list of sstatus-read, sstatus-write, not 'popf'/);
  });

  it("--non-trapping-sensitive: on the popek-goldberg lesson trap-and-emulate diverges, binary translation does not", async () => {
    const program = await loadProgram(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S"));
    if (program instanceof ProgramError) assert.fail(program.message);
    const settings = { memoryBytes: 1 << 24, maxInstructions: DEFAULT_COMPARE_LIMIT, nonTrappingSensitive: ["sstatus-read", "sstatus-write"] as const };
    const report = await compareTechniques(program.image, settings, io().value);
    if ("error" in report) assert.fail(report.error);
    const equal = Object.fromEntries(report.results.slice(1).map((r) => [r.technique, r.equivalence!.equal]));
    assert.deepEqual(equal, { "trap-and-emulate": false, "hardware-assisted": true, "binary-translation": true });
    assert.equal(compareStatus(report), 3);
    const text = formatCompare("popek_goldberg.S", report);
    assert.match(text, /trap-and-emulate is not equivalent: UART output differs/);
    assert.match(text.replace(/\n/g, " "), /Non-standard hardware \(--non-trapping-sensitive sstatus-read,sstatus-write\) under trap-and-emulate and binary-translation/);
    const plain = await compareTechniques(program.image, { ...settings, nonTrappingSensitive: [] }, io().value);
    if ("error" in plain) assert.fail(plain.error);
    assert.equal(compareStatus(plain), 0, "on standard hardware every technique is equivalent");
  });

  it("runs the shadow-paging guest under every available technique: exits only under the VMM, and equivalence", async () => {
    const { report } = await compare("sample-guests/shadow-paging/shadow_paging.S");
    assert.deepEqual(report.results.map((r) => r.technique), AVAILABLE_TECHNIQUES.filter((t) => t !== "paravirtual"));
    assert.deepEqual(report.unavailable.map((u) => u.technique), ["paravirtual"], "it runs only kernels written for it");
    assert.match(report.unavailable[0].why, /runs only a kernel written for the VMM/);
    const [native, tae, hw, bt] = report.results;
    assert.equal(native.technique, "native");
    assert.deepEqual(native.end, { kind: "halt", code: 0, how: "finisher" });
    assert.equal(native.exits, 0);
    assert.equal(native.modelledCycles, Number(native.instructions));
    assert.equal(native.overhead, null);
    assert.ok(native.output.length > 0);
    assert.equal(tae.technique, "trap-and-emulate");
    assert.equal(tae.instructions, native.instructions, "the guest retires the same instructions");
    assert.ok(tae.exits > 0);
    const byReason = Object.fromEntries(tae.byReason.map((e) => [e.reason, e.count]));
    assert.ok(byReason["hidden-page-fault"] > 0, "shadow paging fills its table by hidden faults");
    assert.ok(byReason["mmio-write"] > 0, "every UART byte is emulated");
    assert.equal(tae.exits, tae.byReason.reduce((n, e) => n + e.count, 0));
    assert.equal(tae.modelledCycles, Number(tae.instructions) + tae.exitCycles);
    assert.equal(tae.exitCycles, byReason["hidden-page-fault"] * 1500 + byReason["mmio-write"] * 1040 + tae.byReason
      .filter((e) => e.reason !== "hidden-page-fault" && e.reason !== "mmio-write").reduce((n, e) => n + e.cycles, 0));
    assert.equal(tae.overhead, tae.modelledCycles / native.modelledCycles - 1);
    assert.deepEqual(tae.equivalence, { output: true, end: true, registers: true, equal: true, differences: [] });
    assert.equal(hw.technique, "hardware-assisted");
    assert.equal(hw.instructions, native.instructions);
    assert.deepEqual(hw.equivalence, { output: true, end: true, registers: true, equal: true, differences: [] });
    const hwReasons = Object.fromEntries(hw.byReason.map((e) => [e.reason, e.count]));
    assert.ok(hw.exits < tae.exits, "the hart walks the guest's tables itself");
    assert.equal(hwReasons["guest-pt-write"], undefined);
    assert.equal(hwReasons["sfence"], undefined);
    assert.ok(hwReasons["guest-page-fault"] > 0, "UART accesses from S-mode miss the G stage");
    assert.equal(bt.technique, "binary-translation");
    assert.equal(bt.instructions, native.instructions);
    assert.deepEqual(bt.equivalence, { output: true, end: true, registers: true, equal: true, differences: [] });
    const btReasons = Object.fromEntries(bt.byReason.map((e) => [e.reason, e.count]));
    assert.ok(btReasons["bt-callout"] > 0, "the kernel's sensitive instructions are callouts");
    assert.equal(btReasons["csr-write"], undefined, "none of them traps");
    assert.ok(bt.tc && bt.tc.translated >= bt.tc.blocks && bt.tc.blocks > 0 && bt.tc.hits <= bt.tc.lookups, "its translation cache's statistics");
    assert.equal(tae.tc, undefined);
    assert.equal(compareStatus(report), 0);

    const text = formatCompare("shadow_paging.S", report);
    const lines = text.split("\n");
    assert.match(lines[0], /^shadow_paging\.S: 4 techniques ran, 16 MiB of guest RAM$/);
    assert.match(lines[2], /^technique +end +instructions +exits +modelled cycles +overhead +wall time +equivalent$/);
    assert.match(lines[3], new RegExp(`^native +exit code 0 +${native.instructions} +0 +${native.instructions} +baseline +[\\d.]+ ms +baseline$`));
    assert.match(lines[4], new RegExp(`^trap-and-emulate +exit code 0 +${tae.instructions} +${tae.exits} +${tae.modelledCycles} +\\+[\\d.]+% +[\\d.]+ ms \\([\\d.]+x\\) +yes$`));
    assert.equal(lines[3].indexOf("baseline") + "baseline".length, lines[4].search(/\+[\d.]+%/) + pct(tae.overhead!).length, "overhead column right-aligned");
    assert.match(text, new RegExp(`\\nhidden-page-fault +0 +${byReason["hidden-page-fault"]} \\(${byReason["hidden-page-fault"] * 1500} cycles\\) +${hwReasons["hidden-page-fault"]} \\(`));

    const cache = text.slice(text.indexOf("\nbinary-translation: translation cache")).replace(/\n(?!\n)/g, " ");
    assert.match(cache, new RegExp(`^ binary-translation: translation cache at 0x2000000000: ${bt.tc!.blocks} blocks? in [\\d.]+ KiB of 256 KiB, ${bt.tc!.chains} chains?, .*; ${bt.tc!.translated} translated, .*; ${bt.tc!.flushes} flush.*; lookups ${bt.tc!.lookups}, hit rate [\\d.]+%`));

    const json = JSON.parse(JSON.stringify(compareJson("g.S", report)));
    assert.deepEqual(json.techniques[3].translationCache, bt.tc);
    assert.equal(json.techniques.length, 4);
    assert.deepEqual(json.techniques[0].exitsByReason, {});
    assert.equal(json.techniques[1].exitsByReason["hidden-page-fault"].count, byReason["hidden-page-fault"]);
    assert.equal(json.techniques[1].equivalence.equal, true);
    assert.equal(json.techniques[1].modelledCycles, tae.modelledCycles);
  });

  it("feeds --input to every run, stops guests that never halt at the limit, and reports progress", async () => {
    const echo = await compare("sample-guests/uart-echo/uart_echo.S", { input: new Uint8Array([104, 105, 13, 4]) });
    assert.equal(Buffer.from(echo.report.results[0].output).toString("latin1").includes("hi\r\n"), true);
    assert.ok(echo.report.results.every((r) => r.end.kind === "halt" && r.equivalence?.equal !== false));
    let t = 0;
    const { report, logs } = await compare("sample-guests/uart-echo/uart_echo.S", { maxInstructions: 200_000 }, () => (t += 2000));
    assert.ok(report.results.every((r) => r.end.kind === "goal" && r.instructions === 200_000n));
    assert.ok(formatCompare("g", report).includes("instruction limit reached"));
    assert.ok(logs.some((l) => /^hyperstep compare: trap-and-emulate: [\d.]+M instructions so far$/.test(l)));
  });

  it("a kernel that calls the SBI: without --boot, why every run loops; with --boot supervisor, native cannot run it and says why", async () => {
    const guest = "sample-guests/supervisor-boot/supervisor_boot.S";
    const machine = await compare(guest);
    assert.ok(machine.report.results.every((r) => r.end.kind === "trap-loop"));
    assert.match(formatCompare("k.S", machine.report), /\nThe trap loop under native, trap-and-emulate, hardware-assisted, binary-translation began with an\necall that nothing handles: [^]* needs\s--boot supervisor\.\n$/);

    const { report } = await compare(guest, { boot: "supervisor" });
    assert.deepEqual(report.unavailable.map((u) => u.technique), ["native", "paravirtual"]);
    assert.match(report.unavailable[0].why, /needs firmware \(an SBI\), which only a VMM provides/);
    assert.deepEqual(report.results.map((r) => r.technique), AVAILABLE_TECHNIQUES.filter((t) => t !== "native" && t !== "paravirtual"));
    assert.ok(report.results.every((r) => r.end.kind === "halt" && r.end.how === "sbi" && r.end.code === 0));
    assert.equal(report.results[0].overhead, null, "the first technique that ran is the baseline");
    assert.equal(report.results[1].equivalence?.equal, true);
    assert.deepEqual(report.notes, []);
    const text = formatCompare("k.S", report);
    assert.match(text, /^k\.S: 3 techniques ran, 16 MiB of guest RAM, booted in S-mode behind the VMM's SBI\n/);
    assert.match(text, /\nnative +cannot run this guest \(below\)\n/);
    assert.match(text, /\nnative cannot run this guest: boot "supervisor" \(the guest boots in S-mode\) needs firmware/);
    const json = JSON.parse(JSON.stringify(compareJson("k.S", report)));
    assert.equal(json.boot, "supervisor");
    assert.equal(json.unavailable[0].technique, "native");
  });

  it("stops a run that retires nothing for a while, saying so, and goes on to the next technique", { timeout: 20_000 }, async () => {
    // A machine that never retires (as a VMM stuck in its own loop would): the board's trap-loop
    // and WFI checks cannot see it, the clock must.
    const stuck: MakeTarget = (program, opts) => {
      const made = createTarget(program, opts);
      if (!made.ok || opts.technique !== "trap-and-emulate") return made;
      const target = made.target;
      return { ok: true, target: new Proxy(target, { get: (t, key) => (key === "run" ? () => ({ kind: "budget" }) : Reflect.get(t, key, t)) }) as Target };
    };
    let t = 0;
    const { report } = await compare("sample-guests/hello/hello.S", {}, () => (t += 1000), stuck);
    const [native, tae, hw] = report.results;
    assert.equal(native.end.kind, "halt");
    assert.deepEqual(tae.end, { kind: "no-progress", seconds: NO_PROGRESS_SECONDS, pc: 0x80000000n });
    assert.equal(tae.instructions, 0n);
    assert.equal(hw.end.kind, "halt");
    assert.match(formatCompare("g", report), new RegExp(`\\ntrap-and-emulate +no progress: nothing retired for ${NO_PROGRESS_SECONDS} s at pc 0x80000000 .* NO\\n`));
    assert.equal(compareStatus(report), 3);
  });

  it("reports a technique that is not equivalent, with what differs, and exit status 3", () => {
    const base = { instructions: 10n, exits: 0, byReason: [], exitCycles: 0, modelledCycles: 10, hostTrips: 0, overhead: null, wallSeconds: 0.001, current: false };
    const report: CompareReport = {
      memoryBytes: 1 << 20, maxInstructions: 100, boot: "machine", fpuSwitch: "lazy", unavailable: [], notes: [], results: [
        { ...base, technique: "native", end: { kind: "halt", code: 0, how: "finisher" } as const, output: new Uint8Array([65, 66]), registers: [1n, 2n] },
        { ...base, technique: "trap-and-emulate", end: { kind: "halt", code: 0, how: "finisher" } as const, output: new Uint8Array([65, 67]), registers: [1n, 2n], overhead: 0,
          equivalence: { output: false, end: true, registers: true, equal: false, differences: ["UART output differs from byte 1 (2 bytes vs 2 natively)"] } },
      ],
    };
    assert.equal(compareStatus(report), 3);
    assert.match(formatCompare("g", report), /trap-and-emulate +exit code 0 .* NO\n[\s\S]*trap-and-emulate is not equivalent: UART output differs from byte 1/);
  });

  it("spawned: --json on stdout, errors on stderr with their status", () => {
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { encoding: "utf8", timeout: 60_000 });
    const ok = run(["compare", join(ROOT, "sample-guests/hello/hello.S"), "--json"]);
    assert.equal(ok.status, 0, ok.stderr);
    const json = JSON.parse(ok.stdout);
    assert.deepEqual(json.techniques.map((t: { technique: string }) => t.technique), AVAILABLE_TECHNIQUES.filter((t) => t !== "paravirtual"));
    assert.ok(json.techniques[1].exits > 0);
    assert.equal(json.techniques[1].equivalence.equal, true);
    const kernel = run(["compare", join(ROOT, "sample-guests/supervisor-boot/supervisor_boot.S"), "--boot", "supervisor"]);
    assert.equal(kernel.status, 0, kernel.stderr);
    assert.match(kernel.stdout, /\nnative +cannot run this guest \(below\)\ntrap-and-emulate +exit code 0 /);
    const missing = run(["compare", "no/such/guest.S"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^hyperstep: cannot read no\/such\/guest\.S: no such file\n$/);
    const dir = mkdtempSync(join(tmpdir(), "hyperstep-compare-"));
    const bad = join(dir, "bad.S");
    writeFileSync(bad, "  frobnicate a0\n");
    const asmError = run(["compare", bad]);
    assert.equal(asmError.status, 1);
    assert.match(asmError.stderr, /bad\.S:1:\d+: error: /);
    const noInput = run(["compare", join(ROOT, "sample-guests/hello/hello.S"), "--input", join(dir, "none.txt")]);
    assert.equal(noInput.status, 1);
    assert.match(noInput.stderr, /cannot read the --input file .*none\.txt/);
    const usage = run(["compare", "--frob"]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown option '--frob' for 'compare'\nTry 'hyperstep help compare'\.\n/);
    assert.match(run(["help", "compare"]).stdout, /^Usage: hyperstep compare <program\.elf\|program\.S\|program\.c>/);
    assert.match(run(["--help"]).stdout, /compare <program\.elf\|program\.S\|program\.c> +run a guest under every technique/);
  });
});

function pct(x: number): string {
  return `+${(x * 100).toFixed(1)}%`;
}
