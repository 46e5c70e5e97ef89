/**
 * `hyperstep-dap`: the debug adapter as a standalone program, for DAP clients other than VS Code.
 *
 *   hyperstep-dap            speaks DAP over stdin/stdout
 *   hyperstep-dap --port N   listens on 127.0.0.1:N, one session per connection
 */
import * as net from "node:net";
import { HyperstepSession } from "./session";

const USAGE = "usage: hyperstep-dap [--port N]\n  Serves the Debug Adapter Protocol on stdio, or on 127.0.0.1:N with --port.\n";

function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const i = argv.findIndex((a) => a === "--port" || a.startsWith("--port="));
  if (i < 0) {
    if (argv.length > 0) fail(`unknown argument '${argv[0]}'`);
    const session = new HyperstepSession();
    process.on("SIGTERM", () => session.shutdown());
    session.start(process.stdin, process.stdout);
    return;
  }
  const text = argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port needs a port number 0-65535, got '${text ?? ""}'`);
  const server = net.createServer((socket) => {
    socket.on("end", () => socket.destroy());
    new HyperstepSession().start(socket, socket);
  });
  server.listen(port, "127.0.0.1", () => {
    const addr = server.address() as net.AddressInfo;
    process.stderr.write(`hyperstep-dap listening on 127.0.0.1:${addr.port}\n`);
  });
}

function fail(message: string): never {
  process.stderr.write(`hyperstep-dap: ${message}\n${USAGE}`);
  process.exit(2);
}

main(process.argv.slice(2));
