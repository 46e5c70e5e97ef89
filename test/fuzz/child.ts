/**
 * The child process of isolate.ts: runs one case at a time and replies with what the target saw and
 * the process's peak resident size. An exception from the code under test is a reply too (`thrown`);
 * anything worse ends the process, which the parent sees.
 */
import type { FuzzTarget } from "./target";
import { TARGETS, type TargetName } from "./targets";

process.on("message", async (m: { target: TargetName; input: never }) => {
  const startRss = process.memoryUsage.rss();
  try {
    const out = await (TARGETS[m.target] as FuzzTarget<unknown, unknown>).run(m.input);
    process.send!({ out, startRss, peakRss: process.resourceUsage().maxRSS * 1024 });
  } catch (e) {
    process.send!({ thrown: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
process.send!({ ready: true });
