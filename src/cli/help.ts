import { wrap } from "./wrap";
import { COMMANDS, COMMAND_SPECS, GENERAL_OPTIONS, type CommandName, type HelpBlock, type OptionSpec } from "./commands";

/** The help pages, written from the command table (commands.ts) that the argument parser reads. */

const WIDTH = 100;
/** Where an option's or a term's meaning starts. */
const MEANING_COLUMN = 29;

/** `hyperstep --help`, or `hyperstep help <command>`. */
export function helpText(topic?: CommandName): string {
  return (topic === undefined ? generalHelp() : commandHelp(topic)).join("\n") + "\n";
}

function generalHelp(): string[] {
  const commands: [string, string][] = [
    ...COMMANDS.map((name): [string, string] => [`${name} ${COMMAND_SPECS[name].usage.split(" ")[0]}`, `${COMMAND_SPECS[name].summary}; see 'hyperstep help ${name}'`]),
    ["help [command]", "show help"],
  ];
  const column = Math.max(...commands.map(([term]) => term.length)) + 4;
  return [
    "Usage: hyperstep <command> [options]",
    "",
    ...wrap("Runs RISC-V guests on Hyperstep's simulated machine (QEMU's 'virt' board: RV64IMAFDC, M/S/U, Sv39; the H extension with 'run --cpu rv64,h=true', no floating point with 'run --cpu rv64,f=false,d=false'). From a clone of the repository, after 'npm ci' and 'npm run build', run it as 'npx hyperstep'.", WIDTH),
    "",
    "Commands:",
    ...terms(commands, column),
    "",
    "Options:",
    ...options(GENERAL_OPTIONS, column),
  ];
}

function commandHelp(name: CommandName): string[] {
  const spec = COMMAND_SPECS[name];
  return [
    `Usage: hyperstep ${name} ${spec.usage}`,
    "",
    ...blocks(spec.about),
    "",
    "Options:",
    ...options(spec.options, MEANING_COLUMN),
    "",
    "Exit status:",
    ...block(spec.exitStatus),
    ...(spec.after ? ["", ...blocks(spec.after)] : []),
  ];
}

function blocks(list: readonly HelpBlock[]): string[] {
  return list.flatMap((b, i) => [...(i > 0 ? [""] : []), ...block(b)]);
}

function block(b: HelpBlock): string[] {
  return typeof b === "string" ? wrap(b, WIDTH) : terms(b, MEANING_COLUMN);
}

/** Each option with its names and value, its meaning beside it, then the values it accepts. */
function options(list: readonly OptionSpec[], column: number): string[] {
  return list.flatMap((o) => [
    ...terms([[`${o.names.join(", ")}${o.value ? ` ${o.value}` : ""}`, o.help]], column),
    ...choices(o, column + 2),
  ]);
}

/** An option's values, indented under it, their meanings aligned beside the longest. */
function choices(o: OptionSpec, indent: number): string[] {
  const list = o.choices ?? [];
  const column = indent + Math.max(0, ...list.map((c) => c.id.length)) + 2;
  return terms(list.map((c) => [c.id, c.description]), column, indent);
}

/** A term at `indent`, its meaning from `column` (on the next line when the term is too long). */
function terms(list: readonly (readonly [string, string])[], column: number, indent = 2): string[] {
  return list.flatMap(([term, meaning]) => {
    const head = " ".repeat(indent) + term;
    const body = wrap(meaning, WIDTH - column).map((l) => " ".repeat(column) + l);
    if (head.length < column - 1 && body.length > 0) return [head + body[0].slice(head.length), ...body.slice(1)];
    return [head, ...body];
  });
}
