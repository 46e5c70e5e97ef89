/**
 * The worker thread the editor's assemblies run in (started by assembler_client.ts): one request in,
 * one assembly out, within the request's time limit. Included files are read from disk here, except the ones open with unsaved changes,
 * whose text comes with the request.
 */
import { parentPort } from "node:worker_threads";
import { readSourceFile } from "../target/program_file";
import type { WorkerAnswer, WorkerRequest } from "./assembler_client";
import { assembleForEditor } from "./diagnostics";

const port = parentPort!;
port.on("message", (r: WorkerRequest) => {
  const assembly = assembleForEditor(r.fileName, r.text, (p) => r.unsaved.get(p) ?? readSourceFile(p), { timeLimitMs: r.timeLimitMs });
  port.postMessage({ id: r.id, assembly } satisfies WorkerAnswer);
});
port.postMessage({ ready: true } satisfies WorkerAnswer);
