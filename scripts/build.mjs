// Bundles the three programs Hyperstep ships: the extension (with the worker thread its editor's
// assemblies run in), the standalone debug adapter and the CLI, and the panels' webview scripts and styles.
// `--watch` rebuilds on change; `--minify` is used for the VSIX.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const minify = process.argv.includes("--minify");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: !minify,
  minify,
  logLevel: "info",
};

const builds = [
  { ...common, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js", external: ["vscode"] },
  { ...common, entryPoints: ["src/extension/assembler_worker.ts"], outfile: "dist/assembler_worker.js" },
  { ...common, entryPoints: ["src/debug/main.ts"], outfile: "dist/hyperstep-dap.js", banner: { js: "#!/usr/bin/env node" } },
  // `hyperstep` is a small launcher that runs the CLI bundle through V8's code cache (src/cli/launcher.ts).
  // Every run reads the CLI bundle's whole text before its first instruction, so it is always minified
  // (934 KB → 531 KB); its source map still maps a stack trace back.
  { ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/hyperstep-cli.js", minify: true },
  { ...common, entryPoints: ["src/cli/launcher.ts"], outfile: "dist/hyperstep.js", banner: { js: "#!/usr/bin/env node" }, sourcemap: false },
  // The panels' webviews run in the browser: one script and one stylesheet each, no source maps in the VSIX.
  {
    ...common,
    platform: "browser",
    target: "chrome120",
    format: "iife",
    sourcemap: false,
    entryPoints: [
      { in: "src/webview/page_tables/main.ts", out: "page_tables" },
      { in: "src/webview/page_tables/page_tables.css", out: "page_tables" },
      { in: "src/webview/exits/main.ts", out: "exits" },
      { in: "src/webview/exits/exits.css", out: "exits" },
      { in: "src/webview/memory/main.ts", out: "memory" },
      { in: "src/webview/memory/memory.css", out: "memory" },
      { in: "src/webview/translation_cache/main.ts", out: "translation_cache" },
      { in: "src/webview/translation_cache/translation_cache.css", out: "translation_cache" },
    ],
    outdir: "dist/webview",
    minify: true,
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
