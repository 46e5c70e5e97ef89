// `npm run vscode`: opens an editor with this extension loaded and sample-guests/ open.
// Run with --help for the details.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { URLSearchParams } from "node:url";

const HELP = `usage: npm run vscode [-- --port N]

Opens sample-guests/ in VS Code with the Hyperstep extension built from this repository.

  - If a desktop VS Code (\`code\`) is on PATH, runs
      code --extensionDevelopmentPath=<repo> <repo>/sample-guests
    (an extension under development: rebuild with \`npm run build\` and reload the window).
  - Otherwise packages the extension (npm run package), installs the VSIX into code-server
    (installed by scripts/setup-vscode.sh into \${XDG_CACHE_HOME:-~/.cache}/hyperstep/ on first
    use), starts it on 127.0.0.1 and prints the URL to open in a browser. Its settings persist in
    that folder. Ctrl+C stops it; run this again after changing the extension. To reach it from
    another machine, forward the same port (ssh -L 8080:127.0.0.1:8080 ...).

options:
  --port N   port for code-server (default 8080)
  --help     this text
`;

const root = path.resolve(import.meta.dirname, "..");
const guests = path.join(root, "sample-guests");

function parsePort(argv) {
  let port = 8080;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (flag === "--port") {
      port = Number(inline ?? argv[++i]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) die(`--port needs a number from 1 to 65535, not '${inline ?? argv[i]}'`);
    } else {
      die(`unknown argument '${argv[i]}' (see --help)`);
    }
  }
  return port;
}

function die(message) {
  console.error(`vscode: ${message}`);
  process.exit(2);
}

const port = parsePort(process.argv.slice(2));

if (spawnSync("sh", ["-c", "command -v code"], { stdio: "ignore" }).status === 0) {
  if (spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { stdio: "inherit" }).status !== 0) die("the build failed (see above)");
  const r = spawnSync("code", [`--extensionDevelopmentPath=${root}`, guests], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const setup = spawnSync("bash", [path.join(root, "scripts/setup-vscode.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
if (setup.status !== 0) die("scripts/setup-vscode.sh failed (see above)");
const installed = (key) => new RegExp(`^${key}=(.*)$`, "m").exec(setup.stdout)?.[1];

// code-server otherwise writes into ~/.config and ~/.local and leaves sockets in /tmp.
const home = path.join(process.env.XDG_CACHE_HOME || path.join(process.env.HOME ?? "", ".cache"), "hyperstep", "vscode-profile");
const config = path.join(home, "config.yaml");
for (const d of ["user-data", "extensions", "tmp"]) mkdirSync(path.join(home, d), { recursive: true });
writeFileSync(config, "auth: none\n");

const profile = [
  "--user-data-dir", path.join(home, "user-data"), "--extensions-dir", path.join(home, "extensions"), "--config", config,
];
const env = { ...process.env, TMPDIR: path.join(home, "tmp"), XDG_CONFIG_HOME: home, XDG_DATA_HOME: home };

// Installed, not loaded as a development extension: that needs the smoke-test driver option, which
// also hides every notification, so a student would never see the extension's messages.
console.log("vscode: packaging the extension (npm run package) ...");
if (spawnSync("npm", ["run", "--silent", "package"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] }).status !== 0) die("npm run package failed (see above)");
console.log("vscode: installing hyperstep.vsix into code-server ...");
const install = spawnSync(installed("NODE"), [installed("CODE_SERVER"), ...profile, "--install-extension", path.join(root, "hyperstep.vsix"), "--force"], { env, encoding: "utf8" });
if (install.status !== 0) die(`installing the VSIX into code-server failed:\n${install.stdout}${install.stderr}`);

const server = spawn(installed("NODE"), [
  installed("CODE_SERVER"), "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry",
  "--disable-update-check", "--disable-workspace-trust", ...profile,
], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });

const url = `http://127.0.0.1:${port}/?${new URLSearchParams({ folder: guests })}`;
let output = "";
const relay = (to) => (chunk) => {
  to.write(chunk);
  if (output === undefined) return;
  output += chunk;
  if (output.includes("HTTP server listening on")) {
    output = undefined;
    console.log(`\nOpen this URL in a browser (Ctrl+C stops code-server):\n\n  ${url}\n`);
  }
};
server.stdout.on("data", relay(process.stdout));
server.stderr.on("data", relay(process.stderr));

const stop = () => {
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {
    // already gone
  }
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
server.on("exit", (code) => process.exit(code ?? 0));
