import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
  {
    // The layers below the debugger must run in a browser and must not know about VS Code.
    files: ["src/machine/**", "src/isa/**", "src/asm/**", "src/hypervisor/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "vscode", "fs", "path", "child_process", "os"] }],
    },
  },
  {
    files: ["src/debug/**", "src/cli/**"],
    rules: { "no-restricted-imports": ["error", { patterns: ["vscode", "**/extension/**"] }] },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" } },
  },
);
