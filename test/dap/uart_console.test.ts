import { test } from "node:test";
import assert from "node:assert/strict";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { guest, launch, lineOf, stopAfter, topFrame, withClient } from "../support/dap";

/** An S-mode kernel that sleeps in WFI and reads keys when the UART interrupts it through the PLIC, as xv6's console does. */
const CONSOLE = guest("uart_console.S");
const T = { threadId: 1 };

/** The guest's UART output so far, and a wait for it to end with some text. */
function uartOutput(dc: DebugClient): { text: () => string; until: (tail: string) => Promise<void> } {
  let text = "";
  dc.on("output", (e) => {
    if (e.body.category === "stdout") text += e.body.output;
  });
  const until = async (tail: string) => {
    const deadline = Date.now() + 8_000;
    while (!text.endsWith(tail)) {
      assert.ok(Date.now() < deadline, `UART output ${JSON.stringify(text)} never ended with ${JSON.stringify(tail)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { text: () => text, until };
}

for (const technique of ["native", "trap-and-emulate", "hardware-assisted", "binary-translation"]) {
  test(`typed keys interrupt an S-mode kernel sleeping in WFI, which echoes them (${technique})`, async () => {
    await withClient(async (dc) => {
      const uart = uartOutput(dc);
      await launch(dc, CONSOLE, { technique });
      await dc.continueRequest(T);
      await uart.until("$ ");
      await dc.customRequest("hyperstep/uartInput", { text: "ls\r" });
      await uart.until("$ ls\r\n$ ");
      // Back asleep until the next key.
      await stopAfter(dc, () => dc.pauseRequest(T));
      assert.equal((await topFrame(dc)).line, lineOf(CONSOLE, "asleep"));
      await dc.continueRequest(T);
      const exited = dc.waitForEvent("exited");
      await dc.customRequest("hyperstep/uartInput", { text: "q" });
      assert.equal((await exited).body.exitCode, 0);
      assert.equal(uart.text(), "$ ls\r\n$ ");
    });
  });
}
