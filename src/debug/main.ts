/**
 * `hyperstep-dap`: the debug adapter as a standalone program, for DAP clients other than VS Code.
 *
 *   hyperstep-dap            speaks DAP over stdin/stdout; exits when stdin closes or on SIGTERM
 *   hyperstep-dap --port N   listens on 127.0.0.1:N, one session per connection, each independent
 *                            of the others; prints a token that each client's launch configuration
 *                            must carry as `token` (any local user can reach the port)
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { serveReadOnly } from "../gdb/server";
import { HyperstepSession } from "./session";
import { serve } from "./transport";

const USAGE = "usage: hyperstep-dap [--port N]\n  Serves the Debug Adapter Protocol on stdio, or on 127.0.0.1:N with --port.\n";
const log = (line: string) => process.stderr.write(`${line}\n`);

function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const i = argv.findIndex((a) => a === "--port" || a.startsWith("--port="));
  if (i < 0) {
    if (argv.length > 0) fail(`unknown argument '${argv[0]}'`);
    const session = new HyperstepSession(serveReadOnly);
    process.on("SIGTERM", () => process.exit(0));
    serve(session, process.stdin, process.stdout, { log, closed: () => process.stdout.end(() => process.exit(0)) });
    return;
  }
  const text = argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port needs a port number 0-65535, got '${text ?? ""}'`);
  const token = randomBytes(16).toString("hex");
  const server = net.createServer((socket) => {
    serve(new HyperstepSession(serveReadOnly), socket, socket, { log, token, closed: () => socket.destroySoon() });
  });
  server.on("error", (e: NodeJS.ErrnoException) => {
    fail(e.code === "EADDRINUSE" ? `port ${port} on 127.0.0.1 is in use; choose another, or 0 for any free port` : `cannot listen on 127.0.0.1:${port}: ${e.message}`, 1);
  });
  process.on("SIGTERM", () => process.exit(0));
  server.listen(port, "127.0.0.1", () => {
    const addr = server.address() as net.AddressInfo;
    log(`hyperstep-dap listening on 127.0.0.1:${addr.port}`);
    log(`hyperstep-dap token ${token} (give it as "token" in each launch configuration)`);
  });
}

function fail(message: string, status = 2): never {
  process.stderr.write(`hyperstep-dap: ${message}\n${status === 2 ? USAGE : ""}`);
  process.exit(status);
}

main(process.argv.slice(2));
