import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { readGuestImage } from "../asm/guest_image";
import { createTarget } from "../hypervisor/create_target";
import type { Target } from "../hypervisor/target";
import { ConfigError, type LaunchConfig } from "./launch_config";

/**
 * Reads the launch configuration's program and builds the target it names. Every failure becomes a
 * ConfigError on `program`, so the user sees which file is wrong and why.
 */
export async function loadTarget(config: LaunchConfig, uartOut: (text: string) => void): Promise<Target> {
  const file = path.resolve(config.cwd ?? process.cwd(), config.program);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError("program", `cannot be read: ${err.code === "ENOENT" ? `no such file '${file}'` : err.message}`);
  }
  const image = readGuestImage(file, bytes);
  if (!image.ok) throw new ConfigError("program", `'${file}': ${image.error}`);
  const decoder = new TextDecoder();
  const created = createTarget(image.program, {
    technique: config.technique,
    memoryBytes: config.memoryBytes,
    uartOut: { write: (byte) => uartOut(decoder.decode(new Uint8Array([byte]), { stream: true })) },
  });
  if (!created.ok) throw new ConfigError("program", `'${file}': ${created.error}`);
  return created.target;
}
