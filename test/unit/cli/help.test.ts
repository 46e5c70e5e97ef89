import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COMMANDS, UsageError, parseArgs, type CommandName } from "../../../src/cli/args";
import { helpText } from "../../../src/cli/help";
import { GUEST_BOOTS } from "../../../src/target/target_options";
import { AVAILABLE_TECHNIQUES, TECHNIQUES, techniqueEntry } from "../../../src/target/techniques";

/** The options a help page names in its Options section. */
function optionsInHelp(command: CommandName): Set<string> {
  const section = helpText(command).split("\nOptions:\n")[1].split("\n\n")[0];
  return new Set([...section.matchAll(/^ {2}(-.*?)(?: {2,}|$)/gm)].flatMap((m) => m[1].match(/--?[a-z][a-z-]*/g) ?? []));
}

/** Whether `command` accepts `flag` (whatever it then says about its value or the missing operands). */
function accepts(command: CommandName, flag: string): boolean {
  try {
    parseArgs([command, "guest.S", flag]);
    return true;
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return !e.message.startsWith("unknown option");
  }
}

/** Every word that looks like an option in any help page. */
const everyFlag = [...new Set([undefined, ...COMMANDS].flatMap((c) => helpText(c).match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? []))];

describe("hyperstep help, written from the parser's own table", () => {
  for (const command of COMMANDS) {
    it(`'help ${command}' lists exactly the options '${command}' accepts`, () => {
      const listed = optionsInHelp(command);
      assert.ok(listed.size >= 3, `found ${[...listed]}`);
      for (const flag of everyFlag) {
        assert.equal(accepts(command, flag), listed.has(flag), `${command} ${flag}: ${listed.has(flag) ? "listed but rejected" : "accepted but not listed"}`);
      }
      for (const flag of listed) assert.ok(everyFlag.includes(flag));
    });
  }

  it("lists the techniques that run today, with their descriptions from techniques.ts, and the boots", () => {
    const run = helpText("run");
    const flat = run.replace(/\s+/g, " ");
    for (const id of AVAILABLE_TECHNIQUES) {
      assert.match(run, new RegExp(`^ +${id} +\\S`, "m"), id);
      assert.ok(flat.includes(techniqueEntry(id).description), `${id}'s description`);
      assert.doesNotThrow(() => parseArgs(["run", "g.S", "--technique", id, ...(id === "native" ? [] : ["--exits"])]));
    }
    for (const t of TECHNIQUES.filter((x) => !AVAILABLE_TECHNIQUES.includes(x.id))) {
      assert.ok(!run.includes(t.id), `${t.id} does not run yet`);
      assert.throws(() => parseArgs(["run", "g.S", "--technique", t.id]), /--technique must be one of/);
    }
    assert.ok(helpText("compare").replace(/\s+/g, " ").includes(`(${AVAILABLE_TECHNIQUES.join(", ")})`));
    for (const boot of GUEST_BOOTS) {
      for (const command of ["run", "compare"] as const) assert.match(helpText(command), new RegExp(`^ +${boot} +\\S`, "m"), `${command} --boot ${boot}`);
    }
  });

  it("lists every command in the general help, and nothing wider than 100 columns anywhere", () => {
    const general = helpText();
    for (const command of COMMANDS) {
      assert.match(general, new RegExp(`^ {2}${command} <[^>]+> +\\S`, "m"));
      assert.ok(general.replace(/\s+/g, " ").includes(`see 'hyperstep help ${command}'`));
    }
    for (const page of [general, ...COMMANDS.map((c) => helpText(c))]) {
      for (const line of page.split("\n")) assert.ok(line.length <= 100, line);
    }
  });
});
