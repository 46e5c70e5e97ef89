import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "../../..");

/** Lists the entries of a zip file from its central directory. */
function zipEntries(zip: Buffer): string[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "VSIX is not a zip file");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, "corrupt central directory");
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

test("npm run package builds a lean VSIX with only what users need", { timeout: 180_000 }, () => {
  // Exactly the command users and the README run, so the flags cannot drift apart.
  execFileSync("npm", ["run", "--silent", "package"], { cwd: root, stdio: "pipe" });
  const out = path.join(root, "hyperstep.vsix");
  const zip = readFileSync(out);
  assert.ok(zip.length < 2 * 1024 * 1024, `VSIX is ${zip.length} bytes; the budget is 2 MB`);

  const files = zipEntries(zip).filter((n) => n.startsWith("extension/")).map((n) => n.slice("extension/".length));
  for (const required of ["package.json", "readme.md", "LICENSE.txt", "images/icon.png", "images/vm-exits.svg", "media/glossary.md", "dist/extension.js", "dist/assembler_worker.js", "dist/hyperstep-dap.js", "dist/hyperstep.js", "dist/hyperstep-cli.js", "syntaxes/riscv-asm.tmLanguage.json", "syntaxes/language-configuration.json"]) {
    assert.ok(files.some((f) => f.toLowerCase() === required.toLowerCase()), `VSIX lacks ${required}; it has ${files.join(", ")}`);
  }
  assert.ok(files.some((f) => f.startsWith("sample-guests/")), "VSIX lacks the sample guests");
  for (const webview of ["page_tables.js", "page_tables.css", "exits.js", "exits.css"]) {
    assert.ok(files.includes(`dist/webview/${webview}`), `VSIX lacks the panels' dist/webview/${webview}`);
  }
  // The extension's page in VS Code shows readme.md from the installed folder: every picture it links must ship.
  const pictures = [...readFileSync(path.join(root, "README.md"), "utf8").matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  assert.ok(pictures.length > 0, "the README shows pictures");
  for (const picture of pictures) {
    assert.ok(!/^[a-z]+:/i.test(picture), `${picture}: a picture from the web does not show offline; ship it`);
    assert.ok(files.includes(picture), `VSIX lacks ${picture}, which its README shows`);
  }
  const allowed = /^(package\.json|readme\.md|license(\.txt)?|images\/(icon\.png|vm-exits\.svg)|docs\/[a-z0-9_-]+\.png|media\/[a-z_]+\.md|dist\/(extension|assembler_worker|hyperstep-dap|hyperstep|hyperstep-cli)\.js|dist\/webview\/[a-z_]+\.(js|css)|syntaxes\/[^/]+\.json|sample-guests\/.+)$/i;
  const unexpected = files.filter((f) => !allowed.test(f));
  assert.deepEqual(unexpected, [], "VSIX contains files that should stay out (sources, tests, node_modules, maps)");
});
