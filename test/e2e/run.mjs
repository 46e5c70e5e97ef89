#!/usr/bin/env node
// Runs the e2e suite inside a real VS Code, offline: code-server (VS Code 1.139 with its Node extension
// host) driven by Debian's headless Chromium through playwright-core. See /work/shared/VSCODE-TESTING.md.
//
//   node test/e2e/run.mjs [--timeout=SECONDS] [--keep]
//       builds the extension and test/e2e/suite, opens a temporary copy of sample-guests/ and runs the
//       suite; screenshots land in test-results/. The last line is `integration: N passed, N failed`.
//   run.mjs --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER]
//       the same, for a suite someone else built: this file then stands in for the VS Code executable
//       (@vscode/test-electron's runTests({ vscodeExecutablePath }) or @vscode/test-cli's
//       useInstallation.fromPath). VS Code flags it does not know are ignored.
//
// Tests ask for a screenshot by writing `<HYPERSTEP_E2E_SHOTS>/shot-<name>.request`; the runner saves
// test-results/<name>.png and answers with `shot-<name>.done`. They click in the workbench (webviews
// included, which the extension host cannot reach) by writing `click-<name>.request` holding a CSS
// selector; the runner clicks the first match in any frame and answers `click-<name>.done`, or
// `click-<name>.failed` with the reason; `rightclick-<name>.request` right-clicks the same way (a
// context menu). They type into whatever has the focus (a webview's input
// after a click) by writing `type-<name>.request` holding the text ("\n" presses Enter), and turn the
// mouse wheel over an element by writing `wheel-<name>.request` holding {"selector", "deltaY", "times"}.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setInterval } from "node:timers";
import { URLSearchParams } from "node:url";
import { format } from "node:util";

const root = path.resolve(import.meta.dirname, "../..");
const results = path.join(root, "test-results");
const RESULT_MARK = "[hyperstep-e2e] ";
/** The browser window the workbench runs in; a screenshot may ask for another size for itself. */
const VIEWPORT = { width: 1280, height: 800 };
/** Workbench chatter that says nothing about the tests, some of it from hosts an offline machine cannot reach. */
const NOISE = new RegExp([
  "^\\[(AgentHost|ChatModelSelection|AccountPolicyGate|Service Worker|reconnection-grace-time)",
  "^(Resolving|Resolved) connection token", "^Creating a socket", "^Creation of workbench contribution", "^Updating additional builtin extensions cache",
  "open-vsx\\.org", "vscode-sync|mobile\\.events\\.data\\.microsoft\\.com|dc\\.services\\.visualstudio\\.com", "vsda",
].join("|"));
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
];

const options = parseArgs(process.argv.slice(2));
const scratch = mkdtempSync(path.join(tmpdir(), "hyperstep-e2e-"));
let codeServer;
let browser;
let finished = false;

process.on("SIGINT", () => finish(130, { error: "interrupted" }));
process.on("SIGTERM", () => finish(143, { error: "terminated" }));
process.on("exit", killCodeServer);

// A guard against a hung VS Code, not a speed target: the suite takes about 2 minutes on a quiet
// machine, and much longer on a loaded one; each test has its own (mocha) timeout.
const timer = setTimeout(() => finish(1, { error: `timed out after ${options.timeoutSeconds} s`, screenshot: "timeout" }), options.timeoutSeconds * 1000);
main().catch((e) => finish(1, { error: e instanceof Error ? e.message : String(e) }));

function parseArgs(argv) {
  const o = { timeoutSeconds: 600, keep: false, extensionDevelopmentPath: undefined, extensionTestsPath: undefined, folder: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--extensionDevelopmentPath") o.extensionDevelopmentPath ??= path.resolve(value());
    else if (flag === "--extensionTestsPath") o.extensionTestsPath = path.resolve(value());
    else if (flag === "--timeout") o.timeoutSeconds = Number(value());
    else if (flag === "--keep") o.keep = true;
    else if (flag === "--help" || flag === "-h") {
      console.log("usage: node test/e2e/run.mjs [--timeout=SECONDS] [--keep]\n" +
        "       run.mjs --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER]");
      process.exit(0);
    } else if (!flag.startsWith("-")) o.folder = path.resolve(flag);
  }
  if (!(o.timeoutSeconds > 0)) {
    console.error("e2e: --timeout must be a positive number of seconds");
    process.exit(2);
  }
  return o;
}

/** Ends the run through finish(), which cleans up, via main()'s catch. */
function fail(message) {
  throw new Error(message);
}

function log(message) {
  console.error(`e2e: ${message}`);
}

async function main() {
  const started = Date.now();
  mkdirSync(results, { recursive: true });
  const { node, entry } = setUpVSCode();
  const chromium = findChromium();

  let { extensionDevelopmentPath, extensionTestsPath, folder } = options;
  if (!extensionTestsPath) {
    extensionDevelopmentPath ??= root;
    extensionTestsPath = await buildSuite();
    folder ??= copyWorkspace();
  }
  if (!extensionDevelopmentPath) fail("--extensionTestsPath needs --extensionDevelopmentPath");

  const shots = path.join(scratch, "shots");
  mkdirSync(shots);
  const port = await startCodeServer(node, entry, shots);
  log(`code-server on port ${port} (${secondsSince(started)})`);

  const { chromium: playwright } = await import("playwright-core");
  // finish() closes the browser itself, after the screenshot a failure may want.
  browser = await playwright.launch({
    executablePath: chromium, headless: true, args: CHROMIUM_FLAGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  const page = await browser.newPage({ viewport: VIEWPORT });
  const counts = { passed: 0, failed: 0 };
  // Both the workbench and the extension host (so the tests) log through here, console-style.
  const workbenchLog = createWriteStream(path.join(results, "e2e-workbench.log"));
  page.on("pageerror", (e) => workbenchLog.write(`pageerror: ${e.message}\n`));
  await page.exposeFunction("codeAutomationLog", (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    workbenchLog.write(`${type}: ${text}\n`);
    if (text.startsWith(RESULT_MARK)) Object.assign(counts, JSON.parse(text.slice(RESULT_MARK.length)));
    else if (!NOISE.test(text)) (type === "error" ? console.error : console.log)(text);
  });
  await page.exposeFunction("codeAutomationExit", (code) => {
    log(`suite finished with exit code ${code} (${secondsSince(started)})`);
    // A non-zero exit with no failed test is still a failure (e.g. the suite did not load).
    const failed = Math.max(counts.failed, code === 0 ? 0 : 1);
    finish(failed === 0 ? 0 : 1, { counts: { passed: counts.passed, failed } });
  });

  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ["extensionDevelopmentPath", remote(extensionDevelopmentPath)],
    ["extensionTestsPath", remote(extensionTestsPath)],
    ["skipWelcome", "true"],
  ];
  const query = new URLSearchParams({ ...(folder ? { folder } : {}), payload: JSON.stringify(payload) });
  watchScreenshotRequests(page, shots);
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  log(`workbench loaded (${secondsSince(started)})`);
}

/** Runs the idempotent set-up script and reads the paths it prints. */
function setUpVSCode() {
  const r = spawnSync("bash", [path.join(root, "scripts/setup-vscode.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) fail("scripts/setup-vscode.sh failed (see above)");
  const value = (key) => new RegExp(`^${key}=(.*)$`, "m").exec(r.stdout)?.[1];
  return { node: value("NODE"), entry: value("CODE_SERVER") };
}

function findChromium() {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) fail("headless Chromium not found: install Debian's `chromium` package (or set CHROMIUM=/path/to/chromium)");
  return found;
}

/** Builds the extension and the suite; returns the suite's compiled index. */
async function buildSuite() {
  if (spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" }).status !== 0) {
    fail("building the extension failed (node scripts/build.mjs)");
  }
  const esbuild = await import("esbuild");
  const suite = path.join(root, "test/e2e/suite");
  const outdir = path.join(root, "out/e2e");
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: readdirSync(suite).filter((f) => f === "index.ts" || f.endsWith(".test.ts")).map((f) => path.join(suite, f)),
    outdir, bundle: true, platform: "node", format: "cjs", target: "node20", sourcemap: "inline",
    // mocha stays a real module: it loads the compiled test files with require().
    external: ["vscode", "mocha"], logLevel: "warning",
  });
  return path.join(outdir, "index.js");
}

/** The tests run against a throwaway copy, so nothing they or VS Code write lands in the repository. */
function copyWorkspace() {
  const folder = path.join(scratch, "workspace");
  cpSync(path.join(root, "sample-guests"), folder, { recursive: true });
  return folder;
}

function startCodeServer(node, entry, shots) {
  const home = path.join(scratch, "home");
  const dirs = { user: path.join(home, "user-data"), extensions: path.join(home, "extensions"), tmp: path.join(home, "tmp") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const config = path.join(home, "config.yaml");
  writeFileSync(config, "auth: none\n");
  mkdirSync(path.join(dirs.user, "User"));
  writeFileSync(path.join(dirs.user, "User/settings.json"), JSON.stringify({
    "workbench.startupEditor": "none", "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "update.mode": "none",
    "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden",
  }));
  const args = [
    entry, "--auth", "none", "--bind-addr", "127.0.0.1:0", "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", "--user-data-dir", dirs.user, "--extensions-dir", dirs.extensions,
    "--config", config, "--vscode-option", "enable-smoke-test-driver",
  ];
  // code-server otherwise writes into ~/.config and ~/.local and leaves sockets in /tmp.
  const env = { ...process.env, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home, HYPERSTEP_E2E_SHOTS: shots };
  codeServer = spawn(node, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const serverLog = createWriteStream(path.join(results, "e2e-code-server.log"));
  codeServer.on("exit", (code) => finish(1, { error: `code-server exited unexpectedly (${code}); see test-results/e2e-code-server.log` }));
  return new Promise((resolve) => {
    let seen = "";
    const onData = (chunk) => {
      serverLog.write(chunk);
      seen += chunk;
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    };
    codeServer.stdout.on("data", onData);
    codeServer.stderr.on("data", onData);
  });
}

function watchScreenshotRequests(page, shots) {
  const busy = new Set();
  setInterval(async () => {
    for (const file of readdirSync(shots)) {
      const click = /^(click|rightclick)-([\w.-]+)\.request$/.exec(file);
      if (click && !busy.has(file)) {
        busy.add(file);
        await clickInAnyFrame(page, shots, click[1], click[2], readFileSync(path.join(shots, file), "utf8"));
        rmSync(path.join(shots, file));
        busy.delete(file);
        continue;
      }
      const wheel = /^wheel-([\w.-]+)\.request$/.exec(file);
      if (wheel && !busy.has(file)) {
        busy.add(file);
        const { selector, deltaY, times } = JSON.parse(readFileSync(path.join(shots, file), "utf8"));
        await wheelInAnyFrame(page, selector, deltaY, times)
          .then(() => writeFileSync(path.join(shots, `wheel-${wheel[1]}.done`), ""), (e) => writeFileSync(path.join(shots, `wheel-${wheel[1]}.failed`), e.message));
        log(`turned the wheel ${times} × ${deltaY} px over ${selector} (${wheel[1]})`);
        rmSync(path.join(shots, file));
        busy.delete(file);
        continue;
      }
      const type = /^type-([\w.-]+)\.request$/.exec(file);
      if (type && !busy.has(file)) {
        busy.add(file);
        const text = readFileSync(path.join(shots, file), "utf8");
        await page.keyboard.type(text, { delay: 20 })
          .then(() => writeFileSync(path.join(shots, `type-${type[1]}.done`), ""), (e) => writeFileSync(path.join(shots, `type-${type[1]}.failed`), e.message));
        log(`typed ${JSON.stringify(text)} (${type[1]})`);
        rmSync(path.join(shots, file));
        busy.delete(file);
        continue;
      }
      const m = /^shot-([\w.-]+)\.request$/.exec(file);
      if (!m || busy.has(m[1])) continue;
      busy.add(m[1]);
      const png = path.join(results, `${m[1]}.png`);
      try {
        // A request may name a window size to show (`{ "width": 1440, "height": 900 }`): the workbench
        // lays out again at that size for the picture, and returns to the default after it.
        const size = readFileSync(path.join(shots, file), "utf8").trim();
        if (size) await page.setViewportSize(JSON.parse(size));
        // The workbench renders a moment after the extension host sees an event; let it settle.
        await new Promise((r) => setTimeout(r, size ? 1500 : 500));
        await page.screenshot({ path: png });
        if (size) await page.setViewportSize(VIEWPORT);
        rmSync(path.join(shots, file));
        writeFileSync(path.join(shots, `shot-${m[1]}.done`), png);
        log(`screenshot ${path.relative(root, png)}`);
      } catch (e) {
        log(`screenshot ${m[1]} failed: ${e.message}`); // the test waiting for it then fails on its time-out
      }
      busy.delete(m[1]);
    }
  }, 100).unref();
}

/**
 * Clicks (`kind` "click", or "rightclick" for the context menu) the first element matching `selector`
 * in the workbench or any of its (webview) frames, waiting up to 15 s for it to appear (a menu the test
 * has just asked for renders a moment later; a webview just focused on a loaded CI machine, seconds).
 */
async function clickInAnyFrame(page, shots, kind, name, selector) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    for (const frame of page.frames()) {
      const target = frame.locator(selector).first();
      if ((await target.count().catch(() => 0)) === 0) continue;
      try {
        await target.click({ timeout: 5000, button: kind === "rightclick" ? "right" : "left" });
        writeFileSync(path.join(shots, `${kind}-${name}.done`), frame.url());
        log(`${kind === "rightclick" ? "right-clicked" : "clicked"} ${selector} (${name})`);
      } catch (e) {
        writeFileSync(path.join(shots, `${kind}-${name}.failed`), e.message);
      }
      return;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  writeFileSync(path.join(shots, `${kind}-${name}.failed`), `nothing matches ${selector} in ${page.frames().length} frames`);
}

/** Hovers the first element matching `selector` in any frame and turns the wheel over it `times` times. */
async function wheelInAnyFrame(page, selector, deltaY, times) {
  for (const frame of page.frames()) {
    const target = frame.locator(selector).first();
    if ((await target.count().catch(() => 0)) === 0) continue;
    await target.hover({ timeout: 5000 });
    for (let i = 0; i < times; i++) {
      await page.mouse.wheel(0, deltaY);
      await new Promise((r) => setTimeout(r, 100));
    }
    return;
  }
  throw new Error(`nothing matches ${selector} in ${page.frames().length} frames`);
}

function secondsSince(t) {
  return `${((Date.now() - t) / 1000).toFixed(1)} s`;
}

function killCodeServer() {
  if (codeServer?.exitCode === null && codeServer.signalCode === null) {
    try {
      process.kill(-codeServer.pid, "SIGKILL"); // the whole group: the server and its extension hosts
    } catch {
      // already gone
    }
  }
}

/** Cleans up once, prints the closing line and exits. Without counts the run failed before the suite reported. */
async function finish(code, { error, screenshot, counts = { passed: 0, failed: 1 } }) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (error) console.error(`e2e: ${error}`);
  if (screenshot && browser) {
    const page = browser.contexts()[0]?.pages()[0];
    await page?.screenshot({ path: path.join(results, `${screenshot}.png`) }).catch(() => {});
  }
  await browser?.close().catch(() => {});
  killCodeServer();
  if (options.keep) console.error(`e2e: kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
  console.log(`integration: ${counts.passed} passed, ${counts.failed} failed`);
  process.exit(code);
}
