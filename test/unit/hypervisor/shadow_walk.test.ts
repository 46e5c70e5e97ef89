import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import type { ExitReason } from "../../../src/hypervisor/exits";
import { PTE_R, PTE_W } from "../../../src/hypervisor/mm/shadow_paging";
import { createTarget } from "../../../src/target/create_target";
import type { AddressWalk } from "../../../src/target/target";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, loadGuest } from "./equivalence";

/**
 * What the hart does with a guest access under shadow paging, told by the target from the hart's own
 * walk of the shadow it will run the guest on, and the Page Tables' comparison from what the VMM
 * knows of its shadow entries: on the shadow-paging lesson (address spaces A and B, a PTE edit
 * without, then with, sfence.vma).
 */
const program = loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S"));
const symbol = (name: string) => program.symbols.find((s) => s.name === name)!.address;

function target(): VmTarget {
  const c = createTarget(program, { technique: "trap-and-emulate", memoryBytes: 16 << 20 });
  assert.ok(c.ok && c.target instanceof VmTarget);
  return c.target;
}

/** Runs to the n-th exit of `reason` that `when` accepts (the exit breakpoint of the lesson). */
function atExit(reason: ExitReason, n = 1, when: (details: Record<string, unknown>) => boolean = () => true): VmTarget {
  const t = target();
  t.setExitFilter((e) => e.reason === reason && when(e.details as Record<string, unknown>));
  for (let i = 0; i < n; i++) assert.equal(t.run(10_000_000).kind, "trap");
  t.setExitFilter(undefined);
  return t;
}

function walked(t: VmTarget, gva: bigint, access: "r" | "w" = "r"): AddressWalk {
  const w = t.walkAddress(gva, access);
  assert.ok(typeof w !== "string", String(w));
  return w;
}

const hpaOf = (t: VmTarget, name: string) => t.vm.p2m.toHpa(Number(symbol(name)));

describe("the walk under trap-and-emulate says what the hart would do", () => {
  it("at the guest page-table write: stale, the hart still uses page_a's HPA while the guest's table says page_c", () => {
    const t = atExit("guest-pt-write");
    const w = walked(t, 0x4000_0000n);
    assert.deepEqual(w.parts.map((p) => p.by), ["guest", "hart"]);
    assert.match(w.parts[0].end, new RegExp(`^gpa 0x${symbol("page_c").toString(16)} = hpa 0x${hpaOf(t, "page_c").toString(16)} \\(p2m\\)$`));
    assert.equal(w.parts[1].end, `hpa 0x${hpaOf(t, "page_a").toString(16)}`, "the hart's own walk of the shadow");
    assert.deepEqual([w.result.kind, w.result.addr], ["stale", BigInt(hpaOf(t, "page_a"))]);
    assert.equal(w.result.text, `stale: the hart still uses hpa 0x${hpaOf(t, "page_a").toString(16)}, although the guest's table now says gpa 0x${symbol("page_c").toString(16)} = hpa 0x${hpaOf(t, "page_c").toString(16)}, until the guest's sfence.vma`);
    assert.equal(w.references, 3, "the hart reads the shadow's PTEs only");
    assert.ok(w.parts[1].steps.every((s) => s.tree === "shadow:sv39 root=0x" + symbol("root_a").toString(16) + " asid=1 S" && s.space === "hpa"));
  });

  it("after the sfence.vma drops the stale entry: a hidden page fault, which the VMM fills from the guest's table", () => {
    const t = atExit("sfence");
    const w = walked(t, 0x4000_0000n);
    assert.equal(w.result.kind, "hidden-fault");
    assert.match(w.result.text, new RegExp(`^hidden page fault: the shadow has no entry yet; the VMM fills it from the guest's table \\(gpa 0x${symbol("page_c").toString(16)} → hpa 0x[0-9a-f]+\\) and the guest retries$`));
    assert.match(w.parts[1].end, /^load page fault \(cause 13\): the level-0 PTE at hpa 0x[0-9a-f]+ is not valid \(V = 0\)$/);
  });

  it("a store to a write-protected guest page table is a guest-pt-write exit, not a hidden fault", () => {
    const t = atExit("guest-pt-write");
    const w = walked(t, symbol("l0_a"), "w");
    assert.equal(w.result.kind, "exit");
    assert.match(w.result.text, /^guest-pt-write exit: gpa 0x[0-9a-f]+ holds a guest page table, write-protected in every shadow/);
  });

  it("the UART's region is an emulated device: never shadowed, every access exits", () => {
    const t = atExit("guest-pt-write");
    assert.deepEqual(walked(t, 0x1000_0000n).result, { kind: "device", text: "emulated device (uart): never shadowed, every access exits (mmio-read)" });
    assert.match(walked(t, 0x1000_0005n, "w").result.text, /\(mmio-write\)$/);
    assert.match(walked(t, 0x3000_0000n).result.text, /^nothing at gpa 0x30000000: the VMM reflects a load access fault \(cause 5\) to the guest$/);
  });
});

describe("a device's write into a guest page table (DMA) under trap-and-emulate", () => {
  it("stales the shadow entries derived from it, as the guest's own store would, until its sfence.vma", () => {
    const t = atExit("guest-pt-write");
    const before = t.translate(0x8000_0000n, "r");
    assert.ok(before.ok);
    const leaf = before.steps.at(-1)!;
    const keyA = `shadow:sv39 root=0x${symbol("root_a").toString(16)} asid=1 S`;
    const status = () => t.shadowMarks(t.pageTableTrees(1 << 16).trees).find((m) => m.tree === keyA && m.va === 0x8000_0000n)!.status;
    assert.equal(status(), "same");
    const pte = new Uint8Array(8);
    new DataView(pte.buffer).setBigUint64(0, leaf.pte, true);
    t.vm.devices.dma.write(Number(leaf.pteAddr), pte);
    assert.equal(status(), "stale", "the same bytes, but the VMM cannot know: the entry waits for the guest's sfence.vma");
  });
});

describe("the Page Tables under trap-and-emulate", () => {
  it("after `csrw satp` to B: the shadow side is B's root, made empty and active, and nothing is falsely stale", () => {
    const t = atExit("csr-write", 2, (d) => d.csr === "satp");
    assert.equal((t.readCsr("satp")! >> 44n) & 0xffffn, 2n, "the guest is in address space B");
    const keyB = `shadow:sv39 root=0x${symbol("root_b").toString(16)} asid=2 S`;
    const set = t.pageTableTrees(1 << 16);
    const shadows = set.trees.filter((x) => x.kind === "shadow");
    assert.deepEqual(shadows.filter((x) => x.active).map((x) => x.id), [keyB], "B's root is the one the next entry runs on");
    assert.deepEqual(shadows.find((x) => x.id === keyB)!.root.entries, [], "and it is still empty");
    assert.equal(set.trees[0].root.addr, symbol("root_b"));
    const marks = t.shadowMarks(set.trees);
    assert.deepEqual(marks.filter((m) => m.status === "stale"), []);
    assert.deepEqual(marks.filter((m) => m.tree === "guest").map((m) => [m.va, m.status]), [[0n, "device"], [0x4000_0000n, "missing"], [0x8000_0000n, "missing"]]);
  });

  it("marks the stale entry and the guest leaves against the active root, the UART's gigapage a device", () => {
    const t = atExit("guest-pt-write");
    const set = t.pageTableTrees(1 << 16);
    const keyA = `shadow:sv39 root=0x${symbol("root_a").toString(16)} asid=1 S`;
    const marks = t.shadowMarks(set.trees);
    const of = (tree: string) => marks.filter((m) => m.tree === tree).map((m) => [m.va, m.status]);
    assert.deepEqual(of(keyA), [[0x8000_0000n, "same"], [0x4000_0000n, "stale"]]);
    assert.match(marks.find((m) => m.tree === keyA && m.status === "stale")!.note, new RegExp(`the hart still uses hpa 0x${hpaOf(t, "page_a").toString(16)} until the guest's sfence.vma`));
    assert.deepEqual(of("guest"), [[0n, "device"], [0x4000_0000n, "shadowed"], [0x8000_0000n, "shadowed"]]);
    assert.equal(marks.find((m) => m.tree === "guest" && m.va === 0n)!.note, "emulated devices (uart, clint, plic, finisher, virtio0–7): never shadowed, every access exits");
  });

  it("marks an entry without the W its guest PTE grants: a write-protected page-table page", () => {
    const t = atExit("guest-pt-write");
    const vm = t.vm;
    const root = vm.currentRoot();
    const page = Number(symbol("l0_a"));
    // As a hidden fault on a read of l0_a through root_a's RAM gigapage would install it.
    const e = vm.shadow.install(root, page / 4096, page / 4096, vm.p2m.toHpa(page) / 4096, PTE_R | PTE_W, [Number(symbol("root_a")) + 16], 2, true);
    assert.equal(e.w, false);
    const mark = t.shadowMarks(t.pageTableTrees(1 << 16).trees).find((m) => m.tree === `shadow:${root.key}` && m.va === BigInt(page))!;
    assert.equal(mark.status, "permissions");
    assert.equal(mark.note, "guest VRWX-GAD, shadow VR--U-A-: a write-protected guest page-table page: a store exits as guest-pt-write");
  });
});
