import { parseMemorySize } from "../target/target_options";
import { pageRuns, type BalloonStatus } from "../target/balloon";
import type { Target } from "../target/target";
import { ExprError } from "./expressions";

/**
 * The Debug Console's `balloon [SIZE]`: the host's side of the guest's virtio-balloon. SIZE is the
 * balloon's target size, as ESX's balloon target is (not QEMU's monitor `balloon N`, which names the
 * guest's memory left): whole 4 KiB pages, and `num_pages` is SIZE / 4 KiB.
 */
export const BALLOON_HELP = `  balloon [VM] [SIZE]  the guest's virtio-balloon: its target, what the driver says it holds (actual), the guest
                         pages in it and, under a VMM, the host frames they gave back; with SIZE (256K, 1M, 0),
                         a new target for the balloon's size: num_pages = SIZE / 4 KiB, and a configuration-change
                         interrupt tells the driver when the guest runs. With several VMs, VM names the VM
                         (the selected thread's when absent)
`;

const PAGE = 4096;
const NO_BALLOON = "there is no balloon: the launch attribute \"balloon\": true (CLI --balloon) puts a virtio-balloon in virtio-mmio slot 6";

const kib = (pages: number) => `${((pages * PAGE) / 1024).toLocaleString("en-US")} KiB`;
const counted = (pages: number, unit = "page") => `${pages.toLocaleString("en-US")} ${unit}${pages === 1 ? "" : "s"} (${kib(pages)})`;
const hex = (n: number) => `0x${n.toString(16)}`;

/** The pages in the balloon as GPA runs, at most `shown` of them. */
export function balloonRunsText(pages: readonly number[], shown = 8): string {
  const runs = pageRuns(pages);
  const text = runs.slice(0, shown).map(([gpa, n]) => (n === 1 ? hex(gpa) : `${hex(gpa)}–${hex(gpa + n * PAGE - 1)}`));
  return `${text.join(", ")}${runs.length > shown ? `, … (${runs.length - shown} more runs)` : ""}`;
}

function statusLines(s: BalloonStatus): string[] {
  const lines = [
    `balloon target ${counted(s.targetPages)}; the driver says it holds ${counted(s.actual)} (actual)`,
    `guest pages in the balloon: ${s.pages.length.toLocaleString("en-US")}${s.pages.length ? `, GPA ${balloonRunsText(s.pages)}` : ""}`,
  ];
  if (!s.vmm) return [...lines, "natively there is no VMM: the pages stay in RAM, only the device records them"];
  const { framesFreed, unbacked } = s.vmm;
  return [...lines, `host frames freed by inflated pages: ${counted(framesFreed, "frame")}${unbacked ? `; ${unbacked} inflated page${unbacked === 1 ? " was" : "s were"} never backed` : ""}`];
}

export function balloonCommand(text: string, target: Target): string {
  // With several VMs, `balloon VM [SIZE]` names the VM; without a name, the selected thread's.
  const [first, ...more] = text.split(/\s+/);
  const vm = target.vmNames?.includes(first) ? first : undefined;
  if (target.vmNames && !vm && more.length > 0) throw new ExprError(`balloon: '${first}' is not a VM: the VMs are ${target.vmNames.join(", ")}`);
  const rest = vm ? more.join(" ") : text;
  const balloon = vm ? target.balloonOf?.(vm) : target.balloon;
  if (!balloon) return vm ? `VM ${vm} has no balloon: give its entry in "vms" "balloon": true` : NO_BALLOON;
  if (rest === "") return statusLines(balloon.status()).join("\n");
  const bytes = rest === "0" ? 0 : parseMemorySize(rest);
  if (bytes === undefined || bytes > balloon.ramBytes) {
    throw new ExprError(`balloon: '${rest}' is not a balloon size: give the balloon's target size in whole 4 KiB pages, such as 256K or 1M, at most the guest's RAM (${kib(balloon.ramBytes / PAGE)}), or 0 to give every page back`);
  }
  const pages = bytes / PAGE;
  const before = balloon.status().targetPages;
  balloon.setTarget(pages);
  const told = pages === before ? "the same target as before: no interrupt" : "the driver hears of it by a configuration-change interrupt when the guest runs";
  return [`balloon target set to ${counted(pages)} (num_pages ${pages}): ${told}`, ...statusLines(balloon.status()).slice(1)].join("\n");
}
