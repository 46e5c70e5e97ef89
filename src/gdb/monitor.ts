import { Disassembler } from "../debug/disassembly";
import { ExprError, stateValues, type ExprEnv } from "../debug/expressions";
import { LineMap } from "../debug/line_table";
import { HELP, Repl } from "../debug/repl";
import { SymbolTable } from "../debug/symbols";
import type { Target } from "../target/target";

/**
 * `monitor …` (qRcmd): Hyperstep's Debug Console commands, computed by the same Repl, so that a GDB
 * user gets the views GDB has no command for (`monitor exits`, `monitor stats`, `monitor walk2 ADDR`,
 * `monitor shadow ADDR`, `monitor walk VA`, `monitor info tlb` …) exactly as VS Code shows them.
 */
export class Monitor {
  private readonly repl = new Repl();
  private readonly symbols: SymbolTable;
  private readonly disasm: Disassembler;

  constructor(private readonly target: Target) {
    this.symbols = new SymbolTable(target.symbols);
    this.disasm = new Disassembler(target, this.symbols, new LineMap(target.lineTable));
  }

  /** The command's output, ending in a newline, or the error it gave. */
  run(command: string): string {
    if (/^\s*(help|\?)?\s*$/.test(command)) return `monitor runs Hyperstep's Debug Console commands.\n${HELP}`;
    try {
      const text = this.repl.run(command, { target: this.target, env: this.env(), symbols: this.symbols, disasm: this.disasm }).result;
      return text.endsWith("\n") ? text : text + "\n";
    } catch (e) {
      if (e instanceof ExprError) return `error: ${e.message}\n`;
      throw e;
    }
  }

  private env(): ExprEnv {
    return { target: this.target, symbols: this.symbols, convenience: stateValues(this.target) };
  }
}
