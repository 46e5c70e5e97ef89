import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/*
 * The import directions of DESIGN.md ("Layout"): one block per folder of src/ below extension, which
 * has none. Arrows point downwards only:
 *
 *   extension ──► debug ──► target ──► hypervisor ──► machine ──► isa
 *       │         cli ──┘ (beside debug)                            ▲
 *       │         debug, cli ──► asm ───────────────────────────────┘
 *       │         cli ──► gdb ──► debug, target (the GDB stub: its monitor is the debug console)
 *       │         cli ──► debug/launch_config (run --config reads a launch configuration as F5 does)
 *       └───────► webview ──► isa, and the types of debug's custom requests
 *
 * - debug and cli drive guests through target only: they may import types from hypervisor and
 *   machine, never values, so a debugger that builds its own Vm or Board fails lint.
 * - extension may import anything; nothing imports it, and only it imports 'vscode'.
 * - isa, asm, machine, hypervisor and the panels also run in a browser: no Node built-ins.
 * Tests, bench and scripts stand outside the layers.
 */
const LAYERS = ["extension", "webview", "cli", "gdb", "debug", "target", "hypervisor", "machine", "asm", "isa"];

/**
 * An import that climbs out of its folder into one of `targets` (a layer, or one module of a layer),
 * but not into `except`. Only the climbing prefix is looked at: no subfolder of a layer is named
 * after a layer, so `../../machine/hart/trap` from src/hypervisor/mm/ is the machine.
 */
function reaching(targets, except = []) {
  const not = except.length ? `(?!(?:${except.join("|")})$)` : "";
  return `^(?:\\.\\./)+${not}(?:${targets.join("|")})(?:/|$)`;
}

const NODE_BUILTIN = `^(?:node:|(?:${builtinModules.join("|")})(?:/|$))`;

/**
 * One layer's block. `may`: the layers (or single modules of a layer) it imports freely. `typesOnly`: [layer or module, message]
 * pairs it may import types from, but no values. `instead`: what to do about any other layer.
 * `browser`: it also runs in a browser.
 */
function layer(name, { may = [], typesOnly = [], browser = false, instead }) {
  const typeTargets = typesOnly.map(([target]) => target);
  const banned = LAYERS.filter((l) => l !== name && !may.includes(l) && !typeTargets.includes(l));
  const modules = may.filter((m) => m.includes("/"));
  const patterns = [
    ...(banned.length ? [{ regex: reaching(banned, [...typeTargets, ...modules]), message: instead }] : []),
    ...typesOnly.map(([target, message]) => ({ regex: reaching([target]), allowTypeImports: true, message })),
    ...(browser
      ? [{ regex: NODE_BUILTIN, message: `src/${name} also runs in a browser: no Node built-ins. Do the I/O in src/debug, src/cli or src/extension and pass the result in.` }]
      : []),
  ];
  const paths = [{
    name: "vscode",
    message: "only src/extension imports 'vscode', so that the adapter and the CLI run outside VS Code too: do the VS Code part there and pass the result in.",
  }];
  return {
    name: `layers/${name}`,
    files: [`src/${name}/**`],
    rules: { "no-restricted-imports": ["error", { paths, patterns }] },
  };
}

const THROUGH_TARGET = (who) =>
  `${who} drives guests through src/target: import from there (re-export there what is missing). ` +
  "Only types may come from src/hypervisor and src/machine.";

export default tseslint.config(
  { ignores: ["dist/", "out/", "build/", "node_modules/", "test-results/", ".vscode-test/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  layer("isa", {
    browser: true,
    instead: "src/isa is the bottom layer and imports nothing of the project: the hart, the assembler and the editor all read it. Move what it needs into src/isa.",
  }),
  layer("asm", {
    may: ["isa"],
    browser: true,
    instead: "src/asm imports only src/isa: the assembler and disassembler know the ISA table, not the machine. Move what both need into src/isa.",
  }),
  layer("machine", {
    may: ["isa"],
    browser: true,
    instead: "src/machine imports only src/isa: the machine knows nothing of the hypervisor, the debugger or the assembler. Let the layer above pass in what it needs.",
  }),
  layer("hypervisor", {
    may: ["machine", "isa"],
    browser: true,
    instead: "src/hypervisor imports only src/machine and src/isa: the layers above drive the VMM, not the other way round. Export what they need from here.",
  }),
  layer("target", {
    may: ["hypervisor", "machine", "isa"],
    typesOnly: [["asm", "src/target takes a guest already loaded: import only types from src/asm; reading the ELF or assembling is the debugger's and the CLI's job."]],
    instead: "src/target imports only src/hypervisor, src/machine and src/isa: the debugger and the CLI drive it, not the other way round.",
  }),
  layer("debug", {
    may: ["target", "asm", "isa"],
    typesOnly: [["hypervisor", THROUGH_TARGET("debug")], ["machine", THROUGH_TARGET("debug")]],
    instead: "src/debug imports src/target, src/asm and src/isa: src/cli sits beside it and src/extension and the panels above it. Move shared code down into src/target.",
  }),
  {
    // The standalone adapter's entry point, like the extension's adapter factory, hands the session
    // its GDB server (launch attribute gdbServer); nothing in src/debug imports it.
    ...layer("debug", {
      may: ["gdb", "target", "asm", "isa"],
      typesOnly: [["hypervisor", THROUGH_TARGET("debug")], ["machine", THROUGH_TARGET("debug")]],
      instead: "src/debug/main.ts wires the adapter up: it may import src/gdb besides what src/debug imports.",
    }),
    name: "layers/debug-entry",
    files: ["src/debug/main.ts"],
  },
  layer("gdb", {
    may: ["debug", "target", "asm", "isa"],
    typesOnly: [["hypervisor", THROUGH_TARGET("the GDB stub")], ["machine", THROUGH_TARGET("the GDB stub")]],
    instead: "src/gdb imports src/debug (for the console's commands), src/target, src/asm and src/isa: src/cli starts it. Move shared code down into src/target.",
  }),
  layer("cli", {
    may: ["gdb", "target", "asm", "isa", "debug/launch_config"],
    typesOnly: [["hypervisor", THROUGH_TARGET("the CLI")], ["machine", THROUGH_TARGET("the CLI")]],
    instead: "src/cli imports src/gdb, src/target, src/asm and src/isa: src/debug sits beside it and src/extension and the panels above it. Move shared code down into src/target.",
  }),
  layer("webview", {
    may: ["isa"],
    typesOnly: [["debug/custom_requests", "the panels get their data through DAP custom requests: import only the types of their bodies, from src/debug/custom_requests."]],
    browser: true,
    instead: "the panels are bundled for the browser and talk to the adapter through DAP custom requests: import src/webview, src/isa and the types of src/debug/custom_requests only.",
  }),
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" } },
  },
);
