/** Where the corpus lives and how it is built (by scripts/build-guests.mjs, the single build recipe). */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateFpStream } from "./random_fp_stream";
import { generateStream } from "./random_stream";

export const ROOT = resolve(__dirname, "../..");
export const GUEST_SOURCES = join(ROOT, "test/fixtures/guests");
export const GUEST_BUILD = join(ROOT, "build/guests");
/** The H-extension corpus: each guest linked with its own start-up, crt_h.S. */
export const H_GUEST_SOURCES = join(ROOT, "test/fixtures/guests-h");
export const H_GUEST_BUILD = join(ROOT, "build/guests-h");

function buildScript(args: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build-guests.mjs"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building guests failed:\n${r.stdout}${r.stderr}`);
}

/** Builds whatever changed in the corpus and the benchmark. */
export function buildGuests(): void {
  buildScript([]);
}

/** The corpus guests' names (their .S files minus the shared start-up). */
export function corpusNames(): string[] {
  return readdirSync(GUEST_SOURCES).filter((f) => f.endsWith(".S") && f !== "crt.S").map((f) => f.slice(0, -2)).sort();
}

export const elfPath = (name: string) => join(GUEST_BUILD, `${name}.elf`);

/** The H corpus guests' names (their .S files minus the start-up). */
export function hCorpusNames(): string[] {
  return readdirSync(H_GUEST_SOURCES).filter((f) => f.endsWith(".S") && f !== "crt_h.S").map((f) => f.slice(0, -2)).sort();
}

export const hElfPath = (name: string) => join(H_GUEST_BUILD, `${name}.elf`);

/** Generates, assembles and links the random stream (`fp`: the F/D stream) for `seed`; returns the ELF's path. */
export function buildRandomGuest(seed: number, length: number, fp = false): string {
  const dir = join(GUEST_BUILD, "random");
  mkdirSync(dir, { recursive: true });
  const name = `${fp ? "fp-" : ""}seed-${seed}-${length}`;
  const src = join(dir, `${name}.S`);
  const elf = join(dir, `${name}.elf`);
  writeFileSync(src, (fp ? generateFpStream : generateStream)(seed, { length }));
  buildScript(["--one", src, elf]);
  return elf;
}
