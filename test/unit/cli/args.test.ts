import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError, parseArgs } from "../../../src/cli/args";
import { DEFAULT_RNG_SEED } from "../../../src/machine/devices/virtio/rng";

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail(`expected ${argv.join(" ")} to be rejected`);
}

describe("hyperstep argument parsing", () => {
  it("parses run with defaults", () => {
    assert.deepEqual(parseArgs(["run", "guest.elf"]), {
      kind: "run", program: "guest.elf", memoryBytes: 128 * 1024 * 1024, maxInstructions: undefined, timeoutSeconds: undefined, traceTraps: false, technique: "native", boot: "machine", exits: false, cpu: { model: "rv64", h: false, f: true, d: true }, gdb: undefined, nonTrappingSensitive: [], record: undefined, diskSpec: undefined, rngSeed: undefined, hosting: "native", hostMemoryBytes: undefined, hostSwapBytes: undefined, fpuSwitch: "lazy", virtioConsole: false, balloon: false, deviceModels: { vm: "emulated", perDevice: {} }, smp: undefined, icountShift: undefined,
    });
  });

  it("parses every run option, in both --flag value and --flag=value forms", () => {
    assert.deepEqual(parseArgs(["run", "--memory", "64K", "g.elf", "--max-instructions=1000", "--timeout", "2.5", "--trace-traps"]), {
      kind: "run", program: "g.elf", memoryBytes: 65536, maxInstructions: 1000, timeoutSeconds: 2.5, traceTraps: true, technique: "native", boot: "machine", exits: false, cpu: { model: "rv64", h: false, f: true, d: true }, gdb: undefined, nonTrappingSensitive: [], record: undefined, diskSpec: undefined, rngSeed: undefined, hosting: "native", hostMemoryBytes: undefined, hostSwapBytes: undefined, fpuSwitch: "lazy", virtioConsole: false, balloon: false, deviceModels: { vm: "emulated", perDevice: {} }, smp: undefined, icountShift: undefined,
    });
    assert.equal((parseArgs(["run", "g.elf", "--memory=1G"]) as { memoryBytes: number }).memoryBytes, 2 ** 30);
    assert.equal((parseArgs(["run", "g.elf", "--memory", "8MiB"]) as { memoryBytes: number }).memoryBytes, 8 * 2 ** 20);
  });

  it("--gdb takes QEMU's tcp::PORT; --wait holds the guest for it", () => {
    const run = (argv: string[]) => parseArgs(argv) as { gdb?: unknown };
    assert.deepEqual(run(["run", "g.elf", "--gdb", "tcp::1234", "--wait"]).gdb, { address: { host: "127.0.0.1", port: 1234 }, wait: true });
    assert.deepEqual(run(["run", "g.elf", "--gdb=1234"]).gdb, { address: { host: "127.0.0.1", port: 1234 }, wait: false });
    assert.match(usageError(["run", "g.elf", "--gdb", "tcp:0.0.0.0:1234"]).message, /^--gdb: the GDB server listens on 127\.0\.0\.1 only/);
    assert.match(usageError(["run", "g.elf", "--wait"]).message, /--wait .* needs --gdb/);
    assert.match(usageError(["run", "g.elf", "--gdb", "tcp::1234", "--timeout", "5"]).message, /--timeout cannot be combined with --gdb/);
  });

  it("parses --disk FILE[,readonly][,snapshot]", () => {
    const disk = (text: string) => (parseArgs(["run", "k.elf", "--disk", text]) as { diskSpec: unknown }).diskSpec;
    assert.deepEqual(disk("fs.img"), { path: "fs.img", readOnly: false, snapshot: false });
    assert.deepEqual(disk("fs.img,snapshot"), { path: "fs.img", readOnly: false, snapshot: true });
    assert.deepEqual(disk("fs.img,readonly"), { path: "fs.img", readOnly: true, snapshot: false });
    assert.equal(usageError(["run", "k.elf", "--disk", "fs.img,rw"]).message, "--disk has an unknown flag 'rw': the flags are readonly and snapshot");
  });

  it("parses --rng: a virtio-rng device with the default seed; not with --record", () => {
    assert.equal((parseArgs(["run", "k.elf", "--rng"]) as { rngSeed?: number }).rngSeed, DEFAULT_RNG_SEED);
    assert.match(usageError(["run", "k.elf", "--rng=1"]).message, /--rng takes no value/);
    assert.match(usageError(["run", "k.elf", "--rng", "--record", "r.json"]).message, /^--record cannot be combined with --rng/);
  });

  it("parses --balloon natively and under the VMMs whose memory virtualization can drop a page; not under paravirtual, with passthrough or --record", () => {
    for (const technique of ["native", "trap-and-emulate", "hardware-assisted", "binary-translation"]) {
      assert.equal((parseArgs(["run", "k.elf", "--technique", technique, "--balloon"]) as { balloon: boolean }).balloon, true, technique);
    }
    assert.equal(usageError(["run", "k.elf", "--technique", "paravirtual", "--balloon"]).message,
      "--balloon is not available under technique \"paravirtual\": direct paging hands the guest kernel its machine frames as one run that its page tables name, so a page cannot leave it; and the paravirtual kernel reaches devices through hypercalls, not virtio");
    assert.equal(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--disk", "d.img", "--device-model", "passthrough", "--balloon"]).message,
      "--balloon does not go with deviceModel \"passthrough\": the IOMMU maps guest RAM once, so a page the balloon takes would stay mapped for the device");
    assert.match(usageError(["run", "k.elf", "--balloon", "--record", "r.json"]).message, /^--record cannot be combined with --balloon yet/);
    assert.match(usageError(["run", "--config", "l.json", "--balloon"]).message, /^--balloon cannot be combined with --config/);
  });

  it("parses --virtio-console and --device-model (a model, or device=model pairs); passthrough needs a VMM and a disk, and is virtio-blk's only", () => {
    const run = (...a: string[]) => parseArgs(["run", "k.elf", "--technique", "trap-and-emulate", ...a]) as { virtioConsole: boolean; deviceModels: object };
    assert.equal(run("--virtio-console").virtioConsole, true);
    assert.deepEqual(run("--device-model", "split").deviceModels, { vm: "split", perDevice: {} });
    assert.deepEqual(run("--device-model", "virtio-blk=split").deviceModels, { vm: "emulated", perDevice: { "virtio-blk": "split" } });
    assert.match(usageError(["run", "k.elf", "--device-model", "passthrough"]).message, /^--device-model "passthrough" needs a VMM technique/);
    assert.match(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--device-model", "passthrough"]).message, /^--device-model "passthrough" passes the virtio-blk device through: it needs a disk/);
    assert.match(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--disk", "d.img", "--device-model", "virtio-rng=passthrough"]).message, /^--device-model "passthrough" is for virtio-blk only/);
    assert.deepEqual(run("--disk", "d.img", "--device-model", "passthrough").deviceModels, { vm: "passthrough", perDevice: {} });
    assert.match(usageError(["run", "k.elf", "--virtio-console", "--record", "r.json"]).message, /^--record cannot be combined with --virtio-console/);
  });

  it("parses run --config FILE --name NAME with only the options that say how to run, not what", () => {
    assert.deepEqual(parseArgs(["run", "--config", ".vscode/launch.json", "--name", "xv6 (trap-and-emulate)", "--exits", "--max-instructions", "10", "--timeout", "5"]), {
      kind: "run-config", config: ".vscode/launch.json", name: "xv6 (trap-and-emulate)",
      maxInstructions: 10, timeoutSeconds: 5, traceTraps: false, exits: true, gdb: undefined, record: undefined,
    });
    assert.equal((parseArgs(["run", "--config=l.json"]) as { name?: string }).name, undefined, "the name may be left out when the file has one configuration");
    assert.equal(usageError(["run", "--config", "l.json", "--technique", "native"]).message,
      "--technique cannot be combined with --config: the launch configuration describes the guest (edit it there); with --config, give only --name, --max-instructions, --timeout, --trace-traps, --exits, --gdb, --wait and --record");
    assert.match(usageError(["run", "--config", "l.json", "--disk", "fs.img"]).message, /^--disk cannot be combined with --config/);
    assert.equal(usageError(["run", "g.S", "--config", "l.json"]).message, "--config runs the program its configuration names: give no program ('g.S')");
    assert.equal(usageError(["run", "g.S", "--name", "x"]).message, "--name picks a configuration of a launch.json: it needs --config");
    assert.match(usageError(["run", "--config", "l.json", "--record", "r.json", "--gdb", "tcp::1234"]).message, /^--record cannot be combined with --gdb/);
  });

  it("parses --smp N (1 to 8 harts or vCPUs), not under paravirtualization, nor with --record", () => {
    assert.equal((parseArgs(["run", "k.elf", "--smp", "3"]) as { smp?: number }).smp, 3);
    assert.equal(usageError(["run", "k.elf", "--smp", "0"]).message, "--smp needs a whole number of harts from 1 to 8, not '0'");
    assert.equal(usageError(["run", "k.elf", "--smp=2.5"]).message, "--smp needs a whole number of harts from 1 to 8, not '2.5'");
    assert.equal((parseArgs(["run", "k.elf", "--smp", "2", "--technique", "trap-and-emulate"]) as { smp?: number }).smp, 2);
    assert.equal((parseArgs(["run", "k.elf", "--smp", "3", "--technique", "binary-translation"]) as { smp?: number }).smp, 3);
    assert.match(usageError(["run", "k.elf", "--smp", "2", "--technique", "paravirtual"]).message, /^--smp 2: the paravirtual interface is for one vCPU: /);
    assert.match(usageError(["run", "k.elf", "--smp", "2", "--technique", "hardware-assisted", "--boot", "supervisor"]).message, /^--smp 2: a guest that boots in S-mode /);
    assert.equal((parseArgs(["run", "k.elf", "--smp", "1", "--technique", "trap-and-emulate"]) as { smp?: number }).smp, 1);
    assert.match(usageError(["run", "k.elf", "--smp", "2", "--record", "r.json"]).message, /^--record cannot be combined with --smp/);
  });

  it("parses --host-memory SIZE, under a VMM technique only", () => {
    assert.equal((parseArgs(["run", "k.elf", "--technique", "trap-and-emulate", "--host-memory", "12M"]) as { hostMemoryBytes?: number }).hostMemoryBytes, 12 << 20);
    assert.equal(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--host-memory", "lots"]).message, "--host-memory must be a size such as 12M (whole 4 KiB pages, 4K to 4G), not 'lots'");
    assert.match(usageError(["run", "k.elf", "--host-memory", "12M"]).message, /^--host-memory is the memory a VMM shares between itself and its guest: it needs a VMM --technique/);
  });

  it("parses --host-swap SIZE, with --host-memory only, and refuses it with --config", () => {
    assert.equal((parseArgs(["run", "k.elf", "--technique", "hardware-assisted", "--host-memory", "9M", "--host-swap", "4M"]) as { hostSwapBytes?: number }).hostSwapBytes, 4 << 20);
    assert.equal(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--host-memory", "9M", "--host-swap", "some"]).message, "--host-swap must be a size such as 4M (whole 4 KiB pages, 4K to 4G), not 'some'");
    assert.equal(usageError(["run", "k.elf", "--technique", "trap-and-emulate", "--host-swap", "4M"]).message, "--host-swap is where the VMM pages guest memory out when host memory runs out: it needs --host-memory");
    assert.match(usageError(["run", "--config", "l.json", "--host-swap", "4M"]).message, /^--host-swap cannot be combined with --config/);
  });

  it("parses --icount-shift N (0 to 10, as QEMU's -icount shift=N) under any technique, not with --record", () => {
    const shift = (...more: string[]) => (parseArgs(["run", "k.elf", ...more]) as { icountShift?: number }).icountShift;
    assert.equal(shift("--icount-shift", "6"), 6);
    assert.equal(shift("--icount-shift=0", "--technique", "trap-and-emulate"), 0);
    assert.equal(shift("--icount-shift", "10", "--technique", "hardware-assisted"), 10);
    assert.equal(usageError(["run", "k.elf", "--icount-shift", "11"]).message, "--icount-shift needs a whole number from 0 to 10, as QEMU's -icount shift=N, not '11'");
    assert.equal(usageError(["run", "k.elf", "--icount-shift", "-1"]).message, "--icount-shift needs a whole number from 0 to 10, as QEMU's -icount shift=N, not '-1'");
    assert.equal(usageError(["run", "k.elf", "--icount-shift=2.5"]).message, "--icount-shift needs a whole number from 0 to 10, as QEMU's -icount shift=N, not '2.5'");
    assert.match(usageError(["run", "k.elf", "--icount-shift", "6", "--record", "r.json"]).message, /^--record cannot be combined with --icount-shift/);
  });

  it("parses --non-trapping-sensitive as a list, only with a technique it applies to", () => {
    const run = (...more: string[]) => parseArgs(["run", "g.S", "--technique", "binary-translation", ...more]) as { nonTrappingSensitive: string[] };
    assert.deepEqual(run("--non-trapping-sensitive", "sstatus-read,sstatus-write").nonTrappingSensitive, ["sstatus-read", "sstatus-write"]);
    assert.deepEqual(run("--non-trapping-sensitive=sstatus-write,sstatus-write").nonTrappingSensitive, ["sstatus-write"]);
    assert.deepEqual(run().nonTrappingSensitive, []);
    assert.equal(usageError(["run", "g.S", "--technique", "trap-and-emulate", "--non-trapping-sensitive", "sstatus-read,popf"]).message,
      "--non-trapping-sensitive takes a comma-separated list of sstatus-read, sstatus-write, not 'popf'");
    for (const t of ["native", "hardware-assisted"]) {
      assert.match(usageError(["run", "g.S", "--technique", t, "--non-trapping-sensitive", "sstatus-read"]).message,
        new RegExp(`^--non-trapping-sensitive only applies under technique "trap-and-emulate" or "binary-translation".*technique is "${t}"$`));
    }
  });

  it("parses --record and replay; --record does not go with --gdb", () => {
    assert.equal((parseArgs(["run", "g.S", "--record", "r.json"]) as { record?: string }).record, "r.json");
    assert.match(usageError(["run", "g.S", "--record", "r.json", "--gdb", "tcp::1234"]).message, /^--record cannot be combined with --gdb/);
    assert.match(usageError(["run", "g.S", "--record", "r.json", "--disk", "fs.img,snapshot"]).message, /^--record cannot be combined with --disk yet/);
    assert.deepEqual(parseArgs(["replay", "r.json", "--program=g.elf", "--exits"]), { kind: "replay", record: "r.json", program: "g.elf", traceTraps: false, exits: true });
    assert.equal(usageError(["replay"]).message, "'replay' needs a record: a file that 'hyperstep run --record' wrote");
    assert.equal(usageError(["replay", "a.json", "b.json"]).message, "'replay' takes one record, but got 'a.json' and 'b.json'");
    assert.equal(usageError(["replay", "a.json", "--technique", "native"]).message, "unknown option '--technique' for 'replay'");
  });

  it("recognises help and version", () => {
    assert.deepEqual(parseArgs([]), { kind: "help" });
    assert.deepEqual(parseArgs(["--help"]), { kind: "help" });
    assert.deepEqual(parseArgs(["help"]), { kind: "help" });
    assert.deepEqual(parseArgs(["help", "run"]), { kind: "help", topic: "run" });
    assert.deepEqual(parseArgs(["run", "--help"]), { kind: "help", topic: "run" });
    assert.deepEqual(parseArgs(["--version"]), { kind: "version" });
  });

  it("rejects nonsense memory sizes, naming the flag and the value", () => {
    for (const bad of ["lots", "0", "12X", "-5M", "1.5G", "5G", "100"]) {
      assert.match(usageError(["run", "g.elf", "--memory", bad]).message, new RegExp(`^--memory must be a size such as 128M.*not '${bad.replace(".", "\\.")}'$`));
    }
  });

  it("rejects bad counts and timeouts", () => {
    assert.match(usageError(["run", "g.elf", "--max-instructions", "0"]).message, /^--max-instructions needs a whole number of instructions \(1 or more\), not '0'/);
    assert.match(usageError(["run", "g.elf", "--max-instructions", "1e6"]).message, /not '1e6'/);
    assert.match(usageError(["run", "g.elf", "--timeout", "soon"]).message, /^--timeout needs a number of seconds greater than 0.*not 'soon'/);
    assert.match(usageError(["run", "g.elf", "--timeout", "0"]).message, /not '0'/);
  });

  it("rejects missing values, unknown options and stray arguments", () => {
    assert.equal(usageError(["run", "g.elf", "--memory"]).message, "--memory needs a value");
    assert.equal(usageError(["run", "g.elf", "--fast"]).message, "unknown option '--fast' for 'run'");
    assert.equal(usageError(["run", "a.elf", "b.elf"]).message, "'run' takes one program, but got 'a.elf' and 'b.elf'");
    assert.equal(usageError(["run"]).message, "'run' needs a program (an ELF file, a .S or a .c file) or --config launch.json");
    assert.equal(usageError(["run", "g.elf", "--trace-traps=yes"]).message, "--trace-traps takes no value");
    assert.equal(usageError(["fly"]).message, "unknown command 'fly'; the commands are: run, replay, asm, compare");
    assert.equal(usageError(["--verbose"]).message, "unknown option '--verbose'");
    assert.equal(usageError(["run", "g.elf", "--fast"]).command, "run");
  });
});
