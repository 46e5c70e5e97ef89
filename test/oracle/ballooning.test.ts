/**
 * The ballooning lesson's guest (sample-guests/ballooning) on QEMU's `virt` board with
 * `-device virtio-balloon-device,bus=virtio-mmio-bus.6`, driven from QEMU's monitor as the lesson's
 * README says: `balloon 3` (of 4 MiB, so a balloon of 1 MiB: 256 pages) once the driver waits, and
 * `balloon 4` (none) once it has inflated. Each command goes when the guest has printed that it is
 * ready for it, so the run does not depend on timing. Hyperstep under a VMM, driven the same way
 * with the same targets, must print what QEMU prints; natively only the zero count differs.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readGuestImage } from "../../src/asm/guest_image";
import { createTarget } from "../../src/target/create_target";
import { buildWithGcc, ROOT } from "../support/guests";
import { OracleMissingError, QEMU } from "./qemu";

const dir = mkdtempSync(join(tmpdir(), "hyperstep-ballooning-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let elf = "";
let qemu = "";

/** Polls the UART file until it holds `text`; fails after 30 s. */
async function printed(file: string, text: string): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 30_000;) {
    if (existsSync(file) && readFileSync(file, "latin1").includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`QEMU's guest never printed ${JSON.stringify(text)}: ${existsSync(file) ? readFileSync(file, "latin1") : "(nothing)"}`);
}

before(async () => {
  elf = buildWithGcc(join(ROOT, "sample-guests/ballooning/ballooning.S"), "sample-ballooning");
  const uart = join(dir, "uart.txt");
  const child = spawn(QEMU, [
    "-machine", "virt", "-m", "4M", "-display", "none", "-monitor", "stdio", "-serial", `file:${uart}`, "-bios", "none", "-kernel", elf,
    "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-balloon-device,bus=virtio-mmio-bus.6",
  ], { stdio: ["pipe", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (e) => reject((e as NodeJS.ErrnoException).code === "ENOENT" ? new OracleMissingError(QEMU, "qemu-system-misc") : e));
    child.on("exit", (code) => resolve(code));
  });
  try {
    await Promise.race([printed(uart, "waiting for the host\n"), exited]);
    child.stdin.write("balloon 3\n");
    await printed(uart, "the balloon holds 256 pages\n");
    child.stdin.write("balloon 4\n");
    assert.equal(await exited, 0, "the guest ends through the test finisher");
  } finally {
    child.kill();
  }
  qemu = readFileSync(uart, "latin1");
});

const OUTPUT = (zero: number) => [
  "touched 256 free pages (1024 KiB)",
  "balloon driver ready (virtio-mmio slot 6): waiting for the host",
  "target 256 pages: inflated 256, the balloon holds 256 pages",
  "target 0 pages: deflated 256, the balloon holds 0 pages",
  `256 pages back: ${zero} read as zero, 256 usable`,
  "the balloon is empty: done",
  "",
].join("\n");

test("QEMU: the driver inflates 256 pages, deflates them, and finds them zeroed", () => {
  assert.equal(qemu, OUTPUT(256));
});

for (const technique of ["trap-and-emulate", "hardware-assisted", "binary-translation", "native"] as const) {
  test(`Hyperstep ${technique}, with the same targets: ${technique === "native" ? "the same, but the pages keep what they held" : "what QEMU prints"}`, () => {
    const image = readGuestImage(elf, readFileSync(elf), () => undefined);
    assert.ok(image.ok, image.ok ? "" : image.error);
    const parsed = image.program;
    let output = "";
    const created = createTarget(parsed, { technique, memoryBytes: 4 << 20, balloon: true, historyBytes: 0, uartOut: { write: (b) => (output += String.fromCharCode(b)) } });
    assert.ok(created.ok, created.ok ? "" : created.error);
    const target = created.target;
    const at = (name: string) => parsed.symbols.find((s) => s.name === name)!.address;
    target.setBreakpoints([at("inflated")]);
    assert.equal(target.run(10_000_000).kind, "idle", "the driver waits for the host");
    target.balloon!.setTarget(256);
    assert.equal(target.run(10_000_000).kind, "breakpoint");
    target.setBreakpoints([]);
    target.balloon!.setTarget(0);
    assert.deepEqual(target.run(10_000_000), { kind: "halt", code: 0, how: "finisher" });
    assert.equal(output, technique === "native" ? OUTPUT(0) : qemu);
  });
}
